package wecom

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Errors of the callback protocol (WXBizMsgCrypt, 加解密方案说明).
var (
	// ErrSignature means msg_signature does not match token, timestamp,
	// nonce and ciphertext: the request is not from WeCom (or was altered).
	ErrSignature = errors.New("wecom: callback signature mismatch")
	// ErrReceiver means the decrypted message names another corp id.
	ErrReceiver = errors.New("wecom: callback for another receiver")
	// ErrMalformed means the ciphertext, padding, length or XML is broken.
	ErrMalformed = errors.New("wecom: malformed callback")
)

const (
	// aesKeyLen is the EncodingAESKey's length: 43 base64 characters that,
	// with "=" appended, decode to the 32-byte AES-256 key.
	aesKeyLen = 43
	// pkcs7Block is the padding block WeCom uses: 32 bytes, not AES's 16.
	pkcs7Block = 32
	// randomPrefix is the random bytes before the 4-byte length.
	randomPrefix = 16
	// maxPlain bounds a decrypted message (callbacks are small XML).
	maxPlain = 1 << 20
	// maxTokenLen is WeCom's limit on the callback Token (3–32 letters or digits).
	maxTokenLen = 32
)

// Crypto signs, verifies, encrypts and decrypts callback messages for one
// app: the Token and EncodingAESKey set in the app's "接收消息" settings, and
// the corp id as receiveid. It is safe for concurrent use.
type Crypto struct {
	token     string
	key       []byte // 32 bytes; the IV is its first 16
	receiveID string
	random    io.Reader // the 16-byte prefix of replies; crypto/rand
}

// NewCrypto checks the settings and returns a Crypto. token is 3–32
// letters or digits; encodingAESKey 43 characters of base64.
func NewCrypto(token, encodingAESKey, receiveID string) (*Crypto, error) {
	if err := CheckToken(token); err != nil {
		return nil, err
	}
	key, err := DecodeAESKey(encodingAESKey)
	if err != nil {
		return nil, err
	}
	if receiveID == "" {
		return nil, errors.New("wecom: callback receiveid (corp id) is required")
	}
	return &Crypto{token: token, key: key, receiveID: receiveID, random: rand.Reader}, nil
}

// CheckToken reports whether token is a valid callback Token: 3–32 ASCII
// letters or digits, as the WeCom console requires.
func CheckToken(token string) error {
	if len(token) < 3 || len(token) > maxTokenLen {
		return fmt.Errorf("wecom: callback token must be 3–%d letters or digits, got %d characters", maxTokenLen, len(token))
	}
	for _, r := range token {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return errors.New("wecom: callback token must be letters or digits only")
		}
	}
	return nil
}

// DecodeAESKey turns the 43-character EncodingAESKey into the 32-byte AES key.
func DecodeAESKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != aesKeyLen {
		return nil, fmt.Errorf("wecom: EncodingAESKey must be %d characters, got %d", aesKeyLen, len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, errors.New("wecom: EncodingAESKey is not the base64 of a 32-byte key")
	}
	return key, nil
}

// Signature is msg_signature: the hex SHA1 of token, timestamp, nonce and
// the ciphertext, sorted as strings and concatenated.
func (c *Crypto) Signature(timestamp, nonce, encrypted string) string {
	parts := []string{c.token, timestamp, nonce, encrypted}
	slices.Sort(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// verify compares a signature in constant time.
func (c *Crypto) verify(signature, timestamp, nonce, encrypted string) error {
	want := c.Signature(timestamp, nonce, encrypted)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(signature)), []byte(want)) != 1 {
		return ErrSignature
	}
	return nil
}

// VerifyURL answers the URL check WeCom makes when an admin saves the
// callback URL (GET with msg_signature, timestamp, nonce, echostr): it
// checks the signature and returns the decrypted echostr to send back.
func (c *Crypto) VerifyURL(signature, timestamp, nonce, echostr string) ([]byte, error) {
	if err := c.verify(signature, timestamp, nonce, echostr); err != nil {
		return nil, err
	}
	return c.Decrypt(echostr)
}

// envelope is the XML of an encrypted callback POST.
type envelope struct {
	ToUserName string `xml:"ToUserName"`
	AgentID    string `xml:"AgentID"`
	Encrypt    string `xml:"Encrypt"`
}

// DecryptMessage checks and decrypts the body of a callback POST and
// returns the plaintext XML message.
func (c *Crypto) DecryptMessage(signature, timestamp, nonce string, body []byte) ([]byte, error) {
	var env envelope
	if err := decodeXML(body, &env); err != nil {
		return nil, fmt.Errorf("%w: envelope: %w", ErrMalformed, err)
	}
	if env.Encrypt == "" {
		return nil, fmt.Errorf("%w: no Encrypt element", ErrMalformed)
	}
	if err := c.verify(signature, timestamp, nonce, env.Encrypt); err != nil {
		return nil, err
	}
	return c.Decrypt(env.Encrypt)
}

// Decrypt turns base64 ciphertext into the message, checking padding,
// length and receiveid.
func (c *Crypto) Decrypt(encrypted string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %w", ErrMalformed, err)
	}
	if len(raw) == 0 || len(raw)%aes.BlockSize != 0 || len(raw) > maxPlain+pkcs7Block+randomPrefix+4+256 {
		return nil, fmt.Errorf("%w: ciphertext of %d bytes", ErrMalformed, len(raw))
	}
	block, err := aes.NewCipher(c.key)
	if err != nil {
		return nil, fmt.Errorf("wecom: aes: %w", err)
	}
	plain := make([]byte, len(raw))
	cipher.NewCBCDecrypter(block, c.key[:aes.BlockSize]).CryptBlocks(plain, raw)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > pkcs7Block || pad > len(plain) {
		return nil, fmt.Errorf("%w: padding", ErrMalformed)
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("%w: padding", ErrMalformed)
		}
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < randomPrefix+4 {
		return nil, fmt.Errorf("%w: too short", ErrMalformed)
	}
	n := binary.BigEndian.Uint32(plain[randomPrefix : randomPrefix+4])
	rest := plain[randomPrefix+4:]
	if uint64(n) > uint64(len(rest)) {
		return nil, fmt.Errorf("%w: length %d beyond the message", ErrMalformed, n)
	}
	msg, receiver := rest[:n], rest[n:]
	if subtle.ConstantTimeCompare(receiver, []byte(c.receiveID)) != 1 {
		return nil, ErrReceiver
	}
	return msg, nil
}

// Encrypt is the reverse of Decrypt: 16 random bytes, the 4-byte
// network-order length, msg and receiveid, PKCS#7-padded to 32 bytes,
// AES-256-CBC with the key's first 16 bytes as IV, base64.
func (c *Crypto) Encrypt(msg []byte) (string, error) {
	var buf bytes.Buffer
	prefix := make([]byte, randomPrefix)
	if _, err := io.ReadFull(c.random, prefix); err != nil {
		return "", fmt.Errorf("wecom: random prefix: %w", err)
	}
	buf.Write(prefix)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(msg)))
	buf.Write(n[:])
	buf.Write(msg)
	buf.WriteString(c.receiveID)
	pad := pkcs7Block - buf.Len()%pkcs7Block
	buf.Write(bytes.Repeat([]byte{byte(pad)}, pad))
	block, err := aes.NewCipher(c.key)
	if err != nil {
		return "", fmt.Errorf("wecom: aes: %w", err)
	}
	out := buf.Bytes()
	cipher.NewCBCEncrypter(block, c.key[:aes.BlockSize]).CryptBlocks(out, out)
	return base64.StdEncoding.EncodeToString(out), nil
}

// replyEnvelope is the XML of an encrypted passive reply.
type replyEnvelope struct {
	XMLName      xml.Name `xml:"xml"`
	Encrypt      cdata    `xml:"Encrypt"`
	MsgSignature cdata    `xml:"MsgSignature"`
	TimeStamp    string   `xml:"TimeStamp"`
	Nonce        cdata    `xml:"Nonce"`
}

// EncryptReply wraps a plaintext reply message in the signed, encrypted
// envelope WeCom expects as the answer to a callback POST.
func (c *Crypto) EncryptReply(msg []byte, timestamp, nonce string) ([]byte, error) {
	enc, err := c.Encrypt(msg)
	if err != nil {
		return nil, err
	}
	env := replyEnvelope{Encrypt: cdata{enc}, MsgSignature: cdata{c.Signature(timestamp, nonce, enc)},
		TimeStamp: timestamp, Nonce: cdata{nonce}}
	return xml.Marshal(env)
}

// cdata marshals a string as <![CDATA[…]]>, as WeCom's samples do.
type cdata struct {
	Text string `xml:",cdata"`
}

// decodeXML decodes one small XML document strictly: no DTD (so no
// entities), a size bound, and the root element decoded into v.
func decodeXML(b []byte, v any) error {
	if len(b) > maxPlain {
		return fmt.Errorf("larger than %d bytes", maxPlain)
	}
	if bytes.Contains(b, []byte("<!")) && bytes.Contains(bytes.ReplaceAll(b, []byte("<![CDATA["), nil), []byte("<!")) {
		return errors.New("XML declarations (DOCTYPE, ENTITY) are not accepted")
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	return d.Decode(v)
}

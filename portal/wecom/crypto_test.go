package wecom

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
)

// The sample settings and messages of WeCom's official WXBizMsgCrypt
// samples (加解密库 Sample.cpp/Sample.java/Sample.py, and 加解密方案说明).
const (
	sampleToken     = "QDG6eK"
	sampleCorpID    = "wx5823bf96d3bd56c7"
	sampleAESKey    = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
	sampleVerifySig = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
	sampleVerifyTS  = "1409659589"
	sampleVerifyNon = "263014780"
	sampleEchoStr   = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
	sampleEchoPlain = "1616140317555161061"
	sampleMsgSig    = "477715d11cdb4164915debcba66cb864d751f3e6"
	sampleMsgTS     = "1409659813"
	sampleMsgNonce  = "1372623149"
	sampleEncrypt   = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
	// samplePlain is the documented plaintext of sampleEncrypt.
	samplePlain = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>"
)

func sampleCrypto(t *testing.T) *Crypto {
	t.Helper()
	c, err := NewCrypto(sampleToken, sampleAESKey, sampleCorpID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCryptoOfficialVerifyURL(t *testing.T) {
	c := sampleCrypto(t)
	got, err := c.VerifyURL(sampleVerifySig, sampleVerifyTS, sampleVerifyNon, sampleEchoStr)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != sampleEchoPlain {
		t.Errorf("echostr decrypts to %q, want %q", got, sampleEchoPlain)
	}
	if _, err := c.VerifyURL(strings.Repeat("0", 40), sampleVerifyTS, sampleVerifyNon, sampleEchoStr); !errors.Is(err, ErrSignature) {
		t.Errorf("wrong signature: %v, want ErrSignature", err)
	}
	if _, err := c.VerifyURL(sampleVerifySig, "1409659590", sampleVerifyNon, sampleEchoStr); !errors.Is(err, ErrSignature) {
		t.Errorf("changed timestamp: %v, want ErrSignature", err)
	}
}

func TestCryptoOfficialDecryptMessage(t *testing.T) {
	c := sampleCrypto(t)
	if sig := c.Signature(sampleMsgTS, sampleMsgNonce, sampleEncrypt); sig != sampleMsgSig {
		t.Fatalf("signature %s, want the sample's %s", sig, sampleMsgSig)
	}
	body := "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[" + sampleEncrypt + "]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
	got, err := c.DecryptMessage(sampleMsgSig, sampleMsgTS, sampleMsgNonce, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != samplePlain {
		t.Errorf("plaintext:\n%s\nwant:\n%s", got, samplePlain)
	}
	m, err := ParseMessage(got)
	if err != nil {
		t.Fatal(err)
	}
	if m.FromUserName != "mycreate" || m.MsgType != "text" || m.Content != "hello" || m.AgentID != "218" || m.MsgID != "4561255354251345929" {
		t.Errorf("parsed %+v", m)
	}

	other, err := NewCrypto(sampleToken, sampleAESKey, "ww-another-corp")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.DecryptMessage(sampleMsgSig, sampleMsgTS, sampleMsgNonce, []byte(body)); !errors.Is(err, ErrReceiver) {
		t.Errorf("another corp id: %v, want ErrReceiver", err)
	}
	tampered := strings.Replace(body, "RypE", "RypF", 1)
	if _, err := c.DecryptMessage(sampleMsgSig, sampleMsgTS, sampleMsgNonce, []byte(tampered)); !errors.Is(err, ErrSignature) {
		t.Errorf("tampered ciphertext: %v, want ErrSignature", err)
	}
	dtd := `<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Encrypt>&x;</Encrypt></xml>`
	if _, err := c.DecryptMessage(sampleMsgSig, sampleMsgTS, sampleMsgNonce, []byte(dtd)); !errors.Is(err, ErrMalformed) {
		t.Errorf("DTD: %v, want ErrMalformed", err)
	}
}

// TestCryptoRoundTrip encrypts with a fixed prefix (as the samples'
// "aaaabbbbccccdddd"), checks the layout the protocol fixes, and decrypts.
func TestCryptoRoundTrip(t *testing.T) {
	c := sampleCrypto(t)
	c.random = strings.NewReader("aaaabbbbccccdddd")
	msg := []byte("<xml><Content><![CDATA[我是中文abcd123]]></Content></xml>")
	enc, err := c.Encrypt(msg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Decrypt(enc)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	// Padding to 32 bytes: 16 + 4 + len(msg) + len(corp id) rounded up.
	n := 16 + 4 + len(msg) + len(sampleCorpID)
	want := (n/32 + 1) * 32
	if raw := decodedLen(enc); raw != want {
		t.Errorf("ciphertext is %d bytes, want %d (PKCS#7 to 32)", raw, want)
	}

	c.random = strings.NewReader("0123456789abcdef")
	reply, err := c.EncryptReply([]byte("<xml>hi</xml>"), "1409659813", "1372623149")
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Encrypt, MsgSignature, TimeStamp, Nonce string
	}
	if err := xml.Unmarshal(reply, &env); err != nil {
		t.Fatal(err)
	}
	if env.MsgSignature != c.Signature(env.TimeStamp, env.Nonce, env.Encrypt) || env.Nonce != "1372623149" {
		t.Errorf("reply envelope %+v is not signed over its own fields", env)
	}
	plain, err := c.DecryptMessage(env.MsgSignature, env.TimeStamp, env.Nonce, []byte("<xml><Encrypt>"+env.Encrypt+"</Encrypt></xml>"))
	if err != nil || string(plain) != "<xml>hi</xml>" {
		t.Errorf("reply decrypts to %q, %v", plain, err)
	}
}

func decodedLen(b64 string) int {
	return len(b64)/4*3 - strings.Count(b64, "=")
}

func TestCryptoSettings(t *testing.T) {
	for _, tc := range []struct{ token, key, corp string }{
		{"ab", sampleAESKey, sampleCorpID},                  // token too short
		{"QDG6eK!", sampleAESKey, sampleCorpID},             // not alphanumeric
		{sampleToken, sampleAESKey[:42], sampleCorpID},      // 42 characters
		{sampleToken, "!" + sampleAESKey[1:], sampleCorpID}, // not base64
		{sampleToken, sampleAESKey, ""},                     // no corp id
	} {
		if _, err := NewCrypto(tc.token, tc.key, tc.corp); err == nil {
			t.Errorf("NewCrypto(%q, %q, %q) accepted", tc.token, tc.key, tc.corp)
		}
	}
	c := sampleCrypto(t)
	for _, bad := range []string{"", "not base64!", "AAAA", sampleEncrypt[:len(sampleEncrypt)-24] + "AAAAAAAAAAAAAAAAAAAAAA=="} {
		if _, err := c.Decrypt(bad); err == nil {
			t.Errorf("Decrypt(%.20q…) accepted", bad)
		}
	}
}

package wecomtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/wecom"
)

// Callback sends what WeCom's servers send to an app's receive-message URL:
// the URL check (GET) and encrypted messages and events (POST), and reads
// the encrypted passive replies.
type Callback struct {
	URL     string // the portal's callback URL
	Crypto  *wecom.Crypto
	CorpID  string
	AgentID string
	Now     func() time.Time // default time.Now
	HTTP    *http.Client     // default http.DefaultClient
}

func (c *Callback) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Callback) client() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// Nonce returns a fresh random nonce.
func Nonce() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// VerifyURL makes WeCom's URL check with echostr encrypted, and returns the
// status and body of the answer (the decrypted echostr when it passes).
func (c *Callback) VerifyURL(echo string) (int, string, error) {
	enc, err := c.Crypto.Encrypt([]byte(echo))
	if err != nil {
		return 0, "", err
	}
	ts, nonce := strconv.FormatInt(c.now().Unix(), 10), Nonce()
	q := url.Values{"msg_signature": {c.Crypto.Signature(ts, nonce, enc)}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {enc}}
	resp, err := c.client().Get(c.URL + "?" + q.Encode())
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// Post sends in encrypted with the given timestamp and nonce and returns
// the status and raw body of the answer.
func (c *Callback) Post(in wecom.Incoming, ts time.Time, nonce string) (int, []byte, error) {
	enc, err := c.Crypto.Encrypt(in.XML())
	if err != nil {
		return 0, nil, err
	}
	tss := strconv.FormatInt(ts.Unix(), 10)
	body := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt><AgentID><![CDATA[%s]]></AgentID></xml>",
		c.CorpID, enc, c.AgentID)
	q := url.Values{"msg_signature": {c.Crypto.Signature(tss, nonce, enc)}, "timestamp": {tss}, "nonce": {nonce}}
	resp, err := c.client().Post(c.URL+"?"+q.Encode(), "text/xml", strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// Open decrypts an encrypted passive reply and parses it; an empty body (no
// reply) gives a zero Reply.
func (c *Callback) Open(body []byte) (wecom.Reply, error) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return wecom.Reply{}, nil
	}
	var env struct {
		Encrypt, MsgSignature, TimeStamp, Nonce string
	}
	if err := xml.Unmarshal(body, &env); err != nil {
		return wecom.Reply{}, fmt.Errorf("reply envelope: %w: %s", err, body)
	}
	if env.MsgSignature != c.Crypto.Signature(env.TimeStamp, env.Nonce, env.Encrypt) {
		return wecom.Reply{}, fmt.Errorf("reply signature does not match")
	}
	plain, err := c.Crypto.Decrypt(env.Encrypt)
	if err != nil {
		return wecom.Reply{}, err
	}
	r, _, err := wecom.ParseReply(plain)
	return r, err
}

// Text sends a text message from member and returns the portal's reply.
func (c *Callback) Text(member, content string) (wecom.Reply, error) {
	now := c.now()
	in := wecom.Incoming{ToUserName: c.CorpID, FromUserName: member, CreateTime: now.Unix(), MsgType: "text",
		Content: content, MsgID: strconv.FormatInt(now.UnixNano(), 10), AgentID: c.AgentID}
	return c.roundTrip(in, now)
}

// Event sends an event (enter_agent, …) from member and returns the reply.
func (c *Callback) Event(member, event string) (wecom.Reply, error) {
	now := c.now()
	in := wecom.Incoming{ToUserName: c.CorpID, FromUserName: member, CreateTime: now.Unix(), MsgType: "event",
		Event: event, AgentID: c.AgentID}
	return c.roundTrip(in, now)
}

func (c *Callback) roundTrip(in wecom.Incoming, now time.Time) (wecom.Reply, error) {
	status, body, err := c.Post(in, now, Nonce())
	if err != nil {
		return wecom.Reply{}, err
	}
	if status != http.StatusOK {
		return wecom.Reply{}, fmt.Errorf("callback answered %d: %s", status, body)
	}
	return c.Open(body)
}

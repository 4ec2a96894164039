// Package wecom is Jinnang's channel to WeCom (企业微信) beyond sign-in:
// application messages (应用消息, message/send) with an outbox in the store,
// group-robot webhooks (群机器人), the address book (通讯录: department/list,
// user/list) and the app's receive-message callback (接收消息, WXBizMsgCrypt)
// with a keyword bot.
//
// Every call as the app uses the access_token cache of the sign-in provider
// (portal/auth/wecom), so a process holds one token per app.
//
// API references (developer.work.weixin.qq.com): 发送应用消息 (90236),
// 消息推送/群机器人 (99110), 获取部门列表 (90208), 获取部门成员详情 (90201),
// 获取部门成员 (90200), 接收消息与事件 (90238), 被动回复消息 (90241),
// 加解密方案说明 (90968), 访问频率限制 (90312), 全局错误码 (90313).
package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	wecomauth "github.com/jinnang/jinnang/portal/auth/wecom"
)

// WeCom error codes Jinnang handles (全局错误码).
const (
	CodeBusy            = -1    // 系统繁忙: retry later
	CodeRateLimited     = 45009 // 接口调用超过限制: the minute or hour budget is spent
	CodeConcurrency     = 45033 // 接口并发调用超过限制
	CodeAllInvalid      = 81013 // UserID、部门ID、标签ID全部非法或无权限
	CodeNoPrivilege     = 60011 // 指定的成员/部门/标签参数无权限
	CodeAPIForbidden    = 48002 // API接口无权限调用
	CodeDepartmentEmpty = 60123 // 无效的部门id
)

const (
	defaultAPIBase = "https://qyapi.weixin.qq.com"
	requestTimeout = 10 * time.Second
	maxAnswer      = 8 << 20 // user/list of a large department is the largest answer
)

// TokenSource is the app's access_token cache (*wecomauth.Tokens).
type TokenSource interface {
	Token(ctx context.Context) (string, error)
	Invalidate(token string)
}

var _ TokenSource = (*wecomauth.Tokens)(nil)

// Config configures a Client.
type Config struct {
	CorpID  string
	AgentID string // the app's agentid (digits)
	Tokens  TokenSource
	// APIBase defaults to https://qyapi.weixin.qq.com.
	APIBase    string
	HTTPClient *http.Client
}

// Client calls WeCom's server API as the app. It is safe for concurrent use.
type Client struct {
	corpID  string
	agentID int64
	apiBase string
	tokens  TokenSource
	http    *http.Client
}

// NewClient checks cfg and returns a Client.
func NewClient(cfg Config) (*Client, error) {
	if cfg.CorpID == "" || cfg.Tokens == nil {
		return nil, errors.New("wecom: CorpID and Tokens are required")
	}
	var agent int64
	if _, err := fmt.Sscan(cfg.AgentID, &agent); err != nil || agent <= 0 {
		return nil, fmt.Errorf("wecom: AgentID %q must be the app's numeric agentid", cfg.AgentID)
	}
	base := strings.TrimRight(cfg.APIBase, "/")
	if base == "" {
		base = defaultAPIBase
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("wecom: APIBase %q is not an absolute http(s) URL", cfg.APIBase)
	}
	c := &Client{corpID: cfg.CorpID, agentID: agent, apiBase: base, tokens: cfg.Tokens, http: cfg.HTTPClient}
	if c.http == nil {
		c.http = &http.Client{Timeout: requestTimeout}
	}
	return c, nil
}

// NewHookClient returns a client for group robot webhooks only (no app:
// Send and the address book fail with ErrNoApp). apiBase "" means WeCom's.
func NewHookClient(apiBase string, hc *http.Client) (*Client, error) {
	base := strings.TrimRight(apiBase, "/")
	if base == "" {
		base = defaultAPIBase
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("wecom: APIBase %q is not an absolute http(s) URL", apiBase)
	}
	if hc == nil {
		hc = &http.Client{Timeout: requestTimeout}
	}
	return &Client{apiBase: base, http: hc}, nil
}

// ErrNoApp means a call needs the WeCom app (corp id, agent id, secret),
// which is not configured.
var ErrNoApp = errors.New("wecom: the WeCom app is not configured")

// CorpID is the corp id the client calls for.
func (c *Client) CorpID() string { return c.corpID }

// APIError is a non-zero errcode from WeCom.
type APIError struct {
	Path string
	Code int
	Msg  string
}

// Error describes the error (never the request URL, which holds the token).
func (e *APIError) Error() string {
	return fmt.Sprintf("wecom %s: errcode %d: %s", e.Path, e.Code, e.Msg)
}

// Temporary reports whether retrying later may succeed: system busy and the
// rate and concurrency limits.
func (e *APIError) Temporary() bool {
	return e.Code == CodeBusy || e.Code == CodeRateLimited || e.Code == CodeConcurrency
}

// ErrUnavailable marks a failure to reach WeCom or a non-200 answer: the
// call may be retried later.
var ErrUnavailable = errors.New("wecom: unavailable")

// Retryable reports whether err is worth retrying later (WeCom unreachable,
// busy, or a rate limit), as opposed to a request WeCom refused for good.
func Retryable(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Temporary()
	}
	return errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)
}

// status is the errcode/errmsg pair every answer carries.
type status struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// call sends a request with the access_token and decodes the JSON answer
// into out. When WeCom says the token is invalid or expired, the cached
// token is dropped and the call made once more with a new one.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, body, out any) error {
	if q == nil {
		q = url.Values{}
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("wecom %s: encode: %w", path, err)
		}
	}
	if c.tokens == nil {
		return fmt.Errorf("wecom %s: %w", path, ErrNoApp)
	}
	for attempt := 0; ; attempt++ {
		token, err := c.tokens.Token(ctx)
		if err != nil {
			return fmt.Errorf("wecom %s: access_token: %w: %w", path, ErrUnavailable, err)
		}
		q.Set("access_token", token)
		err = c.do(ctx, method, c.apiBase+path+"?"+q.Encode(), path, payload, out)
		var ae *APIError
		if attempt == 0 && errors.As(err, &ae) && wecomauth.IsTokenError(ae.Code) {
			c.tokens.Invalidate(token)
			continue
		}
		return err
	}
}

// do makes one HTTP request. Errors never carry the URL: it holds the
// access_token (or, for webhooks, the robot's key).
func (c *Client) do(ctx context.Context, method, rawURL, path string, payload []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return fmt.Errorf("wecom %s: build request: %w", path, err)
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("wecom %s: %w: %w", path, ErrUnavailable, err)
	}
	defer func() { _ = resp.Body.Close() }() // read-only body
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("wecom %s: %w: HTTP %s", path, ErrUnavailable, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return fmt.Errorf("wecom %s: %w: read answer: %w", path, ErrUnavailable, err)
	}
	if len(b) > maxAnswer {
		return fmt.Errorf("wecom %s: answer larger than %d bytes", path, maxAnswer)
	}
	var st status
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("wecom %s: decode answer: %w", path, err)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("wecom %s: decode answer: %w", path, err)
		}
	}
	if st.ErrCode != 0 {
		return &APIError{Path: path, Code: st.ErrCode, Msg: st.ErrMsg}
	}
	return nil
}

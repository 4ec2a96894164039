// Package wecom signs employees in with WeCom (企业微信) web OAuth2, the silent
// snsapi_base flow that works inside the WeCom app: the browser is sent to
// open.weixin.qq.com, comes back to the callback with a one-time code, and the
// server exchanges the code for the member's userid with the app's
// access_token.
//
// API references (developer.work.weixin.qq.com): 构造网页授权链接 (91022),
// 获取access_token (91039), 获取访问用户身份 (91023, /cgi-bin/auth/getuserinfo),
// 读取成员 (90196, /cgi-bin/user/get), 全局错误码 (90313).
package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jinnang/jinnang/portal/auth"
)

// Defaults and limits taken from the WeCom documentation.
const (
	defaultAPIBase  = "https://qyapi.weixin.qq.com"
	defaultAuthBase = "https://open.weixin.qq.com"

	maxStateLen    = 128     // "长度不可超过128个字节"
	maxCodeLen     = 512     // "code长度最大为512字节"
	maxBody        = 1 << 20 // WeCom answers are small JSON objects
	requestTimeout = 10 * time.Second
)

// WeCom error codes handled specially (全局错误码).
const (
	errInvalidToken  = 40014 // 不合法的access_token
	errExpiredToken  = 42001 // access_token已过期
	errInvalidToken2 = 40082 // 不合法的suite_token / access_token type
	errInvalidCode   = 40029 // 不合法的oauth_code (invalid, expired or reused)
	errUntrusted     = 50001 // redirect_url未登记可信域名
)

// Config configures the WeCom provider.
type Config struct {
	CorpID, AgentID, Secret string
	APIBase                 string // default https://qyapi.weixin.qq.com
	AuthBase                string // default https://open.weixin.qq.com
	RedirectURL             string // absolute callback URL, e.g. https://jinnang.example.com/auth/callback
	HTTPClient              *http.Client
	Clock                   auth.Clock
	// Tokens, when set, is the app's access_token cache to use (shared
	// with messages and directory sync); nil makes a new one.
	Tokens *Tokens
	// Directory, when set, looks up a member in the synced address book
	// (通讯录) at sign-in: name and department then come from there instead
	// of a user/get call. ok is false for someone it does not know.
	Directory func(ctx context.Context, userID string) (name, department string, ok bool)
}

// Provider is the WeCom sign-in provider. It is safe for concurrent use; the
// app's access_token is cached in memory and shared by all sign-ins.
type Provider struct {
	corpID, agentID, secret string
	apiBase, authBase       string
	redirectURL             string
	client                  *http.Client
	clock                   auth.Clock
	tokens                  *tokenCache
	directory               func(ctx context.Context, userID string) (name, department string, ok bool)
}

var _ auth.Provider = (*Provider)(nil)

// New validates cfg and returns a provider.
func New(cfg Config) (*Provider, error) {
	if cfg.CorpID == "" || cfg.AgentID == "" || cfg.Secret == "" {
		return nil, errors.New("wecom: CorpID, AgentID and Secret are required")
	}
	ru, err := url.Parse(cfg.RedirectURL)
	if err != nil || (ru.Scheme != "https" && ru.Scheme != "http") || ru.Host == "" {
		return nil, fmt.Errorf("wecom: RedirectURL %q must be an absolute http(s) URL", cfg.RedirectURL)
	}
	apiBase, err := baseURL(cfg.APIBase, defaultAPIBase)
	if err != nil {
		return nil, fmt.Errorf("wecom: APIBase: %w", err)
	}
	authBase, err := baseURL(cfg.AuthBase, defaultAuthBase)
	if err != nil {
		return nil, fmt.Errorf("wecom: AuthBase: %w", err)
	}
	p := &Provider{
		corpID:      cfg.CorpID,
		agentID:     cfg.AgentID,
		secret:      cfg.Secret,
		apiBase:     apiBase,
		authBase:    authBase,
		redirectURL: cfg.RedirectURL,
		client:      cfg.HTTPClient,
		clock:       cfg.Clock,
		directory:   cfg.Directory,
	}
	if p.client == nil {
		p.client = &http.Client{Timeout: requestTimeout}
	}
	if p.clock == nil {
		p.clock = time.Now
	}
	p.tokens = newTokenCache(p.clock, p.fetchToken)
	if cfg.Tokens != nil {
		p.tokens = cfg.Tokens.cache
	}
	return p, nil
}

func baseURL(v, def string) (string, error) {
	if v == "" {
		return def, nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute http(s) URL", v)
	}
	return strings.TrimRight(v, "/"), nil
}

// NewTokens returns the access_token cache of app secret of corpID, for
// portals that call WeCom as the app (messages, directory) while another
// provider signs people in. apiBase "" means https://qyapi.weixin.qq.com;
// nil client and clock mean defaults.
func NewTokens(corpID, secret, apiBase string, client *http.Client, clock auth.Clock) (*Tokens, error) {
	if corpID == "" || secret == "" {
		return nil, errors.New("wecom: CorpID and Secret are required")
	}
	base, err := baseURL(apiBase, defaultAPIBase)
	if err != nil {
		return nil, fmt.Errorf("wecom: APIBase: %w", err)
	}
	p := &Provider{corpID: corpID, secret: secret, apiBase: base, client: client, clock: clock}
	if p.client == nil {
		p.client = &http.Client{Timeout: requestTimeout}
	}
	if p.clock == nil {
		p.clock = time.Now
	}
	p.tokens = newTokenCache(p.clock, p.fetchToken)
	return p.Tokens(), nil
}

// Tokens returns the provider's access_token cache, for the other WeCom
// calls of the app (application messages, directory sync).
func (p *Provider) Tokens() *Tokens { return &Tokens{cache: p.tokens} }

// Name returns "wecom".
func (p *Provider) Name() string { return "wecom" }

// Start returns the WeCom authorization URL, with the parameters in the order
// the documentation gives them. WeCom limits state to 128 bytes (and documents
// the characters a-zA-Z0-9); a longer state is an error, not a silent cut.
func (p *Provider) Start(_ context.Context, state string, _ *http.Request) (string, error) {
	if state == "" {
		return "", errors.New("wecom: empty state")
	}
	if len(state) > maxStateLen {
		return "", fmt.Errorf("wecom: state is %d bytes, WeCom allows at most %d", len(state), maxStateLen)
	}
	var b strings.Builder
	b.WriteString(p.authBase)
	b.WriteString("/connect/oauth2/authorize?appid=")
	b.WriteString(url.QueryEscape(p.corpID))
	b.WriteString("&redirect_uri=")
	b.WriteString(url.QueryEscape(p.redirectURL))
	b.WriteString("&response_type=code&scope=snsapi_base&state=")
	b.WriteString(url.QueryEscape(state))
	b.WriteString("&agentid=")
	b.WriteString(url.QueryEscape(p.agentID))
	b.WriteString("#wechat_redirect")
	return b.String(), nil
}

// Finish exchanges the callback's code for the member's identity.
//
// A missing, invalid, expired or reused code is auth.ErrRetry, as is WeCom's
// 50001 (the callback domain is not a trusted domain of the app: an admin must
// fix the app settings). A person who is not a member of the company (WeCom
// answers with an openid only) is auth.ErrDenied. The display name comes from
// the address book when the app may read it; otherwise it is the userid.
func (p *Provider) Finish(ctx context.Context, r *http.Request) (auth.Identity, error) {
	code := r.URL.Query().Get("code")
	if code == "" {
		return auth.Identity{}, fmt.Errorf("wecom: callback without code: %w", auth.ErrRetry)
	}
	if len(code) > maxCodeLen {
		return auth.Identity{}, fmt.Errorf("wecom: code longer than %d bytes: %w", maxCodeLen, auth.ErrRetry)
	}
	var info struct {
		apiStatus
		UserID         string `json:"userid"`
		OpenID         string `json:"openid"`
		ExternalUserID string `json:"external_userid"`
	}
	err := p.callWithToken(ctx, "/cgi-bin/auth/getuserinfo", url.Values{"code": {code}}, &info)
	var apiErr *apiError
	switch {
	case errors.As(err, &apiErr) && apiErr.Code == errInvalidCode:
		return auth.Identity{}, fmt.Errorf("wecom: %w: %w", err, auth.ErrRetry)
	case errors.As(err, &apiErr) && apiErr.Code == errUntrusted:
		return auth.Identity{}, fmt.Errorf("wecom: %w (admins: the callback %s is not under a trusted domain (可信域名) of app %s; fix it in the WeCom admin console): %w",
			err, p.redirectURL, p.agentID, auth.ErrRetry)
	case err != nil:
		return auth.Identity{}, fmt.Errorf("wecom: get user info: %w", err)
	}
	if info.UserID == "" {
		if info.OpenID != "" || info.ExternalUserID != "" {
			return auth.Identity{}, fmt.Errorf("wecom: visitor is not a member of the company: %w", auth.ErrDenied)
		}
		return auth.Identity{}, errors.New("wecom: get user info: answer has neither userid nor openid")
	}
	if p.directory != nil {
		if name, dept, ok := p.directory(ctx, info.UserID); ok {
			return auth.Identity{Provider: p.Name(), Subject: info.UserID, Name: name, Department: dept}, nil
		}
	}
	return auth.Identity{
		Provider: p.Name(),
		Subject:  info.UserID,
		Name:     p.memberName(ctx, info.UserID),
	}, nil
}

// memberName reads the member's name from the address book (读取成员). It is
// best effort: WeCom's privacy rules may deny the app, and a sign-in must not
// fail for a display name, so every failure falls back to the userid.
func (p *Provider) memberName(ctx context.Context, userID string) string {
	var m struct {
		apiStatus
		Name string `json:"name"`
	}
	if err := p.callWithToken(ctx, "/cgi-bin/user/get", url.Values{"userid": {userID}}, &m); err != nil || m.Name == "" {
		return userID
	}
	return m.Name
}

// apiStatus is the errcode/errmsg pair every WeCom answer carries.
type apiStatus struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// apiError is a non-zero errcode from WeCom.
type apiError struct {
	Path string
	Code int
	Msg  string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s: errcode %d: %s", e.Path, e.Code, e.Msg)
}

func isTokenError(err error) bool {
	var e *apiError
	if !errors.As(err, &e) {
		return false
	}
	return IsTokenError(e.Code)
}

// callWithToken calls an API that takes the access_token. When WeCom says the
// token is invalid or expired (it may revoke tokens early), the cached token
// is dropped, a new one fetched, and the call retried once.
func (p *Provider) callWithToken(ctx context.Context, path string, q url.Values, out any) error {
	for attempt := 0; ; attempt++ {
		token, err := p.tokens.get(ctx)
		if err != nil {
			return err
		}
		q.Set("access_token", token)
		err = p.getJSON(ctx, path, q, out)
		if attempt == 0 && isTokenError(err) {
			p.tokens.invalidate(token)
			continue
		}
		return err
	}
}

// fetchToken gets a new access_token (获取access_token).
func (p *Provider) fetchToken(ctx context.Context) (string, time.Duration, error) {
	var t struct {
		apiStatus
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	q := url.Values{"corpid": {p.corpID}, "corpsecret": {p.secret}}
	if err := p.getJSON(ctx, "/cgi-bin/gettoken", q, &t); err != nil {
		return "", 0, fmt.Errorf("get access_token: %w", err)
	}
	if t.AccessToken == "" || t.ExpiresIn <= 0 {
		return "", 0, errors.New("get access_token: answer without access_token or expires_in")
	}
	return t.AccessToken, time.Duration(t.ExpiresIn) * time.Second, nil
}

// getJSON GETs apiBase+path?q and decodes the JSON answer into out; a
// non-zero errcode becomes an *apiError. Errors never include the query,
// which carries the secret or the access_token.
func (p *Provider) getJSON(ctx context.Context, path string, q url.Values, out any) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.apiBase+path+"?"+q.Encode(), nil)
	if err != nil {
		return fmt.Errorf("%s: build request: %w", path, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL: it holds credentials
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	defer func() { _ = resp.Body.Close() }() // read-only body; nothing to report
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP status %s", path, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", path, err)
	}
	if len(body) > maxBody {
		return fmt.Errorf("%s: answer larger than %d bytes", path, maxBody)
	}
	// The status is decoded on its own so that a reused out cannot keep the
	// errcode of an earlier answer.
	var st apiStatus
	if err := json.Unmarshal(body, &st); err != nil {
		return fmt.Errorf("%s: decode answer: %w", path, err)
	}
	if st.ErrCode != 0 {
		return &apiError{Path: path, Code: st.ErrCode, Msg: st.ErrMsg}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s: decode answer: %w", path, err)
	}
	return nil
}

// Package wecomtest is a fake WeCom (企业微信) server for tests. It follows
// the documented API closely enough that the portal's client cannot tell:
// gettoken with expiry, the OAuth2 authorize redirect and getuserinfo,
// user/get, message/send with its error codes (invaliduser/invalidparty,
// 81013, 45009 per-member rate limit, 42001 expired token) and duplicate
// check, department/list, user/list and user/simplelist, and group robot
// webhooks. Client sends encrypted callbacks to the portal as WeCom does.
package wecomtest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Department is one department of the fake address book.
type Department struct {
	ID       int
	Name     string
	ParentID int
}

// Member is one member of the fake address book. Status is WeCom's: 1
// active, 2 disabled, 4 not activated, 5 left.
type Member struct {
	UserID      string
	Name        string
	Departments []int
	Status      int
}

// Sent is one message/send WeCom accepted.
type Sent struct {
	ToUser, ToParty, ToTag string
	MsgType                string
	Title, Description     string
	URL, Button            string
	AgentID                int64
	DuplicateCheck         int
	Duplicate              bool // dropped by the duplicate check
}

// Post is one group robot webhook post.
type Post struct {
	Key, MsgType, Content string
}

// Server is the fake. Set its exported fields before use (under Lock when
// the server is running); read what it received with Sends and Posts.
type Server struct {
	*httptest.Server

	CorpID, Secret string
	// TokenTTL is the expires_in of new tokens; default 7200 s.
	TokenTTL time.Duration
	// Now is the fake's clock; default time.Now.
	Now func() time.Time

	mu          sync.Mutex
	departments []Department
	members     []Member
	signedIn    string // the member the authorize page signs in
	codes       map[string]string
	tokens      map[string]time.Time // token → expiry
	nextToken   int
	sends       []Sent
	posts       []Post
	perUser     map[string][]time.Time // message/send times per member (30/min limit)
	recent      map[string]time.Time   // duplicate check: body hash → time
	down        int                    // answer the next n message/send and webhook calls with 503
	downAll     bool
	rateLimited int // answer the next n message/send calls with 45009
	calls       map[string]int
	denyDetail  bool
}

// New starts a fake for corpID with app secret secret and an empty
// address book; it stops when the test ends.
func New(t testing.TB, corpID, secret string) *Server {
	f := &Server{CorpID: corpID, Secret: secret, TokenTTL: 7200 * time.Second, Now: time.Now,
		codes: map[string]string{}, tokens: map[string]time.Time{}, perUser: map[string][]time.Time{},
		recent: map[string]time.Time{}, calls: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// SetDirectory replaces the address book.
func (f *Server) SetDirectory(depts []Department, members []Member) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.departments, f.members = slices.Clone(depts), slices.Clone(members)
}

// SignIn makes the authorize page sign in userID (the member using WeCom).
func (f *Server) SignIn(userID string) {
	f.mu.Lock()
	f.signedIn = userID
	f.mu.Unlock()
}

// Down makes the next n message/send and webhook calls fail with 503
// (n < 0: until Up).
func (f *Server) Down(n int) {
	f.mu.Lock()
	if n < 0 {
		f.downAll = true
	} else {
		f.down = n
	}
	f.mu.Unlock()
}

// Up ends Down.
func (f *Server) Up() {
	f.mu.Lock()
	f.downAll, f.down = false, 0
	f.mu.Unlock()
}

// DenyDetail makes user/list answer 48002 (the app may not read member
// details), as WeCom does for apps without that permission.
func (f *Server) DenyDetail(deny bool) {
	f.mu.Lock()
	f.denyDetail = deny
	f.mu.Unlock()
}

// RateLimit makes the next n message/send calls answer 45009.
func (f *Server) RateLimit(n int) {
	f.mu.Lock()
	f.rateLimited = n
	f.mu.Unlock()
}

// ExpireTokens makes every issued token expired (the next call gets 42001).
func (f *Server) ExpireTokens() {
	f.mu.Lock()
	for k := range f.tokens {
		f.tokens[k] = time.Time{}
	}
	f.mu.Unlock()
}

// Sends returns the message/send calls accepted so far.
func (f *Server) Sends() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sends)
}

// Posts returns the webhook posts accepted so far.
func (f *Server) Posts() []Post {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.posts)
}

// Calls returns how many times path was called.
func (f *Server) Calls(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

// WebhookURL is the URL of the group robot with key.
func (f *Server) WebhookURL(key string) string {
	return f.URL + "/cgi-bin/webhook/send?key=" + url.QueryEscape(key)
}

func reply(w http.ResponseWriter, v map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	if _, ok := v["errcode"]; !ok {
		v["errcode"], v["errmsg"] = 0, "ok"
	}
	_ = json.NewEncoder(w).Encode(v)
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[r.URL.Path]++
	switch r.URL.Path {
	case "/connect/oauth2/authorize":
		f.authorize(w, r)
		return
	case "/cgi-bin/gettoken":
		if q.Get("corpid") != f.CorpID || q.Get("corpsecret") != f.Secret {
			reply(w, map[string]any{"errcode": 40001, "errmsg": "invalid credential"})
			return
		}
		f.nextToken++
		tok := fmt.Sprintf("TOKEN-%d", f.nextToken)
		f.tokens[tok] = f.Now().Add(f.TokenTTL)
		reply(w, map[string]any{"access_token": tok, "expires_in": int(f.TokenTTL / time.Second)})
		return
	case "/cgi-bin/webhook/send":
		f.webhook(w, r)
		return
	}
	exp, ok := f.tokens[q.Get("access_token")]
	switch {
	case !ok:
		reply(w, map[string]any{"errcode": 40014, "errmsg": "invalid access_token"})
		return
	case !f.Now().Before(exp):
		reply(w, map[string]any{"errcode": 42001, "errmsg": "access_token expired"})
		return
	}
	switch r.URL.Path {
	case "/cgi-bin/auth/getuserinfo":
		user, ok := f.codes[q.Get("code")]
		if !ok {
			reply(w, map[string]any{"errcode": 40029, "errmsg": "invalid code"})
			return
		}
		delete(f.codes, q.Get("code"))
		reply(w, map[string]any{"userid": user, "user_ticket": "TICKET"})
	case "/cgi-bin/user/get":
		m, ok := f.member(q.Get("userid"))
		if !ok {
			reply(w, map[string]any{"errcode": 60111, "errmsg": "userid not found"})
			return
		}
		reply(w, map[string]any{"userid": m.UserID, "name": m.Name, "department": m.Departments, "status": m.Status})
	case "/cgi-bin/message/send":
		f.send(w, r)
	case "/cgi-bin/department/list":
		var out []map[string]any
		for _, d := range f.departments {
			out = append(out, map[string]any{"id": d.ID, "name": d.Name, "parentid": d.ParentID, "order": 100000000 - d.ID})
		}
		reply(w, map[string]any{"department": out})
	case "/cgi-bin/user/list", "/cgi-bin/user/simplelist":
		if f.denyDetail && r.URL.Path == "/cgi-bin/user/list" {
			reply(w, map[string]any{"errcode": 48002, "errmsg": "api forbidden"})
			return
		}
		dept, err := strconv.Atoi(q.Get("department_id"))
		if err != nil || !slices.ContainsFunc(f.departments, func(d Department) bool { return d.ID == dept }) {
			reply(w, map[string]any{"errcode": 60123, "errmsg": "invalid party id"})
			return
		}
		var out []map[string]any
		for _, m := range f.members {
			if !slices.Contains(m.Departments, dept) {
				continue
			}
			u := map[string]any{"userid": m.UserID, "name": m.Name, "department": m.Departments}
			if r.URL.Path == "/cgi-bin/user/list" {
				u["status"], u["main_department"] = m.Status, m.Departments[0]
			}
			out = append(out, u)
		}
		reply(w, map[string]any{"userlist": out})
	default:
		http.NotFound(w, r)
	}
}

func (f *Server) member(id string) (Member, bool) {
	for _, m := range f.members {
		if strings.EqualFold(m.UserID, id) {
			return m, true
		}
	}
	return Member{}, false
}

// authorize is the OAuth2 page of a member already signed in to WeCom: it
// redirects straight back with a one-time code.
func (f *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("appid") != f.CorpID || q.Get("scope") != "snsapi_base" || q.Get("response_type") != "code" || f.signedIn == "" {
		http.Error(w, "bad authorize request", http.StatusBadRequest)
		return
	}
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	code := fmt.Sprintf("CODE-%d", len(f.codes)+f.calls["/connect/oauth2/authorize"])
	f.codes[code] = f.signedIn
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// failing reports (and counts down) a simulated outage.
func (f *Server) failing(w http.ResponseWriter) bool {
	if f.downAll || f.down > 0 {
		if f.down > 0 {
			f.down--
		}
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return true
	}
	return false
}

func (f *Server) send(w http.ResponseWriter, r *http.Request) {
	if f.failing(w) {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		reply(w, map[string]any{"errcode": 44004, "errmsg": "empty content"})
		return
	}
	var m struct {
		ToUser, ToParty, ToTag string
		MsgType                string `json:"msgtype"`
		AgentID                int64  `json:"agentid"`
		TextCard               struct {
			Title, Description, URL string
			BtnTxt                  string `json:"btntxt"`
		} `json:"textcard"`
		Dup      int `json:"enable_duplicate_check"`
		Interval int `json:"duplicate_check_interval"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		reply(w, map[string]any{"errcode": 40058, "errmsg": "invalid json"})
		return
	}
	if f.rateLimited > 0 {
		f.rateLimited--
		reply(w, map[string]any{"errcode": 45009, "errmsg": "api freq out of limit"})
		return
	}
	if m.MsgType != "textcard" || m.TextCard.Title == "" || m.TextCard.URL == "" || len(m.TextCard.Title) > 128 || len(m.TextCard.Description) > 512 {
		reply(w, map[string]any{"errcode": 40008, "errmsg": "invalid message type or content"})
		return
	}
	now := f.Now()
	// Per-member limit: 30 a minute from one app.
	var users, invalidUsers, parties, invalidParties []string
	for _, u := range splitBar(m.ToUser) {
		if u == "@all" {
			users = append(users, u)
			continue
		}
		mem, ok := f.member(u)
		if !ok || mem.Status == 5 {
			invalidUsers = append(invalidUsers, strings.ToLower(u))
			continue
		}
		users = append(users, mem.UserID)
	}
	for _, p := range splitBar(m.ToParty) {
		id, err := strconv.Atoi(p)
		if err != nil || !slices.ContainsFunc(f.departments, func(d Department) bool { return d.ID == id }) {
			invalidParties = append(invalidParties, p)
			continue
		}
		parties = append(parties, p)
	}
	if len(users)+len(parties)+len(splitBar(m.ToTag)) == 0 {
		reply(w, map[string]any{"errcode": 81013, "errmsg": "user & party & tag all invalid",
			"invaliduser": strings.Join(invalidUsers, "|"), "invalidparty": strings.Join(invalidParties, "|")})
		return
	}
	for _, u := range users {
		var keep []time.Time
		for _, t := range f.perUser[u] {
			if now.Sub(t) < time.Minute {
				keep = append(keep, t)
			}
		}
		if len(keep) >= 30 {
			reply(w, map[string]any{"errcode": 45009, "errmsg": "api freq out of limit: user " + u})
			return
		}
		f.perUser[u] = append(keep, now)
	}
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	s := Sent{ToUser: m.ToUser, ToParty: m.ToParty, ToTag: m.ToTag, MsgType: m.MsgType, AgentID: m.AgentID,
		Title: m.TextCard.Title, Description: m.TextCard.Description, URL: m.TextCard.URL, Button: m.TextCard.BtnTxt,
		DuplicateCheck: m.Dup}
	interval := time.Duration(m.Interval) * time.Second
	if interval == 0 {
		interval = 1800 * time.Second
	}
	if at, ok := f.recent[h]; ok && m.Dup == 1 && now.Sub(at) < interval {
		s.Duplicate = true
	} else {
		f.recent[h] = now
	}
	f.sends = append(f.sends, s)
	reply(w, map[string]any{"invaliduser": strings.Join(invalidUsers, "|"), "invalidparty": strings.Join(invalidParties, "|"),
		"invalidtag": "", "msgid": fmt.Sprintf("MSG-%d", len(f.sends))})
}

func (f *Server) webhook(w http.ResponseWriter, r *http.Request) {
	if f.failing(w) {
		return
	}
	key := r.URL.Query().Get("key")
	if key == "" || r.Method != http.MethodPost {
		reply(w, map[string]any{"errcode": 93000, "errmsg": "invalid webhook url"})
		return
	}
	var m struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&m); err != nil || m.MsgType != "markdown" || m.Markdown.Content == "" {
		reply(w, map[string]any{"errcode": 40008, "errmsg": "invalid message type"})
		return
	}
	if len(m.Markdown.Content) > 4096 {
		reply(w, map[string]any{"errcode": 40058, "errmsg": "content exceed max length 4096"})
		return
	}
	f.posts = append(f.posts, Post{Key: key, MsgType: m.MsgType, Content: m.Markdown.Content})
	reply(w, map[string]any{})
}

func splitBar(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Limits of message/send (发送应用消息) and of a text card.
const (
	MaxUsersPerMessage   = 1000 // touser: "最多支持1000个"
	MaxPartiesPerMessage = 100  // toparty: "最多支持100个"
	MaxTagsPerMessage    = 100  // totag: "最多支持100个"
	maxCardTitle         = 128  // bytes
	maxCardDescription   = 512  // bytes
	maxCardURL           = 2048 // bytes
	maxCardButton        = 4    // characters
	// DuplicateWindow is WeCom's duplicate check: the same request body
	// within this many seconds reaches nobody twice.
	DuplicateWindow = 1800
	// maxMarkdown bounds a group robot's markdown content in bytes.
	maxMarkdown = 4096
)

// Card is a text card (文本卡片消息): a title, a few lines, and a link that
// opens the item (signing the member in through snsapi_base on the way).
type Card struct {
	Title       string
	Description string // plain text; lines separated by \n
	URL         string // absolute
	Button      string // "详情" when empty
}

// Message is one application message to users (userids), parties
// (department ids) and tags; All sends to every member who can see the app
// (touser "@all").
type Message struct {
	ToUsers   []string `json:"to_users,omitempty"`
	ToParties []string `json:"to_parties,omitempty"`
	ToTags    []string `json:"to_tags,omitempty"`
	All       bool     `json:"all,omitempty"`
	Card      Card     `json:"card"`
}

// Recipients is how many addressees m names (users + parties + tags, or 1
// for @all).
func (m Message) Recipients() int {
	if m.All {
		return 1
	}
	return len(m.ToUsers) + len(m.ToParties) + len(m.ToTags)
}

// Split cuts m into messages within WeCom's per-request limits (1000 users,
// 100 parties, 100 tags), each with the same card; a message within the
// limits stays one message.
func (m Message) Split() []Message {
	if m.All {
		return []Message{{All: true, Card: m.Card}}
	}
	us, ps, ts := chunks(m.ToUsers, MaxUsersPerMessage), chunks(m.ToParties, MaxPartiesPerMessage), chunks(m.ToTags, MaxTagsPerMessage)
	out := make([]Message, max(len(us), len(ps), len(ts)))
	for i := range out {
		out[i].Card = m.Card
		if i < len(us) {
			out[i].ToUsers = us[i]
		}
		if i < len(ps) {
			out[i].ToParties = ps[i]
		}
		if i < len(ts) {
			out[i].ToTags = ts[i]
		}
	}
	return out
}

func chunks(s []string, n int) [][]string {
	var out [][]string
	for len(s) > 0 {
		k := min(n, len(s))
		out = append(out, s[:k])
		s = s[k:]
	}
	return out
}

// Result is what WeCom says about a sent message: the recipients it could
// not reach (not in the app's visible range, unknown, or unlicensed).
type Result struct {
	InvalidUsers    []string
	InvalidParties  []string
	InvalidTags     []string
	UnlicensedUsers []string
	MsgID           string
}

type textcardBody struct {
	ToUser                 string   `json:"touser,omitempty"`
	ToParty                string   `json:"toparty,omitempty"`
	ToTag                  string   `json:"totag,omitempty"`
	MsgType                string   `json:"msgtype"`
	AgentID                int64    `json:"agentid"`
	TextCard               textcard `json:"textcard"`
	EnableDuplicateCheck   int      `json:"enable_duplicate_check"`
	DuplicateCheckInterval int      `json:"duplicate_check_interval"`
}

type textcard struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url"`
	BtnTxt      string `json:"btntxt,omitempty"`
}

type sendAnswer struct {
	status
	InvalidUser    string `json:"invaliduser"`
	InvalidParty   string `json:"invalidparty"`
	InvalidTag     string `json:"invalidtag"`
	UnlicensedUser string `json:"unlicenseduser"`
	MsgID          string `json:"msgid"`
}

// ErrNoRecipients means a message names nobody.
var ErrNoRecipients = errors.New("wecom: message without recipients")

// Send sends m as a text card with WeCom's duplicate check on. m must be
// within the per-request limits (see Split). When every recipient is
// invalid WeCom answers 81013: the error is an *APIError and Result still
// lists them.
func (c *Client) Send(ctx context.Context, m Message) (Result, error) {
	if m.Recipients() == 0 {
		return Result{}, ErrNoRecipients
	}
	if len(m.ToUsers) > MaxUsersPerMessage || len(m.ToParties) > MaxPartiesPerMessage || len(m.ToTags) > MaxTagsPerMessage {
		return Result{}, fmt.Errorf("wecom: message/send: %d users, %d parties, %d tags: split it first", len(m.ToUsers), len(m.ToParties), len(m.ToTags))
	}
	if m.Card.URL == "" {
		return Result{}, errors.New("wecom: message/send: a text card needs a URL")
	}
	body := textcardBody{
		ToUser: strings.Join(m.ToUsers, "|"), ToParty: strings.Join(m.ToParties, "|"), ToTag: strings.Join(m.ToTags, "|"),
		MsgType: "textcard", AgentID: c.agentID,
		TextCard:             cardBody(m.Card),
		EnableDuplicateCheck: 1, DuplicateCheckInterval: DuplicateWindow,
	}
	if m.All {
		body.ToUser, body.ToParty, body.ToTag = "@all", "", ""
	}
	var ans sendAnswer
	err := c.call(ctx, http.MethodPost, "/cgi-bin/message/send", nil, body, &ans)
	res := Result{
		InvalidUsers: splitBar(ans.InvalidUser), InvalidParties: splitBar(ans.InvalidParty),
		InvalidTags: splitBar(ans.InvalidTag), UnlicensedUsers: splitBar(ans.UnlicensedUser), MsgID: ans.MsgID,
	}
	return res, err
}

// cardBody fits a card into WeCom's limits. The description of a text card
// is shown as simple HTML (div classes gray, normal, highlight), so text is
// escaped and each line becomes a div.
func cardBody(cd Card) textcard {
	title := clipBytes(oneLine(cd.Title), maxCardTitle)
	var lines []string
	budget := maxCardDescription
	for i, ln := range strings.Split(cd.Description, "\n") {
		ln = strings.TrimSpace(ln)
		if ln == "" {
			continue
		}
		class := "normal"
		if i == 0 {
			class = "gray"
		}
		open, end := `<div class="`+class+`">`, "</div>"
		room := budget - len(open) - len(end)
		if room <= len("…") {
			break
		}
		text := html.EscapeString(ln)
		if len(text) > room {
			text = html.EscapeString(clipBytes(ln, room-20)) // escaping may grow the text: keep slack
			if len(text) > room {
				break
			}
		}
		lines = append(lines, open+text+end)
		budget -= len(open) + len(text) + len(end)
	}
	btn := cd.Button
	if btn == "" {
		btn = "详情"
	}
	if utf8.RuneCountInString(btn) > maxCardButton {
		btn = string([]rune(btn)[:maxCardButton])
	}
	u := cd.URL
	if len(u) > maxCardURL {
		u = u[:maxCardURL]
	}
	return textcard{Title: title, Description: strings.Join(lines, ""), URL: u, BtnTxt: btn}
}

// oneLine folds whitespace runs (newlines included) into single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// clipBytes cuts s to at most n bytes on a rune boundary, ending in "…"
// when it was cut.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ell = "…"
	cut := n - len(ell)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if cut <= 0 {
		return ""
	}
	return s[:cut] + ell
}

func splitBar(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// webhookKeyRE is the shape of a group robot's key.
var webhookKeyRE = regexp.MustCompile(`^[A-Za-z0-9-]{8,64}$`)

// CheckWebhook reports whether raw is a group robot webhook of this WeCom
// (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…): a pasted link
// to anywhere else would make the portal post announcements there.
func (c *Client) CheckWebhook(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return fmt.Errorf("wecom: webhook: %w", err)
	}
	base, _ := url.Parse(c.apiBase) // checked by NewClient
	switch {
	case u.Scheme != base.Scheme || u.Host != base.Host:
		return fmt.Errorf("wecom: webhook must start with %s/cgi-bin/webhook/send", c.apiBase)
	case u.Path != "/cgi-bin/webhook/send":
		return errors.New("wecom: webhook path must be /cgi-bin/webhook/send")
	case !webhookKeyRE.MatchString(u.Query().Get("key")):
		return errors.New("wecom: webhook needs its key=… parameter")
	case u.User != nil || u.Fragment != "":
		return errors.New("wecom: webhook has extra parts")
	}
	return nil
}

// PostMarkdown posts a markdown message through a group robot webhook
// (群机器人). content is cut to WeCom's 4096 bytes.
func (c *Client) PostMarkdown(ctx context.Context, webhook, content string) error {
	if err := c.CheckWebhook(webhook); err != nil {
		return err
	}
	body := map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": clipBytes(content, maxMarkdown)}}
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("wecom: webhook: encode: %w", err)
	}
	return c.do(ctx, http.MethodPost, strings.TrimSpace(webhook), "/cgi-bin/webhook/send", payload, nil)
}

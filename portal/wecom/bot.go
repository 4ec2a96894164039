package wecom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jinnang/jinnang/portal/store"
	"github.com/jinnang/jinnang/portal/store/record"
)

// Bot limits.
const (
	// BotHits is how many results a keyword reply shows.
	BotHits       = 3
	maxQueryRunes = 50
	maxSummary    = 60 // runes of a hit's description
	welcomePrefix = "wecom/welcomed/"
)

// Hit is one search result the bot can show: a wisdom pack or a file.
type Hit struct {
	Kind       string // "pack", "file"
	Title      string
	Summary    string
	URL        string // portal path, e.g. /packs/expense-reimbursement
	Department string
}

// Searcher is the search the bot asks (the portal's packs and files).
type Searcher interface {
	Search(ctx context.Context, text string, limit int) ([]Hit, error)
}

// BotOptions configure a Bot.
type BotOptions struct {
	// Search finds packs and files for a keyword (required).
	Search Searcher
	// BaseURL is the portal's absolute address for links (required).
	BaseURL string
	// Ask names the department to ask when nothing is found for text (by
	// the member userID); "" when it cannot tell.
	Ask func(ctx context.Context, text, userID string) string
	// Welcome returns articles for a member entering the app (their
	// reading path, …), after the portal's own welcome; nil for none.
	Welcome func(ctx context.Context, userID string) []Article
	// Store, when set, limits the welcome card to once a day per member.
	Store store.Store
	Now   func() time.Time
	Log   *slog.Logger
}

// Bot is the keyword bot (关键词回复): a member sends 报销单 or 年假怎么算 to
// the app and gets the top hits back as a news message, or a friendly
// "没有找到" with the department to ask.
type Bot struct {
	opts BotOptions
	base string
	log  *slog.Logger
}

var _ Responder = (*Bot)(nil)

// NewBot checks opts and returns a Bot.
func NewBot(opts BotOptions) (*Bot, error) {
	if opts.Search == nil {
		return nil, errors.New("wecom: bot needs a Searcher")
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("wecom: bot needs the portal's absolute base URL, got %q", opts.BaseURL)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	return &Bot{opts: opts, base: strings.TrimRight(opts.BaseURL, "/"), log: log}, nil
}

// Respond answers one message or event.
func (b *Bot) Respond(ctx context.Context, in *Incoming) (*Reply, error) {
	switch {
	case in.MsgType == "text":
		return b.keyword(ctx, in), nil
	case in.MsgType == "event" && (in.Event == "enter_agent" || in.Event == "subscribe"):
		return b.welcome(ctx, in), nil
	case in.MsgType == "event":
		return nil, nil // other events (location, click, …) need no answer
	default:
		return &Reply{Text: "锦囊目前只认识文字：发一个关键词试试，比如“报销单”或“年假怎么算”。"}, nil
	}
}

func (b *Bot) link(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return b.base + path
}

// keyword searches and answers with the top hits.
func (b *Bot) keyword(ctx context.Context, in *Incoming) *Reply {
	text := strings.Join(strings.Fields(in.Content), " ")
	if text == "" {
		return &Reply{Text: "发一个关键词给我，比如“报销单”或“年假怎么算”，我把相关的锦囊和资料找给你。"}
	}
	if utf8.RuneCountInString(text) > maxQueryRunes {
		text = string([]rune(text)[:maxQueryRunes])
	}
	hits, err := b.opts.Search.Search(ctx, text, BotHits)
	if q := keywords(text); err == nil && len(hits) == 0 && q != "" && q != text {
		// People ask whole questions (年假怎么算): try again with the
		// question words dropped (年假).
		hits, err = b.opts.Search.Search(ctx, q, BotHits)
	}
	if err != nil {
		b.log.Warn("keyword bot: search failed", "err", err)
		return &Reply{Text: fmt.Sprintf("搜索暂时不可用，请稍后再试，或打开门户搜索：%s", b.link("/search?"+url.Values{"q": {text}}.Encode()))}
	}
	if len(hits) == 0 {
		msg := fmt.Sprintf("没有找到“%s”相关的锦囊或资料。", text)
		dept := ""
		if b.opts.Ask != nil {
			dept = b.opts.Ask(ctx, text, in.FromUserName)
		}
		if dept != "" {
			msg += fmt.Sprintf("可以问问%s：%s", dept, b.link("/departments/"+url.PathEscape(dept)))
		} else {
			msg += "换个说法试试，或在门户里提问：" + b.link("/search?"+url.Values{"q": {text}}.Encode())
		}
		return &Reply{Text: msg}
	}
	rep := &Reply{}
	for _, h := range hits[:min(len(hits), BotHits)] {
		desc := strings.Join(strings.Fields(h.Summary), " ")
		if utf8.RuneCountInString(desc) > maxSummary {
			desc = string([]rune(desc)[:maxSummary]) + "…"
		}
		label := "锦囊"
		if h.Kind == "file" {
			label = "资料"
		}
		if h.Department != "" {
			label += " · " + h.Department
		}
		if desc != "" {
			desc = label + "\n" + desc
		} else {
			desc = label
		}
		rep.Articles = append(rep.Articles, Article{Title: h.Title, Description: desc, URL: b.link(h.URL)})
	}
	return rep
}

// welcome greets a member entering the app, once a day.
func (b *Bot) welcome(ctx context.Context, in *Incoming) *Reply {
	if b.opts.Store != nil && in.FromUserName != "" {
		sum := sha256.Sum256([]byte(in.FromUserName))
		key := welcomePrefix + b.opts.Now().Format("20060102") + "/" + hex.EncodeToString(sum[:16]) + ".json"
		_, err := record.Write(ctx, b.opts.Store, key, map[string]bool{"welcomed": true}, store.PutOptions{IfNoneMatch: true})
		if errors.Is(err, store.ErrPrecondition) {
			return nil // greeted today already
		}
		if err != nil {
			b.log.Warn("keyword bot: welcome marker", "err", err)
		}
	}
	rep := &Reply{Articles: []Article{{
		Title:       "欢迎来到锦囊",
		Description: "老同事的经验、部门的模板和资料都在这里。直接发关键词给我，比如“报销单”或“年假怎么算”。",
		URL:         b.link("/"),
	}}}
	if b.opts.Welcome != nil {
		for _, a := range b.opts.Welcome(ctx, in.FromUserName) {
			a.URL = b.link(a.URL)
			rep.Articles = append(rep.Articles, a)
		}
	}
	if len(rep.Articles) > maxArticles {
		rep.Articles = rep.Articles[:maxArticles]
	}
	return rep
}

// Sweep deletes the welcome markers of past days (it looks at the week
// before yesterday) and returns how many it deleted.
func (b *Bot) Sweep(ctx context.Context) (int, error) {
	if b.opts.Store == nil {
		return 0, nil
	}
	n := 0
	for d := 2; d <= 9; d++ {
		prefix := welcomePrefix + b.opts.Now().AddDate(0, 0, -d).Format("20060102") + "/"
		for obj, err := range b.opts.Store.List(ctx, prefix) {
			if err != nil {
				return n, fmt.Errorf("keyword bot: sweep: %w", err)
			}
			if err := b.opts.Store.Delete(ctx, obj.Key); err != nil {
				return n, fmt.Errorf("keyword bot: sweep: %w", err)
			}
			n++
		}
	}
	return n, nil
}

// questionWords are the words that make a keyword a question; they carry
// no meaning for the search. Longest first.
var questionWords = []string{"怎么办理", "怎么申请", "怎么计算", "为什么", "是什么", "怎么算", "怎么办", "怎么填", "怎么弄", "怎么样",
	"在哪里", "在哪儿", "有哪些", "多少钱", "如何", "怎么", "怎样", "哪里", "在哪", "什么", "多少", "多久", "请问",
	"一下", "吗", "呢", "啊", "呀", "？", "?", "！", "!", "。", "，", ","}

// keywords is text without question words and punctuation.
func keywords(text string) string {
	for _, w := range questionWords {
		text = strings.ReplaceAll(text, w, " ")
	}
	return strings.Join(strings.Fields(text), " ")
}

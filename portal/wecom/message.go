package wecom

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"time"
)

// Incoming is a decrypted message or event a member sent to the app
// (接收消息与事件): the fields Jinnang reads.
type Incoming struct {
	ToUserName   string `xml:"ToUserName"`   // the corp id
	FromUserName string `xml:"FromUserName"` // the member's userid
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"` // text, image, event, …
	Content      string `xml:"Content"` // text messages
	MsgID        string `xml:"MsgId"`
	AgentID      string `xml:"AgentID"`
	Event        string `xml:"Event"` // events: enter_agent, subscribe, click, …
	EventKey     string `xml:"EventKey"`
}

// ParseMessage decodes a decrypted callback message.
func ParseMessage(b []byte) (*Incoming, error) {
	var m Incoming
	if err := decodeXML(b, &m); err != nil {
		return nil, fmt.Errorf("%w: message: %w", ErrMalformed, err)
	}
	return &m, nil
}

// Article is one item of a news reply (图文消息): at most 8 per reply.
type Article struct {
	Title       string
	Description string
	URL         string
	PicURL      string
}

// Reply is a passive reply to a member's message: text, or news when
// Articles is not empty.
type Reply struct {
	Text     string
	Articles []Article
}

// maxArticles is WeCom's limit on a news reply.
const maxArticles = 8

type replyXML struct {
	XMLName      xml.Name     `xml:"xml"`
	ToUserName   cdata        `xml:"ToUserName"`
	FromUserName cdata        `xml:"FromUserName"`
	CreateTime   int64        `xml:"CreateTime"`
	MsgType      cdata        `xml:"MsgType"`
	Content      *cdata       `xml:"Content,omitempty"`
	ArticleCount int          `xml:"ArticleCount,omitempty"`
	Articles     *articlesXML `xml:"Articles,omitempty"`
}

type articlesXML struct {
	Items []articleXML `xml:"item"`
}

type articleXML struct {
	Title       cdata `xml:"Title"`
	Description cdata `xml:"Description"`
	PicURL      cdata `xml:"PicUrl"`
	URL         cdata `xml:"Url"`
}

// Marshal renders r as the plaintext XML of a passive reply to member
// (userid) from corp at now.
func (r Reply) Marshal(member, corp string, now time.Time) ([]byte, error) {
	x := replyXML{ToUserName: cdata{member}, FromUserName: cdata{corp}, CreateTime: now.Unix()}
	if len(r.Articles) == 0 {
		x.MsgType = cdata{"text"}
		x.Content = &cdata{r.Text}
	} else {
		x.MsgType = cdata{"news"}
		arts := r.Articles[:min(len(r.Articles), maxArticles)]
		x.ArticleCount = len(arts)
		x.Articles = &articlesXML{}
		for _, a := range arts {
			x.Articles.Items = append(x.Articles.Items, articleXML{Title: cdata{a.Title}, Description: cdata{a.Description},
				PicURL: cdata{a.PicURL}, URL: cdata{a.URL}})
		}
	}
	return xml.Marshal(x)
}

// ParseReply decodes a plaintext passive reply (the fake WeCom's client
// and tests read what the portal answered).
func ParseReply(b []byte) (Reply, string, error) {
	var x struct {
		ToUserName string `xml:"ToUserName"`
		MsgType    string `xml:"MsgType"`
		Content    string `xml:"Content"`
		Articles   struct {
			Items []struct {
				Title       string `xml:"Title"`
				Description string `xml:"Description"`
				PicURL      string `xml:"PicUrl"`
				URL         string `xml:"Url"`
			} `xml:"item"`
		} `xml:"Articles"`
	}
	if err := decodeXML(b, &x); err != nil {
		return Reply{}, "", fmt.Errorf("%w: reply: %w", ErrMalformed, err)
	}
	r := Reply{Text: x.Content}
	for _, it := range x.Articles.Items {
		r.Articles = append(r.Articles, Article{Title: it.Title, Description: it.Description, URL: it.URL, PicURL: it.PicURL})
	}
	if x.MsgType != "text" && x.MsgType != "news" {
		return r, x.ToUserName, fmt.Errorf("%w: reply type %q", ErrMalformed, x.MsgType)
	}
	return r, x.ToUserName, nil
}

// XML renders a member's message as WeCom sends it (plaintext,
// before encryption): for the fake server's client and tests.
func (m Incoming) XML() []byte {
	type msgXML struct {
		XMLName      xml.Name `xml:"xml"`
		ToUserName   cdata    `xml:"ToUserName"`
		FromUserName cdata    `xml:"FromUserName"`
		CreateTime   int64    `xml:"CreateTime"`
		MsgType      cdata    `xml:"MsgType"`
		Content      *cdata   `xml:"Content,omitempty"`
		MsgID        string   `xml:"MsgId,omitempty"`
		Event        *cdata   `xml:"Event,omitempty"`
		EventKey     *cdata   `xml:"EventKey,omitempty"`
		AgentID      string   `xml:"AgentID"`
	}
	x := msgXML{ToUserName: cdata{m.ToUserName}, FromUserName: cdata{m.FromUserName}, CreateTime: m.CreateTime,
		MsgType: cdata{m.MsgType}, MsgID: m.MsgID, AgentID: m.AgentID}
	if m.MsgType == "text" {
		x.Content = &cdata{m.Content}
	}
	if m.Event != "" {
		x.Event = &cdata{m.Event}
		x.EventKey = &cdata{m.EventKey}
	}
	b, _ := xml.Marshal(x) // a struct of strings always marshals
	return b
}

// timestampOf parses a callback timestamp (decimal Unix seconds).
func timestampOf(s string) (time.Time, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.Unix(n, 0), true
}

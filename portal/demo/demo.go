// Package demo seeds a first-run portal with a few example stories, a poll,
// an announcement and a suggestion box (content/demo/demo.yaml), so a new
// installation does not open on empty pages. Every item is marked as a demo.
package demo

import (
	"context"
	"fmt"
	"io/fs"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/jinnang/jinnang/portal/announce"
	"github.com/jinnang/jinnang/portal/polls"
	"github.com/jinnang/jinnang/portal/stories"
	"github.com/jinnang/jinnang/portal/suggest"
)

// File is the path of the demo content inside the content FS.
const File = "demo/demo.yaml"

type person struct {
	ID         string `yaml:"id"`
	Name       string `yaml:"name"`
	Department string `yaml:"department"`
}

// Content is the parsed demo file.
type Content struct {
	Author  person `yaml:"author"`
	Stories []struct {
		Author person `yaml:"author"`
		Text   string `yaml:"text"`
	} `yaml:"stories"`
	Poll struct {
		Title     string `yaml:"title"`
		Intro     string `yaml:"intro"`
		Days      int    `yaml:"days"`
		Questions []struct {
			Text     string   `yaml:"text"`
			Kind     string   `yaml:"kind"`
			Options  []string `yaml:"options"`
			Optional bool     `yaml:"optional"`
		} `yaml:"questions"`
	} `yaml:"poll"`
	Announcement struct {
		Title string `yaml:"title"`
		Body  string `yaml:"body"`
	} `yaml:"announcement"`
	Box struct {
		Title      string   `yaml:"title"`
		Intro      string   `yaml:"intro"`
		Categories []string `yaml:"categories"`
	} `yaml:"box"`
}

// Services are where the demo items go; a nil one is skipped.
type Services struct {
	Stories  *stories.Service
	Polls    *polls.Service
	Announce *announce.Service
	Suggest  *suggest.Service
	Now      func() time.Time
}

// Counts says how many items Seed created.
type Counts struct{ Stories, Polls, Announcements, Boxes int }

// Seed reads content/demo/demo.yaml and creates its items. The caller runs
// it only on the first run of an empty store. A missing file seeds nothing.
func Seed(ctx context.Context, content fs.FS, svc Services) (Counts, error) {
	var n Counts
	src, err := fs.ReadFile(content, File)
	if err != nil {
		return n, nil //nolint:nilerr // no demo file: nothing to seed
	}
	var c Content
	if err := yaml.Unmarshal(src, &c); err != nil {
		return n, fmt.Errorf("demo: %s: %w", File, err)
	}
	now := time.Now
	if svc.Now != nil {
		now = svc.Now
	}
	if svc.Stories != nil {
		for _, s := range c.Stories {
			a := stories.Author{ID: s.Author.ID, Name: s.Author.Name, Department: s.Author.Department}
			if _, err := svc.Stories.Create(ctx, stories.NewStory{Author: a, Text: s.Text}); err != nil {
				return n, fmt.Errorf("demo story: %w", err)
			}
			n.Stories++
		}
	}
	if svc.Polls != nil && c.Poll.Title != "" {
		p := polls.Poll{Title: c.Poll.Title, Intro: c.Poll.Intro, Mode: polls.Anonymous, Owner: c.Author.ID,
			Deadline: now().AddDate(0, 0, max(c.Poll.Days, 1))}
		for _, q := range c.Poll.Questions {
			p.Questions = append(p.Questions, polls.Question{Text: q.Text, Kind: polls.Kind(q.Kind), Options: q.Options, Optional: q.Optional})
		}
		if _, err := svc.Polls.Create(ctx, p); err != nil {
			return n, fmt.Errorf("demo poll: %w", err)
		}
		n.Polls++
	}
	if svc.Announce != nil && c.Announcement.Title != "" {
		in := announce.Input{Title: c.Announcement.Title, Body: c.Announcement.Body, Everyone: true, Confirm: true,
			By: c.Author.ID, ByName: c.Author.Name}
		if _, err := svc.Announce.Create(ctx, in); err != nil {
			return n, fmt.Errorf("demo announcement: %w", err)
		}
		n.Announcements++
	}
	if svc.Suggest != nil && c.Box.Title != "" {
		if _, err := svc.Suggest.CreateBox(ctx, c.Box.Title, c.Box.Intro, c.Box.Categories); err != nil {
			return n, fmt.Errorf("demo suggestion box: %w", err)
		}
		n.Boxes++
	}
	return n, nil
}

// Package dev is the demo sign-in for `go run .`: a local page lists a few
// made-up employees and whoever opens it may act as any of them. It must
// never be enabled on a deployment that real people use.
package dev

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/jinnang/jinnang/portal/auth"
)

// people are the demo employees, one per role the portal knows.
var people = []auth.Identity{
	{Provider: "dev", Subject: "zhangwei", Name: "张伟", Department: "人力资源部"},
	{Provider: "dev", Subject: "wangmin", Name: "王敏", Department: "财务部"},
	{Provider: "dev", Subject: "liuyang", Name: "刘洋", Department: "技术部"},
	{Provider: "dev", Subject: "lina", Name: "李娜", Department: "行政部"},
	{Provider: "dev", Subject: "chenchen", Name: "陈晨", Department: "销售部"},
}

// RolesYAML maps the demo people to roles, in the format auth.ParseRoles
// reads: 张伟 is admin, 王敏 edits 财务部, 刘洋 edits 技术部, 李娜 is
// moderator and 陈晨 is an ordinary employee. The wiring uses it when the dev
// provider runs without a roles file.
const RolesYAML = `# Roles of the demo people of the dev sign-in.
admins:
  - "dev:zhangwei"
moderators:
  - "dev:lina"
editors:
  财务部:
    - "dev:wangmin"
  技术部:
    - "dev:liuyang"
`

// Provider is the demo sign-in provider. It is safe for concurrent use.
type Provider struct {
	people []auth.Identity
}

var _ auth.Provider = (*Provider)(nil)

// New returns the demo provider.
func New() *Provider { return &Provider{people: people} }

// Name returns "dev".
func (p *Provider) Name() string { return "dev" }

// Users returns the demo people, with Chinese names and departments.
func (p *Provider) Users() []auth.Identity {
	out := make([]auth.Identity, len(p.people))
	for i, id := range p.people {
		id.Groups = slices.Clone(id.Groups)
		out[i] = id
	}
	return out
}

// Start returns the local picker page, carrying the state.
func (p *Provider) Start(_ context.Context, state string, _ *http.Request) (string, error) {
	if state == "" {
		return "", errors.New("dev: empty state")
	}
	return "/auth/dev?state=" + url.QueryEscape(state), nil
}

// Finish reads the POSTed form field "user" (a Subject from Users) and
// returns that person; anything else is auth.ErrDenied.
func (p *Provider) Finish(_ context.Context, r *http.Request) (auth.Identity, error) {
	if r.Method != http.MethodPost {
		return auth.Identity{}, fmt.Errorf("dev: sign-in must be a POST: %w", auth.ErrRetry)
	}
	if err := r.ParseForm(); err != nil {
		return auth.Identity{}, fmt.Errorf("dev: read form: %v: %w", err, auth.ErrRetry)
	}
	sub := r.PostForm.Get("user")
	for _, id := range p.people {
		if id.Subject == sub {
			id.Groups = slices.Clone(id.Groups)
			return id, nil
		}
	}
	return auth.Identity{}, fmt.Errorf("dev: no demo person %q: %w", sub, auth.ErrDenied)
}

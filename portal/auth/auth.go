// Package auth is identity in Jinnang: who is acting, what they may do, and
// the session that remembers them. Sign-in providers (wecom, oidc, header,
// dev) turn a request into an Identity; Roles maps it to a User; Sessions
// keeps the user in the object store so portal processes stay stateless.
//
// Nothing here imports echo: the web layer adapts it at the handler edge.
package auth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"
)

// Role is a coarse permission level.
type Role string

// The roles, from least to most powerful. Editor is per department.
const (
	RoleEmployee  Role = "employee"
	RoleEditor    Role = "editor"
	RoleModerator Role = "moderator"
	RoleAdmin     Role = "admin"
)

// Identity is what a provider learned about the person signing in.
type Identity struct {
	Provider   string   // "wecom", "oidc", "header", "dev"
	Subject    string   // stable id at the provider (WeCom userid, OIDC sub, header value)
	Name       string   // display name, may be empty (then Subject is shown)
	Department string   // may be empty; Roles can fill it from config
	Groups     []string // IdP groups (oidc groups claim), mapped to roles by Roles
}

// User is the signed-in person as the rest of Jinnang sees them.
type User struct {
	ID         string   `json:"id"` // Provider + ":" + Subject, e.g. "wecom:ZhangSan"
	Name       string   `json:"name"`
	Department string   `json:"department"`
	Admin      bool     `json:"admin"`
	Moderator  bool     `json:"moderator"`
	EditorOf   []string `json:"editor_of"` // departments whose packs and files the user edits
}

// CanEdit reports whether u may write content of the department.
func (u *User) CanEdit(department string) bool {
	return u != nil && (u.Admin || slices.Contains(u.EditorOf, department))
}

// IsEditor reports whether u edits at least one department (or is admin).
func (u *User) IsEditor() bool { return u != nil && (u.Admin || len(u.EditorOf) > 0) }

// CanModerate reports whether u may moderate community content.
func (u *User) CanModerate() bool { return u != nil && (u.Admin || u.Moderator) }

// IsAdmin reports whether u is an administrator.
func (u *User) IsAdmin() bool { return u != nil && u.Admin }

// Roles lists u's roles for display, most powerful first.
func (u *User) Roles() []Role {
	if u == nil {
		return nil
	}
	var r []Role
	if u.Admin {
		r = append(r, RoleAdmin)
	}
	if u.Moderator {
		r = append(r, RoleModerator)
	}
	if len(u.EditorOf) > 0 {
		r = append(r, RoleEditor)
	}
	return append(r, RoleEmployee)
}

// Errors of sign-in and sessions.
var (
	// ErrNoSession means the request carries no valid session (absent,
	// unknown, expired or logged out).
	ErrNoSession = errors.New("auth: no session")
	// ErrRetry means sign-in failed in a way the user can retry (a reused or
	// expired code, a clock-skewed state); the page offers "try again".
	ErrRetry = errors.New("auth: sign-in failed, try again")
	// ErrDenied means the provider refused the person (not in the company,
	// app not visible to them, untrusted proxy).
	ErrDenied = errors.New("auth: sign-in denied")
)

// Provider turns a sign-in round trip into an Identity.
//
// Redirect providers (wecom, oidc) implement Start and Finish: Start returns the
// URL to send the browser to, carrying the opaque state the caller made
// (signed, single-use, holding where to return); Finish reads the callback
// request and returns the identity. Providers that need no round trip (header)
// return ErrNotInteractive from Start and implement Authenticate instead.
type Provider interface {
	Name() string
	Start(ctx context.Context, state string, r *http.Request) (redirectURL string, err error)
	Finish(ctx context.Context, r *http.Request) (Identity, error)
}

// Authenticator is implemented by providers that read identity from every
// request (the trusted reverse-proxy header).
type Authenticator interface {
	Authenticate(r *http.Request) (Identity, bool, error)
}

// ErrNotInteractive is returned by Start of providers without a login flow.
var ErrNotInteractive = errors.New("auth: provider has no interactive sign-in")

// Clock returns the current time; tests pass a fake.
type Clock func() time.Time

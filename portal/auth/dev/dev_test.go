package dev

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/jinnang/jinnang/portal/auth"
)

func post(form url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/auth/callback", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func TestStart(t *testing.T) {
	p := New()
	got, err := p.Start(context.Background(), "a b/c+d=", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "/auth/dev?state=a+b%2Fc%2Bd%3D"; got != want {
		t.Errorf("Start = %q, want %q", got, want)
	}
	u, err := url.Parse(got)
	if err != nil || u.Query().Get("state") != "a b/c+d=" {
		t.Errorf("state does not round-trip: %v", err)
	}
	if _, err := p.Start(context.Background(), "", nil); err == nil {
		t.Error("Start accepted an empty state")
	}
}

func TestFinish(t *testing.T) {
	p := New()
	id, err := p.Finish(context.Background(), post(url.Values{"user": {"wangmin"}}))
	if err != nil {
		t.Fatal(err)
	}
	if id.Provider != "dev" || id.Subject != "wangmin" || id.Name != "王敏" || id.Department != "财务部" {
		t.Errorf("identity = %+v", id)
	}
	for _, form := range []url.Values{{"user": {"nobody"}}, {"user": {""}}, {}, {"user": {"ZhangWei"}}} {
		if id, err := p.Finish(context.Background(), post(form)); !errors.Is(err, auth.ErrDenied) {
			t.Errorf("form %v: identity %+v, err %v, want ErrDenied", form, id, err)
		}
	}
	// The user must come from the POST body, not the query string.
	r := httptest.NewRequest(http.MethodGet, "/auth/callback?user=zhangwei", nil)
	if _, err := p.Finish(context.Background(), r); err == nil {
		t.Error("Finish accepted a GET with the user in the query")
	}
}

func TestUsers(t *testing.T) {
	p := New()
	users := p.Users()
	want := map[string][2]string{
		"zhangwei": {"张伟", "人力资源部"},
		"wangmin":  {"王敏", "财务部"},
		"liuyang":  {"刘洋", "技术部"},
		"lina":     {"李娜", "行政部"},
		"chenchen": {"陈晨", "销售部"},
	}
	for sub, nd := range want {
		i := slices.IndexFunc(users, func(id auth.Identity) bool { return id.Subject == sub })
		if i < 0 {
			t.Errorf("missing demo person %s", sub)
			continue
		}
		if users[i].Name != nd[0] || users[i].Department != nd[1] || users[i].Provider != "dev" {
			t.Errorf("%s = %+v, want %v", sub, users[i], nd)
		}
	}
	users[0].Name = "changed"
	if p.Users()[0].Name == "changed" {
		t.Error("Users returns the provider's own slice")
	}
}

func TestRolesYAML(t *testing.T) {
	var roles struct {
		Admins     []string            `yaml:"admins"`
		Moderators []string            `yaml:"moderators"`
		Editors    map[string][]string `yaml:"editors"`
	}
	if err := yaml.UnmarshalWithOptions([]byte(RolesYAML), &roles, yaml.DisallowUnknownField()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(roles.Admins, []string{"dev:zhangwei"}) || !slices.Equal(roles.Moderators, []string{"dev:lina"}) ||
		!slices.Equal(roles.Editors["财务部"], []string{"dev:wangmin"}) || !slices.Equal(roles.Editors["技术部"], []string{"dev:liuyang"}) ||
		len(roles.Editors) != 2 {
		t.Errorf("roles = %+v", roles)
	}
	// Every id names a demo person.
	ids := slices.Concat(roles.Admins, roles.Moderators, roles.Editors["财务部"], roles.Editors["技术部"])
	for _, id := range ids {
		sub, ok := strings.CutPrefix(id, "dev:")
		if !ok || !slices.ContainsFunc(New().Users(), func(u auth.Identity) bool { return u.Subject == sub }) {
			t.Errorf("roles id %q is not a demo person", id)
		}
	}
}

package auth

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const rolesYAML = `# who may do what
admins: [dev:zhangwei, wecom:ZhangWei]
moderators:
  - wecom:LiNa
editors:
  财务部: [wecom:WangMin, "oidc:1234"]
  技术部:
    - oidc:1234
    - wecom:WangMin
    - oidc:1234
groups: {jinnang-admins: [admin], finance-editors: ["editor:财务部"], mods: [moderator], both: ["editor:技术部", "editor:财务部"]}
departments:
  wecom:WangMin: 财务部
  "wecom:LiNa": 人事部
`

func TestRolesUser(t *testing.T) {
	r, err := ParseRoles("roles.yaml", []byte(rolesYAML))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   Identity
		want User
	}{
		{"admin by id", Identity{Provider: "wecom", Subject: "ZhangWei", Name: "张伟"},
			User{ID: "wecom:ZhangWei", Name: "张伟", Admin: true}},
		{"name falls back to subject", Identity{Provider: "dev", Subject: "zhangwei"},
			User{ID: "dev:zhangwei", Name: "zhangwei", Admin: true}},
		{"id match is exact", Identity{Provider: "wecom", Subject: "zhangwei"},
			User{ID: "wecom:zhangwei", Name: "zhangwei"}},
		{"moderator, department from map", Identity{Provider: "wecom", Subject: "LiNa", Name: "李娜"},
			User{ID: "wecom:LiNa", Name: "李娜", Department: "人事部", Moderator: true}},
		{"editor of two, sorted and unique", Identity{Provider: "wecom", Subject: "WangMin", Name: "王敏"},
			User{ID: "wecom:WangMin", Name: "王敏", Department: "财务部", EditorOf: []string{"技术部", "财务部"}}},
		{"identity department wins", Identity{Provider: "wecom", Subject: "WangMin", Department: "总经办"},
			User{ID: "wecom:WangMin", Name: "WangMin", Department: "总经办", EditorOf: []string{"技术部", "财务部"}}},
		{"groups", Identity{Provider: "oidc", Subject: "99", Groups: []string{"mods", "both", "finance-editors", "unknown"}},
			User{ID: "oidc:99", Name: "99", Moderator: true, EditorOf: []string{"技术部", "财务部"}}},
		{"group admin", Identity{Provider: "header", Subject: "ops", Groups: []string{"jinnang-admins"}},
			User{ID: "header:ops", Name: "ops", Admin: true}},
		{"group names are exact", Identity{Provider: "oidc", Subject: "1", Groups: []string{"Jinnang-Admins"}},
			User{ID: "oidc:1", Name: "1"}},
		{"employee", Identity{Provider: "wecom", Subject: "Nobody", Name: "路人"},
			User{ID: "wecom:Nobody", Name: "路人"}},
	}
	for _, tt := range tests {
		got := r.User(tt.id)
		if got.ID != tt.want.ID || got.Name != tt.want.Name || got.Department != tt.want.Department ||
			got.Admin != tt.want.Admin || got.Moderator != tt.want.Moderator || !slices.Equal(got.EditorOf, tt.want.EditorOf) {
			t.Errorf("%s: User = %+v, want %+v", tt.name, got, tt.want)
		}
	}
	if !slices.IsSorted(r.User(Identity{Provider: "oidc", Subject: "1234"}).EditorOf) {
		t.Error("EditorOf not sorted")
	}
}

func TestRolesEmpty(t *testing.T) {
	for _, src := range []string{"", "# nothing yet\n", "admins:\nmoderators: []\neditors: {}\n"} {
		r, err := ParseRoles("roles.yaml", []byte(src))
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		u := r.User(Identity{Provider: "wecom", Subject: "ZhangWei"})
		if u.Admin || u.Moderator || len(u.EditorOf) > 0 {
			t.Errorf("%q: %+v has roles", src, u)
		}
	}
	r, err := LoadRoles("")
	if err != nil {
		t.Fatal(err)
	}
	if got := r.User(Identity{Provider: "dev", Subject: "x"}); got.IsEditor() || got.CanModerate() {
		t.Errorf("LoadRoles(\"\") gave roles: %+v", got)
	}
	var nilRoles *Roles
	if got := nilRoles.User(Identity{Provider: "dev", Subject: "x"}); got.ID != "dev:x" || got.IsAdmin() {
		t.Errorf("nil Roles: %+v", got)
	}
}

func TestRolesErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"unknown key", "admins: []\nadmin: [wecom:X]\n", `roles.yaml:2: unknown key "admin"`},
		{"unknown role", "groups:\n  g:\n    - admin\n    - superuser\n", `roles.yaml:4: unknown role "superuser"`},
		{"editor without department", "groups:\n  g: [\"editor:\"]\n", `roles.yaml:2: unknown role "editor:"`},
		{"unknown provider", "admins:\n  - wecon:ZhangWei\n", `roles.yaml:2: user ID "wecon:ZhangWei"`},
		{"id without subject", "moderators: [\"wecom:\"]\n", `roles.yaml:1: user ID "wecom:"`},
		{"id without provider", "\n\nadmins: [ZhangWei]\n", `roles.yaml:3: user ID "ZhangWei"`},
		{"unquoted id in nested flow", "editors: {财务部: [wecom:WangMin]}\n", `roles.yaml:1: expected a user ID`},
		{"unquoted id as flow key", "departments: {wecom:WangMin: 财务部}\n", `roles.yaml:1: user ID "wecom"`},
		{"list where mapping", "editors: [wecom:X]\n", `roles.yaml:1: editors: expected a mapping`},
		{"mapping where list", "admins:\n  wecom:X: yes\n", `roles.yaml:2: admins: expected a list`},
		{"bool id", "admins: [true]\n", `roles.yaml:1: expected a user ID`},
		{"empty department", "departments:\n  wecom:X: \"\"\n", `roles.yaml:2: department ""`},
		{"duplicate key", "admins: []\nadmins: []\n", `roles.yaml:2:`},
		{"syntax", "admins: [wecom:X\n", `roles.yaml:1:`},
		{"top level list", "- admin\n", `roles.yaml:1: the top level: expected a mapping`},
		{"two documents", "admins: []\n---\nadmins: []\n", `roles.yaml:3: one YAML document expected`},
		{"alias", "admins: &a [wecom:X]\nmoderators: *a\n", `roles.yaml:2: moderators: expected a list`},
	}
	for _, tt := range tests {
		_, err := ParseRoles("roles.yaml", []byte(tt.src))
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %q, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

func TestLoadRoles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roles.yaml")
	if err := os.WriteFile(path, []byte("admins: [dev:zhangwei]\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRoles(path); err == nil || !strings.Contains(err.Error(), path+":2: unknown key") {
		t.Errorf("LoadRoles = %v, want the file and line", err)
	}
	if err := os.WriteFile(path, []byte(rolesYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := LoadRoles(path)
	if err != nil {
		t.Fatal(err)
	}
	if !r.User(Identity{Provider: "dev", Subject: "zhangwei"}).Admin {
		t.Error("admin from file not mapped")
	}
	if _, err := LoadRoles(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("LoadRoles of a missing file succeeded")
	}
}

package auth

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"unicode"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Roles says who is admin, moderator or editor (of which departments), and
// which department a person is in, from a YAML file:
//
//	admins: [dev:zhangwei, wecom:ZhangWei]
//	moderators: [wecom:LiNa]
//	editors:
//	  财务部: [wecom:WangMin]
//	  技术部: [oidc:1234]
//	groups:            # IdP groups (OIDC groups claim, proxy groups header)
//	  jinnang-admins: [admin]
//	  finance-editors: ["editor:财务部"]
//	  mods: [moderator]
//	departments:
//	  wecom:WangMin: 财务部
//
// People are named by user ID, provider + ":" + subject, with the provider
// one of wecom, oidc, header, dev; IDs and group names match exactly (case
// matters). Inside a {…} flow mapping, quote IDs ("wecom:WangMin"): YAML reads
// an unquoted colon there as a key. Unknown keys, unknown role names and
// malformed IDs are errors naming the file and line.
//
// A Roles is immutable once parsed and safe for concurrent use. The zero
// value (and nil) maps everyone to a plain employee.
type Roles struct {
	admins      map[string]bool
	moderators  map[string]bool
	editors     map[string][]string // user ID → departments
	groups      map[string]groupRoles
	departments map[string]string // user ID → department
}

// groupRoles is what membership in one IdP group grants.
type groupRoles struct {
	admin     bool
	moderator bool
	editorOf  []string
}

// providers are the provider names a user ID may start with.
var providers = []string{"wecom", "oidc", "header", "dev"}

// LoadRoles reads the roles file at path; "" means no file: an empty
// mapping, everyone is an employee.
func LoadRoles(path string) (*Roles, error) {
	if path == "" {
		return &Roles{}, nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: roles: %w", err)
	}
	return ParseRoles(path, src)
}

// ParseRoles parses a roles file; name is used in error messages
// ("roles.yaml:3: …").
func ParseRoles(name string, src []byte) (*Roles, error) {
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		var yerr yaml.Error
		if errors.As(err, &yerr) && yerr.GetToken() != nil {
			return nil, fmt.Errorf("auth: roles: %s:%d: %s", name, yerr.GetToken().Position.Line, yerr.GetMessage())
		}
		return nil, fmt.Errorf("auth: roles: %s: %w", name, err)
	}
	r := &Roles{
		admins:      map[string]bool{},
		moderators:  map[string]bool{},
		editors:     map[string][]string{},
		groups:      map[string]groupRoles{},
		departments: map[string]string{},
	}
	p := rolesParser{name: name}
	var docs []*ast.DocumentNode
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d)
		}
	}
	switch {
	case len(docs) == 0:
		return r, nil
	case len(docs) > 1:
		return nil, p.errorf(docs[1].Body, "one YAML document expected")
	}
	if err := p.parse(r, docs[0].Body); err != nil {
		return nil, err
	}
	for id, depts := range r.editors {
		r.editors[id] = sortedUnique(depts)
	}
	for g, gr := range r.groups {
		gr.editorOf = sortedUnique(gr.editorOf)
		r.groups[g] = gr
	}
	return r, nil
}

// User maps an identity to a user: ID = Provider+":"+Subject; Name = Identity.Name or Subject;
// Department = Identity.Department, else from the departments map; roles from ids and groups.
// EditorOf is sorted and without duplicates.
func (r *Roles) User(id Identity) User {
	u := User{
		ID:         id.Provider + ":" + id.Subject,
		Name:       id.Name,
		Department: id.Department,
	}
	if u.Name == "" {
		u.Name = id.Subject
	}
	if r == nil {
		return u
	}
	if u.Department == "" {
		u.Department = r.departments[u.ID]
	}
	u.Admin = r.admins[u.ID]
	u.Moderator = r.moderators[u.ID]
	editorOf := slices.Clone(r.editors[u.ID])
	for _, g := range id.Groups {
		gr, ok := r.groups[g]
		if !ok {
			continue
		}
		u.Admin = u.Admin || gr.admin
		u.Moderator = u.Moderator || gr.moderator
		editorOf = append(editorOf, gr.editorOf...)
	}
	u.EditorOf = sortedUnique(editorOf)
	return u
}

// rolesParser walks the YAML syntax tree, so every error can name its line.
type rolesParser struct{ name string }

func (p rolesParser) errorf(n ast.Node, format string, args ...any) error {
	line := 0
	if n != nil && n.GetToken() != nil {
		line = n.GetToken().Position.Line
	}
	return fmt.Errorf("auth: roles: %s:%d: %s", p.name, line, fmt.Sprintf(format, args...))
}

// parse reads the top-level mapping into r.
func (p rolesParser) parse(r *Roles, body ast.Node) error {
	top, err := p.mapping(body, "the top level")
	if err != nil || top == nil {
		return err
	}
	for _, kv := range top.Values {
		key, err := p.scalar(kv.Key, "a key")
		if err != nil {
			return err
		}
		switch key {
		case "admins":
			err = p.idList(kv.Value, key, func(id string) { r.admins[id] = true })
		case "moderators":
			err = p.idList(kv.Value, key, func(id string) { r.moderators[id] = true })
		case "editors":
			err = p.editors(r, kv.Value)
		case "groups":
			err = p.groups(r, kv.Value)
		case "departments":
			err = p.departments(r, kv.Value)
		default:
			err = p.errorf(kv.Key, "unknown key %q (want admins, moderators, editors, groups or departments)", key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// editors reads {department: [id, …]}.
func (p rolesParser) editors(r *Roles, n ast.Node) error {
	m, err := p.mapping(n, "editors")
	if err != nil || m == nil {
		return err
	}
	for _, kv := range m.Values {
		dept, err := p.department(kv.Key)
		if err != nil {
			return err
		}
		err = p.idList(kv.Value, "editors of "+dept, func(id string) {
			r.editors[id] = append(r.editors[id], dept)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// groups reads {group: [role, …]}.
func (p rolesParser) groups(r *Roles, n ast.Node) error {
	m, err := p.mapping(n, "groups")
	if err != nil || m == nil {
		return err
	}
	for _, kv := range m.Values {
		group, err := p.scalar(kv.Key, "a group name")
		if err != nil {
			return err
		}
		if !printable(group) {
			return p.errorf(kv.Key, "group name %q: empty or with spaces or control characters", group)
		}
		gr := r.groups[group]
		err = p.list(kv.Value, "roles of group "+group, func(item ast.Node) error {
			role, err := p.scalar(item, "a role")
			if err != nil {
				return err
			}
			switch dept, isEditor := strings.CutPrefix(role, "editor:"); {
			case role == string(RoleAdmin):
				gr.admin = true
			case role == string(RoleModerator):
				gr.moderator = true
			case isEditor && validDepartment(dept):
				gr.editorOf = append(gr.editorOf, dept)
			default:
				return p.errorf(item, "unknown role %q (want admin, moderator or \"editor:<department>\")", role)
			}
			return nil
		})
		if err != nil {
			return err
		}
		r.groups[group] = gr
	}
	return nil
}

// departments reads {id: department}.
func (p rolesParser) departments(r *Roles, n ast.Node) error {
	m, err := p.mapping(n, "departments")
	if err != nil || m == nil {
		return err
	}
	for _, kv := range m.Values {
		id, err := p.id(kv.Key)
		if err != nil {
			return err
		}
		dept, err := p.department(kv.Value)
		if err != nil {
			return err
		}
		r.departments[id] = dept
	}
	return nil
}

// idList reads a sequence of user IDs.
func (p rolesParser) idList(n ast.Node, what string, add func(id string)) error {
	return p.list(n, what, func(item ast.Node) error {
		id, err := p.id(item)
		if err != nil {
			return err
		}
		add(id)
		return nil
	})
}

// id reads one user ID, "provider:subject".
func (p rolesParser) id(n ast.Node) (string, error) {
	if _, isMap := unwrap(n).(*ast.MappingNode); isMap {
		return "", p.errorf(n, "expected a user ID like \"wecom:WangMin\"; inside [...] within {...}, write IDs in quotes")
	}
	id, err := p.scalar(n, "a user ID")
	if err != nil {
		return "", err
	}
	provider, subject, _ := strings.Cut(id, ":")
	if !slices.Contains(providers, provider) || subject == "" || !printable(subject) {
		return "", p.errorf(n, "user ID %q: want provider:subject with provider one of %s (inside {...}, write IDs in quotes)",
			id, strings.Join(providers, ", "))
	}
	return id, nil
}

// department reads one department name.
func (p rolesParser) department(n ast.Node) (string, error) {
	dept, err := p.scalar(n, "a department")
	if err != nil {
		return "", err
	}
	if !validDepartment(dept) {
		return "", p.errorf(n, "department %q: empty, padded with spaces or with control characters", dept)
	}
	return dept, nil
}

// mapping returns n as a mapping; nil (no error) for an empty value.
func (p rolesParser) mapping(n ast.Node, what string) (*ast.MappingNode, error) {
	switch v := unwrap(n).(type) {
	case nil, *ast.NullNode:
		return nil, nil
	case *ast.MappingNode:
		return v, nil
	default:
		return nil, p.errorf(n, "%s: expected a mapping (key: value), got %s", what, n.Type())
	}
}

// list calls each for the items of the sequence n; an empty value has none.
func (p rolesParser) list(n ast.Node, what string, each func(ast.Node) error) error {
	switch v := unwrap(n).(type) {
	case nil, *ast.NullNode:
		return nil
	case *ast.SequenceNode:
		for _, item := range v.Values {
			if err := each(item); err != nil {
				return err
			}
		}
		return nil
	default:
		return p.errorf(n, "%s: expected a list ([a, b] or lines starting with \"- \"), got %s", what, n.Type())
	}
}

// scalar returns the text of a string or number node.
func (p rolesParser) scalar(n ast.Node, what string) (string, error) {
	switch v := unwrap(n).(type) {
	case *ast.StringNode:
		return v.Value, nil
	case *ast.IntegerNode, *ast.FloatNode:
		return v.GetToken().Value, nil
	case nil:
		return "", p.errorf(n, "expected %s, got nothing", what)
	default:
		return "", p.errorf(n, "expected %s, got %s", what, n.Type())
	}
}

// unwrap looks through an anchor to its value (aliases are not resolved
// and so are refused as the wrong type).
func unwrap(n ast.Node) ast.Node {
	if a, ok := n.(*ast.AnchorNode); ok {
		return unwrap(a.Value)
	}
	return n
}

// validDepartment reports whether s can name a department.
func validDepartment(s string) bool {
	return s != "" && strings.TrimSpace(s) == s && !strings.ContainsFunc(s, unicode.IsControl)
}

// printable reports whether s is non-empty without spaces or control characters.
func printable(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
}

// sortedUnique sorts s and drops duplicates; nil for an empty list.
func sortedUnique(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// Admins returns the user IDs the file names as administrators, sorted
// (people who are admins only through an IdP group are not listed: their
// groups are known only when they sign in).
func (r *Roles) Admins() []string {
	if r == nil {
		return nil
	}
	return sortedKeys(r.admins)
}

// Moderators returns the user IDs the file names as moderators, sorted
// (administrators moderate too: see Admins).
func (r *Roles) Moderators() []string {
	if r == nil {
		return nil
	}
	return sortedKeys(r.moderators)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k, ok := range m {
		if ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

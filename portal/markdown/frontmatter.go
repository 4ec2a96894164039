package markdown

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	yamlast "github.com/goccy/go-yaml/ast"
	yamlparser "github.com/goccy/go-yaml/parser"
)

// frontMatterKeys lists the keys a wisdom pack may set, in documentation order.
// Audiences are the values the audience key accepts.
var Audiences = []string{"new-hire", "manager", "all"}

var frontMatterKeys = []string{"title", "summary", "department", "tags", "author", "audience", "date"}

// maxFrontMatterSize bounds the YAML header (the YAML parser is slow on
// pathological input; a real header is a few hundred bytes).
const maxFrontMatterSize = 8 << 10

// errMissingFrontMatter is the message for a file that does not start with ---.
const errMissingFrontMatter = "missing front matter (--- title: … ---)"

// splitFrontMatter separates the YAML header from the Markdown body. src must
// already be free of a BOM and use "\n" line ends. The header starts at line 2
// of the file; the body is everything after the closing --- line.
func splitFrontMatter(name string, src []byte) (header, body []byte, err error) {
	first, rest, found := bytes.Cut(src, []byte("\n"))
	if !isDelimiter(first) {
		return nil, nil, &FrontMatterError{File: name, Line: 1, Msg: errMissingFrontMatter, Code: FMMissing}
	}
	if !found {
		rest = nil
	}
	for off := 0; off < len(rest); {
		line, _, _ := bytes.Cut(rest[off:], []byte("\n"))
		if isDelimiter(line) {
			end := off + len(line)
			if end < len(rest) {
				end++ // the newline after the closing ---
			}
			if off > maxFrontMatterSize {
				return nil, nil, &FrontMatterError{File: name, Line: 1,
					Msg: fmt.Sprintf("front matter is longer than %d bytes", maxFrontMatterSize)}
			}
			return rest[:off], rest[end:], nil
		}
		off += len(line) + 1
	}
	return nil, nil, &FrontMatterError{File: name, Line: 1, Code: FMUnclosed,
		Msg: "the --- opened on line 1 is never closed (add a line with --- after the header)"}
}

// isDelimiter reports whether line is "---", allowing trailing blanks.
func isDelimiter(line []byte) bool {
	return string(bytes.TrimRight(line, " \t")) == "---"
}

// decodeFrontMatter decodes the YAML header strictly. Lines in errors are
// lines of the file: YAML line n is file line n+1.
func decodeFrontMatter(name string, header []byte) (FrontMatter, error) {
	var fm FrontMatter
	var code, codeKey string // set just before a fail that has a code
	fail := func(yamlLine int, format string, args ...any) (FrontMatter, error) {
		line := 1
		if yamlLine > 0 {
			line = yamlLine + 1
		}
		return FrontMatter{}, &FrontMatterError{File: name, Line: line, Msg: fmt.Sprintf(format, args...), Code: code, Key: codeKey}
	}
	with := func(c, k string) { code, codeKey = c, k }

	file, err := yamlparser.ParseBytes(header, 0)
	if err != nil {
		var yerr yaml.Error
		if errors.As(err, &yerr) && yerr.GetToken() != nil {
			with(FMYAML, "")
			return fail(yerr.GetToken().Position.Line, "invalid YAML: %s", fileLines(yerr.GetMessage()))
		}
		with(FMYAML, "")
		return fail(0, "invalid YAML: %v", err)
	}

	var pairs []*yamlast.MappingValueNode
	if len(file.Docs) > 1 {
		return fail(0, "more than one YAML document")
	}
	if len(file.Docs) == 1 && file.Docs[0].Body != nil {
		switch body := file.Docs[0].Body.(type) {
		case *yamlast.MappingNode:
			pairs = body.Values
		case *yamlast.MappingValueNode:
			pairs = []*yamlast.MappingValueNode{body}
		default:
			return fail(lineOf(body), "expected \"key: value\" lines, found %s", describe(body))
		}
	}

	titleLine := 0
	for _, pair := range pairs {
		keyLine := lineOf(pair.Key)
		key, ok := scalarText(pair.Key)
		if !ok {
			return fail(keyLine, "keys must be plain words, found %s", describe(pair.Key))
		}
		value := pair.Value
		switch key {
		case "title":
			titleLine = keyLine
			fm.Title, err = textValue(key, value)
		case "summary":
			fm.Summary, err = textValue(key, value)
		case "department":
			fm.Department, err = textValue(key, value)
		case "author":
			fm.Author, err = textValue(key, value)
		case "tags":
			fm.Tags, err = listValue(key, value)
		case "audience":
			if fm.Audience, err = listValue(key, value); err == nil {
				for _, a := range fm.Audience {
					if !slices.Contains(Audiences, a) {
						with(FMAudience, key)
						return fail(keyLine, "audience %q is not one of %s", a, strings.Join(Audiences, ", "))
					}
				}
			}
		case "date":
			fm.Date, err = dateValue(value)
		default:
			with(FMUnknownKey, key)
			return fail(keyLine, "unknown key %q (allowed: %s)", key, strings.Join(frontMatterKeys, ", "))
		}
		if err != nil {
			with(FMValue, key)
			var verr *valueError
			if errors.As(err, &verr) {
				return fail(verr.line, "%s", verr.msg)
			}
			return fail(keyLine, "%s: %v", key, err)
		}
	}

	if fm.Title == "" {
		with(FMNoTitle, "title")
		if titleLine > 0 {
			return fail(titleLine, "title is empty")
		}
		return fail(0, "title is required")
	}
	return fm, nil
}

// yamlPosition matches the "[line:column]" goccy/go-yaml puts in messages.
var yamlPosition = regexp.MustCompile(`\[(\d+):\d+\]`)

// fileLines rewrites YAML positions in a parser message as file lines.
func fileLines(msg string) string {
	return yamlPosition.ReplaceAllStringFunc(msg, func(m string) string {
		n, err := strconv.Atoi(yamlPosition.FindStringSubmatch(m)[1])
		if err != nil {
			return m
		}
		return "line " + strconv.Itoa(n+1)
	})
}

// valueError is a problem with one value, at a YAML line.
type valueError struct {
	line int
	msg  string
}

func (e *valueError) Error() string { return e.msg }

func newValueError(node yamlast.Node, format string, args ...any) error {
	return &valueError{line: lineOf(node), msg: fmt.Sprintf(format, args...)}
}

// textValue decodes a single-line or block text value; null is "".
func textValue(key string, node yamlast.Node) (string, error) {
	node, err := unwrap(node)
	if err != nil {
		return "", err
	}
	if s, ok := scalarText(node); ok {
		return strings.TrimSpace(s), nil
	}
	return "", newValueError(node, "%s must be text, found %s", key, describe(node))
}

// listValue decodes a list of texts or a single text; blank entries are dropped.
func listValue(key string, node yamlast.Node) ([]string, error) {
	node, err := unwrap(node)
	if err != nil {
		return nil, err
	}
	if s, ok := scalarText(node); ok {
		return splitListText(nil, s), nil
	}
	seq, ok := node.(*yamlast.SequenceNode)
	if !ok {
		return nil, newValueError(node, "%s must be a list or a text, found %s", key, describe(node))
	}
	var out []string
	for _, item := range seq.Values {
		item, err := unwrap(item)
		if err != nil {
			return nil, err
		}
		s, ok := scalarText(item)
		if !ok {
			return nil, newValueError(item, "each entry of %s must be text, found %s", key, describe(item))
		}
		out = splitListText(out, s)
	}
	return out, nil
}

// splitListText appends the entries of s, which may be written on one line
// with any separator people type: , ， 、 ； ; (blanks are dropped).
func splitListText(out []string, s string) []string {
	for _, p := range strings.FieldsFunc(s, IsListSeparator) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// IsListSeparator reports whether r separates the entries of a list typed on
// one line (tags, departments): ASCII and Chinese commas, 、, semicolons and
// line breaks.
func IsListSeparator(r rune) bool {
	switch r {
	case ',', '，', '、', '；', ';', '\n', '\r':
		return true
	}
	return false
}

// dateValue accepts 2006-01-02 (midnight UTC) or RFC 3339; null is the zero time.
func dateValue(node yamlast.Node) (time.Time, error) {
	node, err := unwrap(node)
	if err != nil {
		return time.Time{}, err
	}
	s, ok := scalarText(node)
	if !ok {
		return time.Time{}, newValueError(node, "date must be a date like 2026-03-01, found %s", describe(node))
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, newValueError(node, "date %q is not a date (use YYYY-MM-DD)", s)
}

// unwrap looks through tags (!!str) and anchors, and rejects aliases, which
// a header never needs and which could expand without bound.
func unwrap(node yamlast.Node) (yamlast.Node, error) {
	for {
		switch n := node.(type) {
		case *yamlast.TagNode:
			node = n.Value
		case *yamlast.AnchorNode:
			node = n.Value
		case *yamlast.AliasNode:
			return nil, newValueError(n, "aliases (*name) are not supported in front matter")
		default:
			return node, nil
		}
	}
}

// scalarText returns the text of a scalar as written (numbers and booleans
// keep their spelling) and false for collections. Null is "".
func scalarText(node yamlast.Node) (string, bool) {
	switch n := node.(type) {
	case nil:
		return "", true
	case *yamlast.NullNode:
		return "", true
	case *yamlast.StringNode:
		return n.Value, true
	case *yamlast.LiteralNode:
		if n.Value == nil {
			return "", true
		}
		return n.Value.Value, true
	case *yamlast.IntegerNode, *yamlast.FloatNode, *yamlast.BoolNode,
		*yamlast.InfinityNode, *yamlast.NanNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
		return n.String(), true
	default:
		return "", false
	}
}

// describe names a node's kind for an editor.
func describe(node yamlast.Node) string {
	switch node.(type) {
	case *yamlast.MappingNode, *yamlast.MappingValueNode:
		return "a mapping"
	case *yamlast.SequenceNode:
		return "a list"
	default:
		return "a " + strings.ToLower(node.Type().String())
	}
}

// lineOf is the 1-based YAML line of node, 0 if unknown.
func lineOf(node yamlast.Node) int {
	if node == nil {
		return 0
	}
	tk := node.GetToken()
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Line
}

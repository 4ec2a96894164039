package markdown

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// ImageDir is the relative folder a pack's own images are referenced from:
// ![图](images/3f2a….jpg). ParseWith resolves it against Options.ImageBase.
const ImageDir = "images/"

// Options change how ParseWith renders one document.
type Options struct {
	// ImageBase replaces the leading "images/" of relative image links, e.g.
	// "/packimg/<pack id>/", so a pack's images are found wherever the pack
	// (or its draft) is shown. Empty leaves image links as written.
	ImageBase string
}

var (
	optionsKey  = parser.NewContextKey()
	externalKey = parser.NewContextKey()
)

// ParseWith is Parse with options. External images (http, https or //
// addresses) are never loaded — the content security policy would block them
// anyway — so they become plain links to the picture, and their addresses
// are listed in Document.ExternalImages for the editor to explain.
func (r *Renderer) ParseWith(name string, src []byte, opts Options) (Document, error) {
	return r.parse(name, src, opts)
}

// imageTransformer resolves a pack's relative image links and turns
// external images into links.
type imageTransformer struct{}

// Transform implements parser.ASTTransformer.
func (imageTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	opts, _ := pc.Get(optionsKey).(Options)
	source := reader.Source()
	var external []string
	var replace []*ast.Image
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		img, ok := n.(*ast.Image)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		dest := string(img.Destination)
		switch {
		case isExternal(dest):
			external = append(external, dest)
			replace = append(replace, img)
		case opts.ImageBase != "" && strings.HasPrefix(dest, ImageDir) && !strings.Contains(dest[len(ImageDir):], "/"):
			img.Destination = []byte(opts.ImageBase + dest[len(ImageDir):])
		}
		return ast.WalkSkipChildren, nil
	})
	for _, img := range replace {
		link := ast.NewLink()
		link.Destination = img.Destination
		link.Title = img.Title
		link.SetAttributeString("rel", []byte(relExternal))
		alt := inlineText(img, source)
		if alt == "" {
			alt = string(img.Destination)
		}
		link.AppendChild(link, ast.NewString([]byte("🖼 "+alt)))
		img.Parent().ReplaceChild(img.Parent(), img, link)
	}
	if len(external) > 0 {
		pc.Set(externalKey, external)
	}
}

// isExternal reports whether an image address points at another site.
func isExternal(dest string) bool {
	d := strings.ToLower(strings.TrimSpace(dest))
	return strings.HasPrefix(d, "http://") || strings.HasPrefix(d, "https://") || strings.HasPrefix(d, "//")
}

// Split separates a pack's source into its decoded front matter and its
// Markdown body (for the editor, which shows them as separate fields).
func Split(name string, src []byte) (FrontMatter, string, error) {
	src = normalize(src)
	header, body, err := splitFrontMatter(name, src)
	if err != nil {
		return FrontMatter{}, "", err
	}
	fm, err := decodeFrontMatter(name, header)
	if err != nil {
		return FrontMatter{}, "", err
	}
	return fm, strings.TrimLeft(string(body), "\n"), nil
}

// Compose writes fm as the front matter the editor generates and appends
// body: the inverse of Split. Values are quoted by the YAML encoder, so a
// title with a colon or a quote never breaks the header.
func Compose(fm FrontMatter, body string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("---\n")
	scalar := func(key, v string) error {
		if v == "" {
			return nil
		}
		q, err := yaml.Marshal(v)
		if err != nil {
			return fmt.Errorf("compose %s: %w", key, err)
		}
		fmt.Fprintf(&b, "%s: %s\n", key, bytes.TrimRight(q, "\n"))
		return nil
	}
	list := func(key string, vs []string) error {
		if len(vs) == 0 {
			return nil
		}
		fmt.Fprintf(&b, "%s:\n", key)
		for _, v := range vs {
			q, err := yaml.Marshal(v)
			if err != nil {
				return fmt.Errorf("compose %s: %w", key, err)
			}
			fmt.Fprintf(&b, "  - %s\n", bytes.TrimRight(q, "\n"))
		}
		return nil
	}
	for _, err := range []error{
		scalar("title", oneLine(fm.Title)), scalar("summary", oneLine(fm.Summary)),
		scalar("department", oneLine(fm.Department)), list("tags", oneLines(fm.Tags)),
		scalar("author", oneLine(fm.Author)), list("audience", oneLines(fm.Audience)),
	} {
		if err != nil {
			return nil, err
		}
	}
	if !fm.Date.IsZero() {
		fmt.Fprintf(&b, "date: %s\n", fm.Date.Format("2006-01-02"))
	}
	b.WriteString("---\n\n")
	body = strings.TrimLeft(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	b.WriteString(body)
	if body != "" && !strings.HasSuffix(body, "\n") {
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

func oneLine(s string) string {
	return strings.TrimSpace(strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " "))
}

func oneLines(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v = oneLine(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

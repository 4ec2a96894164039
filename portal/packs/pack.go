// Package packs is the wisdom-pack domain: packs are Markdown objects in the
// store under packs/<slug>.md, rendered once per ETag, and indexed for search.
package packs

import (
	"html/template"

	"github.com/jinnang/jinnang/portal/markdown"
)

// Pack is a rendered wisdom pack ready for a page.
type Pack struct {
	Slug string
	Meta markdown.FrontMatter
	HTML template.HTML // sanitized
	TOC  []markdown.Heading
	ETag string
}

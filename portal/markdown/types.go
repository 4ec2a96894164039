package markdown

import (
	"fmt"
	"html/template"
	"time"
)

// FrontMatter is the YAML header of a wisdom pack.
type FrontMatter struct {
	Title      string    `yaml:"title"`
	Summary    string    `yaml:"summary"`
	Department string    `yaml:"department"`
	Tags       []string  `yaml:"tags"`
	Author     string    `yaml:"author"`
	Audience   []string  `yaml:"audience"` // e.g. new-hire
	Date       time.Time `yaml:"date"`
}

// Heading is one entry of a table of contents.
type Heading struct {
	Level int    // 1..6
	ID    string // the anchor id in the rendered HTML
	Text  string // plain text
}

// Document is a parsed and rendered pack. HTML is already sanitized.
type Document struct {
	Meta FrontMatter
	HTML template.HTML
	TOC  []Heading
	Text string // plain text of the body, for the search index
	// ExternalImages lists the addresses of images on other sites, which
	// are shown as links instead (see ParseWith).
	ExternalImages []string
}

// FrontMatterError reports a problem in the front matter with its position.
type FrontMatterError struct {
	File string
	Line int // 1-based line in the file, 0 if unknown
	Msg  string
	// Code names the kind of problem for translated messages (one of the
	// FM* constants, "" for others); Key is the front-matter key involved.
	Code, Key string
}

// Codes of FrontMatterError.
const (
	FMMissing    = "missing"     // the file does not start with ---
	FMUnclosed   = "unclosed"    // the --- header is never closed
	FMYAML       = "yaml"        // the header is not valid YAML
	FMUnknownKey = "unknown-key" // a key that is not allowed
	FMValue      = "value"       // a value of the wrong kind for Key
	FMAudience   = "audience"    // an audience that is not one of Audiences
	FMNoTitle    = "no-title"    // the title is missing or empty
)

// Error formats the problem as "file:line: front matter: message".
func (e *FrontMatterError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: front matter: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: front matter: %s", e.File, e.Msg)
}

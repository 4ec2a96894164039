// Package markdown parses wisdom packs: YAML front matter plus Markdown body,
// rendered by goldmark and sanitized so no script reaches a page.
package markdown

// Package axe embeds axe-core (vendored from npm, axe-core@4.14.1, MPL-2.0,
// see LICENSE) for the browser tests. It is imported only by tests: the
// portal binary never carries it, and nothing is fetched at test time.
package axe

import _ "embed"

// Version is the vendored axe-core release.
const Version = "4.14.1"

// Source is axe.min.js as published on npm.
//
//go:embed axe.min.js
var Source string

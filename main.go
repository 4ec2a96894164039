// Command jinnang serves the Jinnang (锦囊) employee-community portal.
//
//	go run .                      # serve on localhost:8080 with the embedded store and index
//	go run . import content/packs # load Markdown packs from a folder
//	go run . reindex              # rebuild the search index from the store
package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/jinnang/jinnang/portal"
	"github.com/jinnang/jinnang/portal/config"
)

//go:embed templates assets content
var files embed.FS

// defaultMemoryLimit is the soft limit on the Go heap (and the runtime's
// other memory) when GOMEMLIMIT does not set one: the collector works
// harder as the heap nears it instead of letting it double, which keeps a
// 10,000-pack import near 210 MB instead of 265 MB for about a tenth more
// CPU. It is soft: a portal that needs more still gets it, at the cost of
// more collection; set GOMEMLIMIT (e.g. 512MiB) on a large installation.
const defaultMemoryLimit = 160 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	for _, name := range config.Unknown(os.Environ()) {
		fmt.Fprintln(os.Stderr, "jinnang: warning: ignoring unknown setting", name)
	}
	cfg, err := config.Load(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, config.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "jinnang:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := portal.Run(ctx, cfg, portal.Files{
		Templates: sub("templates"),
		Assets:    sub("assets"),
		Content:   sub("content"),
	}, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "jinnang:", err)
		os.Exit(1)
	}
}

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // dir is a constant embedded above
	}
	return f
}

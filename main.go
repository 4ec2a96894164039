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
	"syscall"

	"github.com/jinnang/jinnang/portal"
	"github.com/jinnang/jinnang/portal/config"
)

//go:embed templates assets content
var files embed.FS

func main() {
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

// Command loadgen creates a realistic company for scale measurements
// through the services' own create functions: people in departments,
// stories with likes and comments, announcements, suggestions, polls with
// votes and audit entries. The data directory it fills is laid out as the
// portal's (store/ and index.bleve), so `jinnang -data-dir DIR` serves it.
//
//	go run ./portal/internal/loadgen -size S -dir /tmp/company
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/store"
)

func main() {
	size := flag.String("size", "S", "company size: S, M or L")
	dir := flag.String("dir", "", "data directory to fill (required)")
	flag.Parse()
	if err := run(*size, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(size, dir string) (err error) {
	z, ok := Sizes[size]
	if !ok {
		return fmt.Errorf("unknown size %q (S, M or L)", size)
	}
	if dir == "" {
		return fmt.Errorf("-dir is required")
	}
	st, err := store.NewDisk(filepath.Join(dir, "store"))
	if err != nil {
		return err
	}
	ix, err := bleveindex.Open(filepath.Join(dir, "index.bleve"))
	if err != nil {
		return err
	}
	defer func() {
		if cerr := ix.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	sv, err := NewServices(st, ix)
	if err != nil {
		return err
	}
	start := time.Now()
	co, err := Generate(context.Background(), sv, z, func(s string) { fmt.Fprintf(os.Stderr, "%s: %s\n", time.Since(start).Round(time.Second), s) })
	if err != nil {
		return err
	}
	fmt.Printf("size %s in %s: %d people, admin %s, busy story %s, poll %s\n", z.Name, dir, len(co.People), co.Admin.ID, co.BusyStory, co.Poll)
	return nil
}

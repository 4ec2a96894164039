// Command loadgen creates a realistic company for scale measurements
// through the services' own create functions: people in departments,
// packs, stories with likes and comments, announcements, suggestions, polls
// with votes and audit entries. The data directory it fills is laid out as
// the portal's (store/ and index.bleve), so `jinnang -data-dir DIR` serves
// it; company.json in it names the admin, the busy story, a poll and a pack
// (BenchmarkPages reads it when JINNANG_BENCH_DIR_<size> points there).
//
//	go run ./portal/internal/loadgen -size S -dir /tmp/company
//	go run ./portal/internal/loadgen -size L -scale 0.02 -dir /tmp/try   # 2% of L, to time it
//
// Generating L writes about a million objects; each disk write ends in an
// fsync, so on a slow disk generate into a tmpfs (/dev/shm) and copy the
// directory to disk afterwards: the objects are the same, only the
// durability during generation differs.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/jinnang/jinnang/portal/index/bleveindex"
	"github.com/jinnang/jinnang/portal/store"
)

func main() {
	size := flag.String("size", "S", "company size: S, M or L")
	dir := flag.String("dir", "", "data directory to fill (required)")
	scale := flag.Float64("scale", 1, "multiply every count but people and departments by this (to time a size)")
	workers := flag.Int("workers", Workers, "goroutines creating items")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the generation to this file")
	flag.Parse()
	Workers = max(1, *workers)
	if err := run(*size, *dir, *scale, *cpuprofile); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(size, dir string, scale float64, cpuprofile string) (err error) {
	z, ok := Sizes[size]
	if !ok {
		return fmt.Errorf("unknown size %q (S, M or L)", size)
	}
	if scale != 1 {
		z = z.Scaled(scale)
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
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	co, err := Generate(context.Background(), sv, z, func(s string) { fmt.Fprintf(os.Stderr, "%s: %s\n", time.Since(start).Round(time.Second), s) })
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(co, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "company.json"), b, 0o644); err != nil {
		return err
	}
	fmt.Printf("size %s in %s (%s): %d people, admin %s, busy story %s, poll %s, pack %s\n", z.Name, dir, time.Since(start).Round(time.Second), len(co.People), co.Admin.ID, co.BusyStory, co.Poll, co.Pack)
	return nil
}

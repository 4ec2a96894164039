//go:build pprof

package main

import (
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
)

// With -tags pprof (deploy/bench/hotpath.sh PPROF=1 builds so), the binary
// serves net/http/pprof on HOTPATH_PPROF_ADDR, a loopback address, so a
// CPU profile can be taken under load. Release builds do not include it.
func init() {
	if addr := os.Getenv("HOTPATH_PPROF_ADDR"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}

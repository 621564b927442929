package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// cmdVersion prints the module version and, when the binary was built with
// VCS stamping (not with GOFLAGS=-buildvcs=false), the revision and time.
func cmdVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "usage: rpcwatch version")
		return exitUsage
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(stdout, "rpcwatch (no build information)")
		return exitOK
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	fmt.Fprintf(stdout, "rpcwatch %s %s %s\n", bi.Main.Path, v, bi.GoVersion)
	var rev, when, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		fmt.Fprintln(stdout, "vcs: not stamped (built with -buildvcs=false or outside a repository)")
	} else {
		fmt.Fprintf(stdout, "vcs: %s %s modified=%s\n", rev, when, modified)
	}
	for _, d := range bi.Deps {
		fmt.Fprintf(stdout, "dep: %s %s\n", d.Path, d.Version)
	}
	return exitOK
}

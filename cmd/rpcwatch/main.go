// Command rpcwatch is a passive DCE/RPC binding watchdog. It reads captures
// (rpcwatch read) or watches an interface (rpcwatch live), keeps a passive
// inventory of the RPC bindings servers hand out — endpoint-mapper towers on
// port 135, DCOM OXID-resolver and activation string bindings, and bindings
// seen in use — and reports findings: fused multihomed addresses (KB 224460),
// endpoints that moved, stale bindings after a restart (KB 216558), malformed
// towers and string bindings, foreign addresses, connectionless server
// reboots and faults.
//
// Output is one event model in two renderings: aligned text lines (the
// default) or JSON lines (--json); both end with a summary. The JSON schema
// is documented in README.md.
//
// Exit codes: 0 done, 1 an error (a file that could not be read completely,
// an interface that could not be opened), 2 a usage error, 3 when --fail-on
// SEVERITY was given and a finding at or above it was seen.
//
// The command's logic lives in run(args, stdout, stderr), which main only
// calls, so that tests run it in process.
package main

import (
	"fmt"
	"io"
	"os"
)

// Exit codes.
const (
	exitOK      = 0
	exitError   = 1
	exitUsage   = 2
	exitFinding = 3
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const mainUsage = `usage: rpcwatch COMMAND [flags] [arguments]

rpcwatch watches DCE/RPC bindings on the wire: which bindings servers hand out
(endpoint-mapper towers, DCOM OXID and activation string bindings), which are
broken (fused multihomed addresses, malformed towers) and which went stale
after a server restart.

Commands:
  read       analyse capture files (pcap, pcapng, gzip; "-" for stdin)
  live       watch a network interface until interrupted
  inventory  print the bindings servers advertise in capture files
  version    print version and build information

Run "rpcwatch COMMAND -h" for a command's flags and examples.

Exit codes: 0 done, 1 error, 2 usage error, 3 a finding at or above --fail-on.
`

// run is the whole command: it parses args (without the program name),
// writes results to stdout and diagnostics to stderr, and returns the exit
// code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, mainUsage)
		return exitOK
	case "read":
		return cmdRead(args[1:], stdout, stderr)
	case "live":
		return cmdLive(args[1:], stdout, stderr)
	case "inventory":
		return cmdInventory(args[1:], stdout, stderr)
	case "version", "-version", "--version":
		return cmdVersion(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "rpcwatch: unknown command %q (want read, live, inventory or version)\n", args[0])
	return exitUsage
}

package main

import (
	"fmt"
	"io"
)

const inventoryUsage = `usage: rpcwatch inventory [flags] FILE... | -

Prints the passive endpoint inventory of each capture: every server that
advertised or served a binding, its interfaces, and each binding with how it
was learned (epm, oxid, activation, traffic), the frames it was first and last
seen in, and whether it moved, is fused or names a foreign address. It is a
passive rpcdump. With --json, one "server" object per line.

Examples:
  rpcwatch inventory capture.pcap
  rpcwatch inventory --json capture.pcapng | jq -r '.interfaces[].bindings[].binding'

The same listing follows the findings with rpcwatch read --inventory; a live
capture prints it on SIGUSR1 and at the end with --inventory.
`

func cmdInventory(args []string, stdout, stderr io.Writer) int {
	o := &options{}
	fs := newFlagSet("inventory", inventoryUsage, stderr)
	fs.BoolVar(&o.json, "json", false, "write JSON lines (one server object per line)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress on stderr")
	files, code, ok := parseArgs(fs, args, stdout)
	if !ok {
		return code
	}
	if len(files) == 0 {
		fmt.Fprintln(stderr, "rpcwatch inventory: no capture file given; see rpcwatch inventory -h")
		return exitUsage
	}
	return readFiles(files, o, true, stdout, stderr)
}

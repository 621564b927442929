// Command corpus writes one of bench's deterministic capture corpora:
//
//	go run ./bench/cmd/corpus -kind epm -packets 1000000 -o /tmp/epm.pcap
//
// Run it from inside the repository: seeds are read from testdata/ and, when
// it exists, ../shared/captures.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/rpcwatch/rpcwatch/bench"
)

func main() {
	if err := run(os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		os.Exit(2)
	}
}

func run(stdout io.Writer, args []string) error {
	fs := flag.NewFlagSet("corpus", flag.ContinueOnError)
	kind := fs.String("kind", "epm", "corpus: epm (EPM-heavy) or mixed")
	packets := fs.Int("packets", 1_000_000, "target number of packets (whole seed copies)")
	out := fs.String("o", "", "output pcap file (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	spec, ok := bench.Kinds[*kind]
	if !ok || *out == "" || fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("need -kind epm|mixed and -o FILE")
	}
	spec.Packets = *packets
	root, shared, err := bench.Dirs()
	if err != nil {
		return err
	}
	rpc, other, err := bench.LoadSeeds(root, shared)
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	st, err := bench.Build(f, rpc, other, spec)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s corpus, %d packets (%d from RPC seeds, %.1f %%), %d bytes\n",
		*out, spec.Name, st.Packets, st.RPCPackets, 100*float64(st.RPCPackets)/float64(st.Packets), st.Bytes)
	names := make([]string, 0, len(st.Copies))
	for n := range st.Copies {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(stdout, "  %6d × %s\n", st.Copies[n], n)
	}
	if shared == "" {
		fmt.Fprintln(stdout, "  (shared captures not found: testdata seeds and synthetic non-RPC traffic only)")
	}
	return nil
}

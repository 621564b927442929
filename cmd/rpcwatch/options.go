package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rpcwatch/rpcwatch/dissect/detect"
)

// options are the flags of read, live and inventory.
type options struct {
	json      bool
	verbose   bool
	inventory bool
	quiet     bool
	write     string
	failOn    severityFlag
	cpuprof   string // read: write a CPU profile (make pgo)

	// live only
	iface    string
	count    int64
	duration time.Duration
	promisc  bool
	snaplen  int
	ring     int
	ringMB   int
}

// severityFlag is the --fail-on value.
type severityFlag struct {
	sev detect.Severity
	set bool
}

func (s *severityFlag) String() string {
	if !s.set {
		return ""
	}
	return s.sev.String()
}

func (s *severityFlag) Set(v string) error {
	for sev := detect.SeverityInfo; sev <= detect.SeverityHigh; sev++ {
		if strings.EqualFold(v, sev.String()) {
			s.sev, s.set = sev, true
			return nil
		}
	}
	return errors.New("want info, low, medium or high")
}

// addOutputFlags registers the flags every analysing command shares.
func addOutputFlags(fs *flag.FlagSet, o *options) {
	fs.BoolVar(&o.json, "json", false, "write JSON lines instead of text (schema in README.md)")
	fs.BoolVar(&o.verbose, "v", false, "text: also print one line per binding event")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress on stderr")
	fs.Var(&o.failOn, "fail-on", "exit 3 when a finding at or above `SEVERITY` (info, low, medium, high) was seen")
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments (rpcwatch read a.pcap --json), as users of tcpdump
// and tshark expect. "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// flag stops at "--" (consumed) or at the first non-flag.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// newFlagSet returns a flag set whose usage text is usage followed by the
// flag defaults.
func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fmt.Fprintln(fs.Output(), "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// parseArgs parses args with fs, printing usage to stdout for -h (exit 0)
// and returning exitUsage for a bad flag (flag has printed why). ok is false when the caller
// should return code.
func parseArgs(fs *flag.FlagSet, args []string, stdout io.Writer) (pos []string, code int, ok bool) {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, exitOK, false
		}
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, exitUsage, false
	}
	return pos, exitOK, true
}

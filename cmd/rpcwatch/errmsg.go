package main

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"

	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/capture/source"
)

// errLine turns an input error into one line for stderr (without the
// "rpcwatch: " prefix): the input's name and what is wrong with it, in the
// words a user needs, with no wrapping chain of package prefixes.
func errLine(name string, err error) string {
	var (
		te *source.TruncatedError
		nc *source.NotCaptureError
		fe *source.FormatError
		le *decode.LinkTypeError
		ie *source.InterfaceError
		pe *source.PermissionError
		be *source.FilterError
		pa *fs.PathError
	)
	switch {
	case errors.As(err, &te):
		return name + ": capture is truncated: it ends inside frame " + strconv.Itoa(te.Frame) +
			" (the " + strconv.Itoa(te.Frame-1) + " complete frames before it were analysed)"
	case errors.As(err, &nc):
		s := name + ": not a pcap or pcapng capture (found " + nc.Found + ")"
		return s
	case errors.As(err, &fe):
		where := "in its file header"
		if fe.Frame > 0 {
			where = "at frame " + strconv.Itoa(fe.Frame)
		}
		return name + ": corrupt capture " + where + ": " + fe.Err.Error()
	case errors.As(err, &le):
		return name + ": " + le.Error()
	case errors.As(err, &ie):
		s := "interface " + strconv.Quote(ie.Name) + " does not exist"
		if len(ie.Available) > 0 {
			s += " (available: " + strings.Join(ie.Available, ", ") + ")"
		}
		return s
	case errors.As(err, &pe):
		return "no permission to capture on " + strconv.Quote(pe.Interface) +
			" (run as root or grant CAP_NET_RAW and CAP_NET_ADMIN)"
	case errors.As(err, &be):
		return "bad capture filter " + strconv.Quote(be.Filter) + ": " + be.Err.Error()
	case errors.As(err, &pa):
		return name + ": " + pa.Err.Error()
	}
	return name + ": " + err.Error()
}

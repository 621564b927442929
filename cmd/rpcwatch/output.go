package main

import (
	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/detect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/dissect/names"
)

// renderer turns the event model into output: text (output_text.go) or
// JSON lines (output_json.go). Calls come from one goroutine at a time.
type renderer interface {
	// binding reports an advertised or observed binding (text: with -v).
	binding(e *event.Event)
	// finding reports a detector finding.
	finding(f *detect.Finding)
	// inventory prints the servers and their bindings.
	inventory(servers []detect.Server)
	// summary ends an input.
	summary(s *summary)
	// flush writes what is buffered.
	flush() error
}

// ifaceName returns the interface's short name, its UUID when unknown, or
// "-" when there is none.
func ifaceName(id dissect.SyntaxID, ok bool) string {
	if ok {
		if n, known := names.Interface(id.UUID); known && !id.UUID.IsNil() {
			return n // no copy for the usual case
		}
	}
	return string(appendIfaceName(nil, id, ok))
}

// appendIfaceName appends what ifaceName returns, without allocating.
func appendIfaceName(b []byte, id dissect.SyntaxID, ok bool) []byte {
	if !ok || id.UUID.IsNil() {
		return append(b, '-')
	}
	if n, known := names.Interface(id.UUID); known {
		return append(b, n...)
	}
	return id.UUID.AppendTo(b)
}

// appendVersion appends "major.minor".
func appendVersion(b []byte, id dissect.SyntaxID) []byte {
	b = dissect.AppendUint(b, uint64(id.Major))
	b = append(b, '.')
	return dissect.AppendUint(b, uint64(id.Minor))
}

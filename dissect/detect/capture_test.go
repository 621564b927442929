package detect_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rpcwatch/rpcwatch/capture"
	"github.com/rpcwatch/rpcwatch/capture/source"
	"github.com/rpcwatch/rpcwatch/dissect/detect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
	"github.com/rpcwatch/rpcwatch/internal/pcaptest"
)

// runCapture feeds a capture through the pipeline into a fresh detector and
// returns the findings and the detector.
func runCapture(t *testing.T, path string) ([]*detect.Finding, *detect.Detector) {
	t.Helper()
	src, err := source.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out []*detect.Finding
	d := detect.New(detect.Config{}, func(f *detect.Finding) { out = append(out, f) })
	_, err = capture.Run(context.Background(), src, capture.Config{}, func(e *event.Event) { d.Event(e) })
	var te *source.TruncatedError
	if err != nil && !errors.As(err, &te) {
		t.Fatal(err)
	}
	d.Flush()
	return out, d
}

// repoTestdata is the repository's testdata folder.
func repoTestdata(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "testdata", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not found: %v", p, err)
	}
	return p
}

type frameRule struct {
	frame int64
	rule  string
}

func summary(fs []*detect.Finding) []frameRule {
	var s []frameRule
	for _, f := range fs {
		s = append(s, frameRule{f.Frame, f.Rule.String()})
	}
	return s
}

func logFindings(t *testing.T, fs []*detect.Finding) {
	t.Helper()
	for _, f := range fs {
		t.Logf("%d %s %s: %s evidence=%v", f.Frame, f.Rule, f.Severity, f.Detail, f.Evidence())
	}
}

var _ = pcaptest.FindDir

package bench

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rpcwatch/rpcwatch/capture"
	"github.com/rpcwatch/rpcwatch/capture/decode"
	"github.com/rpcwatch/rpcwatch/dissect/detect"
	"github.com/rpcwatch/rpcwatch/dissect/event"
)

var (
	gate           = flag.Bool("gate", false, "run the timed performance gate (make bench-gate)")
	updateBaseline = flag.Bool("update-baseline", false, "rewrite baseline.txt from this run (make bench-baseline)")
)

// The gate's thresholds.
//
// minMixedFraction is (b): whole-pipeline packets/s on the mixed corpus as a
// fraction of the bare pcapgo + DecodingLayerParser loop in the same
// process. It was set at what was measured minus a margin for noise (see
// the README). To raise it: run `make bench-gate` a few times on a quiet
// machine, read the "mixed pipeline/bare" fraction it logs, and set this a
// little below the lowest value seen.
//
// regressionTolerance and regressionAlpha are (c): a stage regresses when
// its time relative to the bare loop is larger than the baseline's by more
// than the tolerance (medians) and a one-sided Mann-Whitney test puts the
// shift below alpha.
const (
	minMixedFraction    = 0.80
	regressionTolerance = 0.25
	regressionAlpha     = 0.01
	gateRounds          = 12
	baselineFile        = "baseline.txt"
)

// Gate (a) thresholds. The pipeline draws stream buffers from a worker-wide
// pool and association state from a free list, both grown lazily, so after
// the warm-up pass a few allocations per pass remain while they reach the
// traffic's peak: measured 6-11 per 60 thousand packets (it was 110-350
// when every flow slot kept its own buffers). The detector
// allocates only when it reports a finding: 2 per finding (the finding
// with its rule's detail in one block, and its sentence; it was about 14).
// Both bounds below are what a per-packet allocation would break at once
// (one per packet is 1.0 allocs/packet).
const (
	maxPipelineAllocsPerPacket = 0.01
	maxAllocsPerFinding        = 4
)

// TestGateAllocs is gate (a): after a warm-up pass, the pipeline allocates
// (next to) nothing per packet, and the detector nothing beyond what its
// findings take, while a whole corpus goes through them. Frame numbers and
// timestamps keep increasing from pass to pass, so every copy's flows are new
// conversations reusing the slots and buffers of old ones.
func TestGateAllocs(t *testing.T) {
	for _, c := range testCorpora(t) {
		t.Run(c.name, func(t *testing.T) {
			var findings int
			det := detect.New(detect.Config{}, func(*detect.Finding) { findings++ })
			alone, err := capture.New(capture.Config{}, func(*event.Event) {})
			if err != nil {
				t.Fatal(err)
			}
			withDet, err := capture.New(capture.Config{}, det.Event)
			if err != nil {
				t.Fatal(err)
			}
			span := c.frames[len(c.frames)-1].ts.Sub(c.frames[0].ts) + time.Second
			pass := func(p *capture.Pipeline) func() {
				var num int64
				n := 0
				return func() {
					shift := time.Duration(n) * span
					for i := range c.frames {
						num++
						p.Packet(decode.LinkTypeEthernet, c.frames[i].data, num, c.frames[i].ts.Add(shift))
					}
					n++
				}
			}
			runAlone, runDet := pass(alone), pass(withDet)
			runAlone() // warm-up: flow slots, stream and reassembly buffers, detector tables
			runDet()
			a := testing.AllocsPerRun(2, runAlone)
			f0 := findings
			d := testing.AllocsPerRun(2, runDet)
			perFinding := float64(findings-f0) / 3 // AllocsPerRun runs once more to warm up
			n := float64(len(c.frames))
			t.Logf("%s: pipeline %.0f allocs per pass of %d packets (%.5f allocs/packet); with detector %.0f (%.5f allocs/packet), %.0f findings per pass",
				c.name, a, len(c.frames), a/n, d, d/n, perFinding)
			if a/n > maxPipelineAllocsPerPacket {
				t.Errorf("%s: pipeline allocates %.4f times per packet in steady state, limit %.3f", c.name, a/n, maxPipelineAllocsPerPacket)
			}
			if extra := d - a; extra > maxAllocsPerFinding*max(perFinding, 1) {
				t.Errorf("%s: detector allocates %.0f times per pass for %.0f findings, limit %d per finding", c.name, extra, perFinding, maxAllocsPerFinding)
			}
		})
	}
}

// sample is one gate round: each stage's time over a corpus divided by the
// bare loop's time over the same corpus just before it.
type samples map[string][]float64

func measure(t *testing.T, rounds int) samples {
	cs := testCorpora(t)
	type job struct {
		key  string
		bare func()
		run  func()
	}
	var jobs []job
	for _, c := range cs {
		bare := bareRun(t, c)
		for _, st := range gateStages {
			jobs = append(jobs, job{c.name + "/" + st.name, bare, st.make(t, c)})
		}
	}
	for _, j := range jobs { // warm-up round, not recorded
		j.bare()
		j.run()
	}
	s := samples{}
	for r := 0; r < rounds; r++ {
		for _, j := range jobs {
			tb := timeIt(j.bare)
			ts := timeIt(j.run)
			s[j.key] = append(s[j.key], float64(ts)/float64(tb))
		}
	}
	return s
}

// TestGate is gates (b) and (c); it runs only with -gate (make bench-gate,
// part of make test), because it times things.
//
// Why ratios: CI machines differ and are shared, so absolute ns/packet from
// another machine (or another hour) says little. Each sample divides a
// stage's time by the bare gopacket loop's time over the same bytes, measured
// right before it in the same process: machine speed and slow drifts in load
// cancel, and what remains is how much work rpcwatch adds over reading and
// decoding the packets, which is what a code change can make worse.
func TestGate(t *testing.T) {
	if !*gate && !*updateBaseline {
		t.Skip("timed gate: run with -gate (make bench-gate)")
	}
	s := measure(t, gateRounds)
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%-24s time/bare median %.3f (throughput %.2f × bare), samples %s", k, median(s[k]), 1/median(s[k]), fmtSamples(s[k]))
	}

	// (b)
	frac := 1 / median(s["mixed/pipeline"])
	t.Logf("gate (b): mixed pipeline/bare throughput %.3f, minimum %.2f", frac, minMixedFraction)
	if frac < minMixedFraction {
		t.Errorf("gate (b): whole pipeline on the mixed corpus runs at %.3f × the bare loop's packets/s, below %.2f", frac, minMixedFraction)
	}

	if *updateBaseline {
		if err := writeBaseline(baselineFile, keys, s); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", baselineFile)
		return
	}

	// (c)
	base, baseCPUs, err := readBaseline(baselineFile)
	if err != nil {
		t.Fatal(err)
	}
	cpus := runtime.GOMAXPROCS(0)
	t.Logf("gate (c): %-22s %9s %9s %8s %8s", "stage (time/bare)", "baseline", "now", "delta", "p")
	for _, k := range keys {
		b, ok := base[k]
		if !ok || len(b) < 4 {
			t.Logf("gate (c): %-22s not in %s (refresh it with make bench-baseline)", k, baselineFile)
			continue
		}
		if twoGoroutines(k) && baseCPUs != 0 && min(baseCPUs, 2) != min(cpus, 2) {
			t.Logf("gate (c): %-22s not compared: it runs on two goroutines, the baseline had %d CPUs and this run %d", k, baseCPUs, cpus)
			continue
		}
		mb, mc := median(b), median(s[k])
		delta := mc/mb - 1
		p := mannWhitneyGreater(b, s[k])
		verdict := "~"
		if p < regressionAlpha && delta > regressionTolerance {
			verdict = "REGRESSION"
			t.Errorf("gate (c): %s takes %.3f × the bare loop, baseline %.3f (%+.0f %%, p=%.4f): a regression beyond the %.0f %% tolerance",
				k, mc, mb, 100*delta, p, 100*regressionTolerance)
		}
		t.Logf("gate (c): %-22s %9.3f %9.3f %+7.1f%% %8.4f %s", k, mb, mc, 100*delta, p, verdict)
	}
}

func fmtSamples(x []float64) string {
	var b strings.Builder
	for i, v := range x {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.3f", v)
	}
	return b.String()
}

// twoGoroutines says whether a stage runs on two goroutines (Pipeline.Go):
// with one CPU its work does not overlap, so its time over the bare loop is
// not comparable with a baseline taken with two or more (on one CPU
// epm/pipeline+detect measured 1.73-1.85 against the two-CPU baseline's
// 1.43, and failed the gate once in four runs).
func twoGoroutines(stage string) bool { return strings.HasSuffix(stage, "/pipeline+detect") }

// baseline.txt is in the Go benchmark format (one line per sample, unit
// "time/bare"), so benchstat can read it too; its "cpus:" line is the
// GOMAXPROCS it was measured with.
func writeBaseline(path string, keys []string, s samples) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# rpcwatch bench gate baseline: each value is a stage's time over a corpus divided by the bare\n")
	fmt.Fprintf(&b, "# pcapgo + DecodingLayerParser loop's time over the same bytes, measured just before it.\n")
	fmt.Fprintf(&b, "# Regenerate with `make bench-baseline` (see README, Performance). Written %s.\n", time.Now().UTC().Format("2006-01-02"))
	b.WriteString("goos: " + goos() + "\n")
	fmt.Fprintf(&b, "cpus: %d\n", runtime.GOMAXPROCS(0))
	for _, k := range keys {
		for _, v := range s[k] {
			fmt.Fprintf(&b, "BenchmarkGate/%s 1 %.4f time/bare\n", k, v)
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// readBaseline returns the baseline's samples and the GOMAXPROCS they were
// measured with (0 when the file does not say).
func readBaseline(path string) (samples, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("%w (create it with make bench-baseline)", err)
	}
	defer f.Close()
	s, cpus := samples{}, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "cpus: "); ok {
			if cpus, err = strconv.Atoi(v); err != nil || cpus < 1 {
				return nil, 0, fmt.Errorf("%s: bad cpus line %q", path, sc.Text())
			}
			continue
		}
		fs := strings.Fields(sc.Text())
		if len(fs) != 4 || !strings.HasPrefix(fs[0], "BenchmarkGate/") || fs[3] != "time/bare" {
			continue
		}
		v, err := strconv.ParseFloat(fs[2], 64)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %q: %w", path, sc.Text(), err)
		}
		k := strings.TrimPrefix(fs[0], "BenchmarkGate/")
		s[k] = append(s[k], v)
	}
	return s, cpus, sc.Err()
}

// TestBaselineFile: what writeBaseline writes, readBaseline reads back,
// with the CPUs it was measured with; and the committed baseline says its
// CPUs, so that gate (c) can tell a one-CPU run from it.
func TestBaselineFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baseline.txt")
	in := samples{"epm/read": {0.1875, 0.2}, "mixed/pipeline+detect": {1.0, 1.25, 0.5}}
	if err := writeBaseline(path, []string{"epm/read", "mixed/pipeline+detect"}, in); err != nil {
		t.Fatal(err)
	}
	out, cpus, err := readBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if cpus != runtime.GOMAXPROCS(0) || !reflect.DeepEqual(in, out) {
		t.Errorf("read back %v with %d CPUs, want %v with %d", out, cpus, in, runtime.GOMAXPROCS(0))
	}
	if _, cpus, err := readBaseline(baselineFile); err != nil || cpus < 1 {
		t.Errorf("%s: cpus %d, %v", baselineFile, cpus, err)
	}
	if err := os.WriteFile(path, []byte("cpus: two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := readBaseline(path); err == nil {
		t.Error("a bad cpus line was accepted")
	}
	if !twoGoroutines("epm/pipeline+detect") || twoGoroutines("epm/pipeline") {
		t.Error("twoGoroutines: only pipeline+detect runs on two goroutines")
	}
}

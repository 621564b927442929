package detect_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/detect"
	"github.com/rpcwatch/rpcwatch/internal/scenario"
)

// want is one expected finding: rule, frame, severity and the binding it
// names (protocol sequence and port; 0 when it has none).
type want struct {
	rule     detect.Rule
	frame    int
	severity detect.Severity
	protseq  dissect.Protseq
	port     uint16
}

func (w want) String() string {
	return fmt.Sprintf("%s@%d %s %s[%d]", w.rule, w.frame, w.severity, w.protseq, w.port)
}

func gotOf(fs []*detect.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, want{f.Rule, int(f.Frame), f.Severity, f.Binding.Protseq, f.Binding.Port}.String())
	}
	slices.Sort(out)
	return out
}

func wantOf(ws []want) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.String())
	}
	slices.Sort(out)
	return out
}

// The findings each KB scenario must yield, at the frames the generator
// marks (internal/scenario computes the marks while it builds the frames),
// and nothing else.
func dcomWant(m scenario.DCOMMarks) []want {
	return []want{
		// ServerAlive2: the fused resolver address for TCP and UDP (no endpoint).
		{detect.RuleFusedAddress, m.FusedServerAlive2, detect.SeverityMedium, dissect.NcacnIPTCP, 0},
		{detect.RuleFusedAddress, m.FusedServerAlive2, detect.SeverityHigh, dissect.NcadgIPUDP, 0},
		// ResolveOxid2: the exporter's fused bindings, [1038] and [1039].
		{detect.RuleFusedAddress, m.FusedResolveOxid2, detect.SeverityMedium, dissect.NcacnIPTCP, 1038},
		{detect.RuleFusedAddress, m.FusedResolveOxid2, detect.SeverityHigh, dissect.NcadgIPUDP, 1039},
		// The healthy multihomed server and the activation: nothing.
	}
}

func clFloorWant(m scenario.CLFloorMarks) []want {
	return []want{{detect.RuleFusedAddress, m.FusedMapResponse, detect.SeverityHigh, dissect.NcadgIPUDP, 1039}}
}

func restartWant(m scenario.RestartMarks) []want {
	return []want{
		// The client reconnects to the old svcctl port: refused.
		{detect.RuleStaleBinding, m.RefusedRST, detect.SeverityHigh, dissect.NcacnIPTCP, 49670},
		{detect.RuleEndpointMoved, m.MapTCPAfter, detect.SeverityLow, dissect.NcacnIPTCP, 49702},
		// Old handle on the new endpoint.
		{detect.RuleFault, m.ContextMismatch, detect.SeverityLow, dissect.NcacnIPTCP, 49702},
		{detect.RuleStaleBinding, m.ContextMismatch, detect.SeverityHigh, dissect.NcacnIPTCP, 49702},
		// The old UDP endpoint is gone.
		{detect.RuleStaleBinding, m.Unreachable, detect.SeverityHigh, dissect.NcadgIPUDP, 1039},
		// The CL endpoint mapper's boot time changed and messenger moved.
		{detect.RuleServerReboot, m.MapUDPAfter, detect.SeverityLow, dissect.ProtseqUnknown, 0},
		{detect.RuleEndpointMoved, m.MapUDPAfter, detect.SeverityLow, dissect.NcadgIPUDP, 1044},
		// The server does not know the pre-restart call; the same client's
		// wrong-boot-time reject is a fault, the binding already stale.
		{detect.RuleStaleBinding, m.NoCall, detect.SeverityHigh, dissect.NcadgIPUDP, 1044},
		{detect.RuleFault, m.WrongBootReject, detect.SeverityLow, dissect.NcadgIPUDP, 1044},
		// samr's old port now hosts another interface group.
		{detect.RuleStaleBinding, m.ProviderRejection, detect.SeverityHigh, dissect.NcacnIPTCP, 49668},
		{detect.RuleEndpointMoved, m.MapSamrAfter, detect.SeverityLow, dissect.NcacnIPTCP, 49669},
		{detect.RuleFault, m.AccessDenied, detect.SeverityLow, dissect.NcacnIPTCP, 49669},
		{detect.RuleStaleBinding, m.AccessDenied, detect.SeverityHigh, dissect.NcacnIPTCP, 49669},
		{detect.RuleFault, m.CallFailed, detect.SeverityLow, dissect.NcacnIPTCP, 49669},
	}
}

func shift(ws []want, by int) []want {
	out := slices.Clone(ws)
	for i := range out {
		out[i].frame += by
	}
	return out
}

func TestKBFindingsAtMarks(t *testing.T) {
	_, dm := scenario.KB224460DCOM()
	_, cm := scenario.KB224460CLFloor()
	_, rm := scenario.KB216558Restart()
	_, demo := scenario.Demo()
	cases := []struct {
		file string
		want []want
	}{
		{scenario.FileDCOM, dcomWant(dm)},
		{scenario.FileCLFloor, clFloorWant(cm)},
		{scenario.FileRestart, restartWant(rm)},
		{scenario.FileDemo, append(append(dcomWant(demo.DCOM), clFloorWant(demo.CLFloor)...), restartWant(demo.Restart)...)},
	}
	// The demo marks are the scenarios' marks shifted: check the helper
	// agrees, so that the expectations above mean the same frames.
	if got := shift(restartWant(rm), demo.FirstRestart-1); !slices.Equal(wantOf(got), wantOf(restartWant(demo.Restart))) {
		t.Fatalf("demo restart marks are not the restart marks shifted by %d", demo.FirstRestart-1)
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			fs, _ := runCapture(t, repoTestdata(t, c.file))
			got, exp := gotOf(fs), wantOf(c.want)
			if !slices.Equal(got, exp) {
				t.Errorf("findings:\n got  %v\n want %v", got, exp)
			}
		})
	}
}

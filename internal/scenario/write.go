package scenario

import (
	"os"
	"sort"
)

// File names Write creates (in testdata/ of the repository).
const (
	FileDCOM    = "kb224460-dcom-fused.pcap"
	FileCLFloor = "kb224460-cl-epm-fused-floor.pcap"
	FileRestart = "kb216558-restart-stale.pcap"
	FileDemo    = "demo.pcap"
)

// DemoMarks are the marks of the three scenarios as frame numbers of
// demo.pcap.
type DemoMarks struct {
	DCOM    DCOMMarks
	CLFloor CLFloorMarks
	Restart RestartMarks
	// FirstCLFloor and FirstRestart are the demo frame numbers of the
	// first frame of the second and third scenario (the first scenario
	// starts at frame 1).
	FirstCLFloor, FirstRestart int
}

// Demo returns demo.pcap: the three scenarios merged in time order. Their
// time windows do not overlap, so the merge is their concatenation and
// every mark is its scenario's mark shifted by the frames before it.
func Demo() ([]Frame, DemoMarks) {
	a, ma := KB224460DCOM()
	b, mb := KB224460CLFloor()
	r, mr := KB216558Restart()
	var m DemoMarks
	m.DCOM = ma
	m.CLFloor, m.FirstCLFloor = mb.shift(len(a)), len(a)+1
	m.Restart, m.FirstRestart = mr.shift(len(a)+len(b)), len(a)+len(b)+1
	return merge(a, b, r), m
}

// merge merges captures in time order (stable: frames with equal times
// keep their order, earlier captures first).
func merge(caps ...[]Frame) []Frame {
	var all []Frame
	for _, c := range caps {
		all = append(all, c...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	return all
}

// Write writes every scenario file (FileDCOM, FileCLFloor, FileRestart,
// FileDemo) into dir, which must exist. The output depends on nothing but
// this package's code: writing twice gives identical bytes.
func Write(dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return err
	}
	a, _ := KB224460DCOM()
	b, _ := KB224460CLFloor()
	r, _ := KB216558Restart()
	d, _ := Demo()
	for _, f := range []struct {
		name   string
		frames []Frame
	}{{FileDCOM, a}, {FileCLFloor, b}, {FileRestart, r}, {FileDemo, d}} {
		if err := writeFile(dir, f.name, f.frames); err != nil {
			return err
		}
	}
	return nil
}

func (m CLFloorMarks) shift(n int) CLFloorMarks {
	m.FusedMapRequest += n
	m.FusedMapResponse += n
	m.GoodMapRequest += n
	m.GoodMapResponse += n
	return m
}

func (m RestartMarks) shift(n int) RestartMarks {
	for _, p := range []*int{&m.MapTCPBefore, &m.CallOKBefore, &m.LargeResponse, &m.MapSamrBefore, &m.SamrOKBefore,
		&m.MapUDPBefore, &m.CLResponseBefore, &m.CLUnanswered, &m.Restart, &m.RefusedSYN, &m.RefusedRST,
		&m.MapTCPAfter, &m.ContextMismatch, &m.FreshHandleAfter, &m.UnreachableRequest, &m.Unreachable,
		&m.MapUDPAfter, &m.NoCall, &m.WrongBootReject, &m.CLResponseAfter, &m.ProviderRejection,
		&m.MapSamrAfter, &m.AccessDenied, &m.CallFailed} {
		*p += n
	}
	return m
}

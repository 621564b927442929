package dissect

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

func TestStatusTableErrors(t *testing.T) {
	for _, e := range statusTableErrors {
		t.Error(e)
	}
}

func validStatusName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func TestStatusTables(t *testing.T) {
	for _, tab := range []struct {
		name   string
		rows   []statusEntry
		lo, hi uint32
	}{
		{"nca", ncaStatus, 0x1c000000, 0x1c01ffff},
		{"fault", faultStatus, 1, 0xffff},
		{"dce", dceStatus, 0, 0x16c9afff},
		{"win32", win32Status, 1, 0xffff},
		{"hresult", hresultStatus, 0x80000000, 0xffffffff},
	} {
		seen := map[uint32]bool{}
		for i, e := range tab.rows {
			if e.code < tab.lo || e.code > tab.hi {
				t.Errorf("%s[%d] %s: code %#x outside %#x..%#x", tab.name, i, e.name, e.code, tab.lo, tab.hi)
			}
			if !validStatusName(e.name) {
				t.Errorf("%s[%d]: bad name %q", tab.name, i, e.name)
			}
			if seen[e.code] {
				t.Errorf("%s: duplicate code %#x", tab.name, e.code)
			}
			seen[e.code] = true
			if i > 0 && e.code <= tab.rows[i-1].code {
				t.Errorf("%s[%d] %s: not in ascending order", tab.name, i, e.name)
			}
		}
	}
	// The DCE catalogue is contiguous: rpc_s_mod + message number.
	for i, e := range dceStatus[1:] {
		if want := uint32(0x16c9a001 + i); e.code != want {
			t.Fatalf("dceStatus[%d] %s = %#x, want %#x", i+1, e.name, e.code, want)
		}
	}
	if n := len(statusNames); n < 600 {
		t.Errorf("only %d names", n)
	}
}

func TestStatusName(t *testing.T) {
	tests := []struct {
		code uint32
		want string
	}{
		// C706 appendix E.
		{0x1c00001a, "nca_s_fault_context_mismatch"},
		{0x1c010003, "nca_s_unk_if"},
		{0x1c010002, "nca_s_op_rng_error"},
		{0x1c010006, "nca_s_wrong_boot_time"},
		{0x1c010009, "nca_s_you_crashed"},
		{0x1c000006, "nca_s_fault_invalid_tag"}, // not wrong_boot_time
		{0x1c000009, "nca_unspec_reject"},       // not you_crashed
		{0x1c000008, "nca_rpc_version_mismatch"},
		{0x1c00001c, "nca_invalid_pres_context_id"},
		{0x1c000025, "nca_s_fault_no_client_stub"},
		// MS-RPCE fault values that are Win32 codes too.
		{0x00000005, "nca_s_fault_access_denied"},
		{0x00000001, "nca_s_fault_other"},
		{0x000006d8, "nca_s_fault_cant_perform"},
		{0x000006f7, "nca_s_fault_ndr"},
		{0x00000721, "nca_s_fault_sec_pkg_error"},
		// DCE runtime.
		{0x00000000, "rpc_s_ok"},
		{0x16c9a0d6, "ept_s_not_registered"},
		{0x16c9a0cd, "ept_s_cant_perform_op"},
		{0x16c9a012, "rpc_s_no_memory"},
		{0x16c9a02c, "rpc_s_unknown_if"},
		{0x16c9a075, "rpc_s_fault_context_mismatch"},
		{0x16c9a125, "rpc_s_ss_cleanup_failed"},
		// Win32.
		{0x6ba, "RPC_S_SERVER_UNAVAILABLE"},
		{0x6be, "RPC_S_CALL_FAILED"},
		{0x6bf, "RPC_S_CALL_FAILED_DNE"},
		{0x6d9, "EPT_S_NOT_REGISTERED"},
		{0x6b5, "RPC_S_UNKNOWN_IF"},
		{0x6d1, "RPC_S_PROCNUM_OUT_OF_RANGE"},
		{0x6a6, "RPC_S_INVALID_BINDING"},
		{0x6a4, "RPC_S_INVALID_STRING_BINDING"},
		{0x776, "OR_INVALID_OXID"},
		{1929, "RPC_S_GRP_ELT_NOT_REMOVED"},
		// HRESULTs.
		{0x80070005, "E_ACCESSDENIED"},
		{0x80004002, "E_NOINTERFACE"},
		{0x8007000e, "E_OUTOFMEMORY"},
		{0x80070057, "E_INVALIDARG"},
		{0x80040154, "REGDB_E_CLASSNOTREG"},
		{0x80080005, "CO_E_SERVER_EXEC_FAILURE"},
		{0x80010108, "RPC_E_DISCONNECTED"},
		{0x80010113, "RPC_E_INVALID_IPID"},
		{0x8000401b, "CO_E_LAUNCH_PERMSSION_DENIED"},
		{0x800706ba, "HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE)"},
		{0x800706be, "HRESULT_FROM_WIN32(RPC_S_CALL_FAILED)"},
		{0x800706d1, "HRESULT_FROM_WIN32(RPC_S_PROCNUM_OUT_OF_RANGE)"},
		{0x800706d9, "HRESULT_FROM_WIN32(EPT_S_NOT_REGISTERED)"},
		{0x80070776, "HRESULT_FROM_WIN32(OR_INVALID_OXID)"},
		// The Win32 name is used for HRESULTs of colliding codes.
		{0x800706d8, "HRESULT_FROM_WIN32(EPT_S_CANT_PERFORM_OP)"},
		{0x80070721, "HRESULT_FROM_WIN32(RPC_S_SEC_PKG_ERROR)"},
		{0x80070001, "HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION)"},
		// Unknown.
		{0x12345678, ""},
		{0xffffffff, ""},
		{0x1c000011, ""},
		{0x1c00001e, ""},
		{0x16c9a126, ""},
		{0x80070000, ""},
		{0x800706a3, ""},
		{1731, ""},
	}
	for _, tt := range tests {
		if got := StatusName(tt.code); got != tt.want {
			t.Errorf("StatusName(%#x) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

// TestStatusCollisions pins the documented resolution: fault names win for
// the bare value, Win32 names stay in their table and name the HRESULT.
func TestStatusCollisions(t *testing.T) {
	win32 := map[uint32]string{}
	for _, e := range win32Status {
		win32[e.code] = e.name
	}
	want := map[uint32]string{
		1:     "ERROR_INVALID_FUNCTION",
		5:     "ERROR_ACCESS_DENIED",
		0x6d8: "EPT_S_CANT_PERFORM_OP",
		0x6f7: "RPC_X_BAD_STUB_DATA",
		0x721: "RPC_S_SEC_PKG_ERROR",
	}
	if len(faultStatus) != len(want) {
		t.Fatalf("%d fault codes, %d documented collisions", len(faultStatus), len(want))
	}
	for _, f := range faultStatus {
		if win32[f.code] != want[f.code] {
			t.Errorf("%#x: Win32 name %q, want %q", f.code, win32[f.code], want[f.code])
		}
		if got := StatusName(f.code); got != f.name {
			t.Errorf("StatusName(%#x) = %q, want fault name %q", f.code, got, f.name)
		}
	}
	// No value may sit in two families other than those five.
	owner := map[uint32]string{}
	for fam, tab := range map[string][]statusEntry{
		"nca": ncaStatus, "dce": dceStatus, "win32": win32Status, "hresult": hresultStatus,
	} {
		for _, e := range tab {
			if prev, dup := owner[e.code]; dup {
				t.Errorf("%#x in %s and %s", e.code, prev, fam)
			}
			owner[e.code] = fam
		}
	}
}

func checkAppendStatus(t *testing.T, code uint32) {
	t.Helper()
	var buf [96]byte
	got := string(AppendStatus(buf[:0], code))
	want := fmt.Sprintf("0x%08x", code)
	if name := StatusName(code); name != "" {
		want = fmt.Sprintf("%s (0x%08x)", name, code)
	}
	if got != want {
		t.Fatalf("AppendStatus(%#x) = %q, want %q", code, got, want)
	}
}

func TestAppendStatus(t *testing.T) {
	if got := string(AppendStatus([]byte("status="), 0x1c00001a)); got != "status=nca_s_fault_context_mismatch (0x1c00001a)" {
		t.Errorf("got %q", got)
	}
	if got := string(AppendStatus(nil, 0x12345678)); got != "0x12345678" {
		t.Errorf("got %q", got)
	}
	if got := string(AppendStatus(nil, 0)); got != "rpc_s_ok (0x00000000)" {
		t.Errorf("got %q", got)
	}
	// Every named code and its neighbours, every value below 0x10000 and
	// the low 16 bits under every prefix the tables use, the extremes, and
	// a deterministic random sample.
	for code := range statusNames {
		checkAppendStatus(t, code)
		checkAppendStatus(t, code-1)
		checkAppendStatus(t, code+1)
	}
	for _, hi := range []uint32{0x0000, 0x1c00, 0x1c01, 0x16c9, 0x8000, 0x8001, 0x8002, 0x8004, 0x8007, 0x8008, 0xc000, 0xffff} {
		for lo := uint32(0); lo <= 0xffff; lo++ {
			checkAppendStatus(t, hi<<16|lo)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		checkAppendStatus(t, r.Uint32())
	}
}

// TestAppendStatusEveryCode walks all 2^32 codes. It needs about 100 s of
// CPU, so it runs only with RPCWATCH_EXHAUSTIVE=1.
func TestAppendStatusEveryCode(t *testing.T) {
	if os.Getenv("RPCWATCH_EXHAUSTIVE") == "" {
		t.Skip("set RPCWATCH_EXHAUSTIVE=1 to walk every uint32")
	}
	var buf [96]byte
	named := 0
	for c := uint64(0); c <= 0xffffffff; c++ {
		code := uint32(c)
		out := AppendStatus(buf[:0], code)
		name := StatusName(code)
		if name != "" {
			named++
		}
		// Cheap structural check; the formatting itself is compared
		// against fmt in TestAppendStatus.
		if n := len(name); (n == 0 && len(out) != 10) || (n > 0 && len(out) != n+13) {
			t.Fatalf("AppendStatus(%#x) = %q", code, out)
		}
	}
	if named != len(statusNames) {
		t.Errorf("named %d codes, map has %d", named, len(statusNames))
	}
}

func FuzzAppendStatus(f *testing.F) {
	for _, c := range []uint32{0, 5, 0x6ba, 0x1c00001a, 0x1c010003, 0x16c9a0d6, 0x800706ba, 0xffffffff} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, code uint32) {
		out := string(AppendStatus(nil, code))
		if !strings.HasSuffix(out, fmt.Sprintf("%08x", code)) && !strings.HasSuffix(out, fmt.Sprintf("%08x)", code)) {
			t.Fatalf("AppendStatus(%#x) = %q", code, out)
		}
		checkAppendStatus(t, code)
	})
}

var (
	statusSinkString string
	statusSinkBytes  []byte
)

func TestStatusNoAllocs(t *testing.T) {
	buf := make([]byte, 0, 64)
	tests := []struct {
		name string
		fn   func()
	}{
		{"StatusName", func() { statusSinkString = StatusName(0x1c00001a) }},
		{"StatusName/derived", func() { statusSinkString = StatusName(0x800706ba) }},
		{"StatusName/unknown", func() { statusSinkString = StatusName(0x12345678) }},
		{"AppendStatus", func() { statusSinkBytes = AppendStatus(buf[:0], 0x1c00001a) }},
		{"AppendStatus/derived", func() { statusSinkBytes = AppendStatus(buf[:0], 0x800706ba) }},
		{"AppendStatus/unknown", func() { statusSinkBytes = AppendStatus(buf[:0], 0x12345678) }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.fn); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", tt.name, n)
		}
	}
}

func BenchmarkStatusName(b *testing.B) {
	codes := make([]uint32, 0, 2*len(statusNames))
	for c := range statusNames {
		codes = append(codes, c, c^0x00ff0000) // a hit and (mostly) a miss
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		statusSinkString = StatusName(codes[i%len(codes)])
	}
}

func BenchmarkAppendStatus(b *testing.B) {
	buf := make([]byte, 0, 96)
	for _, bc := range []struct {
		name string
		code uint32
	}{
		{"known", 0x1c00001a},
		{"derived", 0x800706ba},
		{"unknown", 0x12345678},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				statusSinkBytes = AppendStatus(buf[:0], bc.code)
			}
		})
	}
}

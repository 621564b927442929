package dcom_test

import (
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect/dcetest"
	"github.com/rpcwatch/rpcwatch/dissect/dcom"
)

// manyStrings returns n string bindings alternating IP and host-name
// entries.
func manyStrings(n int) []dcetest.SB {
	var s []dcetest.SB
	for i := 0; len(s) < n; i++ {
		s = append(s, dcetest.KB224460Correct[i%2], dcetest.KB224460Names[i%2])
	}
	return s[:n]
}

func BenchmarkServerAlive2Response(b *testing.B) {
	for _, tc := range []struct {
		name    string
		strings []dcetest.SB
	}{
		{"seed", seedStrings()},
		{"2", manyStrings(2)},
		{"32", manyStrings(32)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			stub := dcetest.ServerAlive2Response(true, tc.strings, dcetest.DefaultSecurity)
			var p dcom.ServerAlive2Response
			b.SetBytes(int64(len(stub)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := p.Decode(stub, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkResolveOxid2Response(b *testing.B) {
	for _, le := range []bool{true, false} {
		name := "le"
		if !le {
			name = "be"
		}
		b.Run(name, func(b *testing.B) {
			stub := dcetest.ResolveOxid2Response(le, seedStrings(), dcetest.DefaultSecurity)
			var p dcom.ResolveOxid2Response
			b.SetBytes(int64(len(stub)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := p.Decode(stub, le); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkResolveOxid2Iterate decodes and then walks every string
// binding, as the detector does.
func BenchmarkResolveOxid2Iterate(b *testing.B) {
	stub := dcetest.ResolveOxid2Response(true, seedStrings(), dcetest.DefaultSecurity)
	var p dcom.ResolveOxid2Response
	b.SetBytes(int64(len(stub)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p.Decode(stub, true)
		it := p.Bindings.StringBindings()
		for it.Next() {
			sinkBool = it.Entry().Valid()
		}
	}
}

func BenchmarkRemoteCreateInstanceResponse(b *testing.B) {
	stub := dcetest.RemoteCreateInstanceResponse(true, dcetest.SeedActivationReply())
	var p dcom.ActivationResponse
	b.SetBytes(int64(len(stub)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := p.Decode(stub, true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRemoteActivationResponse(b *testing.B) {
	stub := dcetest.RemoteActivationResponse(true, remactReply())
	var p dcom.RemoteActivationResponse
	b.SetBytes(int64(len(stub)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := p.Decode(stub, true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBindingAppendTo(b *testing.B) {
	var d dcom.DualStringArray
	d.Decode(dsaNDR(true, dcetest.DSA{Strings: seedStrings()}), true, dcom.FormNDR)
	it := d.StringBindings()
	it.Next()
	e := it.Entry()
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkBytes = e.Binding.AppendTo(buf[:0])
	}
}

package dissect_test

import (
	"reflect"
	"testing"

	"github.com/rpcwatch/rpcwatch/dissect"
)

// TestCOPDUReuseEqualsFresh decodes every fixture into one reused struct
// after every other fixture, in both byte orders, and compares it with a
// fresh decode.
func TestCOPDUReuseEqualsFresh(t *testing.T) {
	var all [][]byte
	for _, le := range []bool{true, false} {
		for _, fx := range coFixtures(le) {
			all = append(all, fx.b)
		}
	}
	var used dissect.COPDU
	for _, a := range all {
		for _, b := range all {
			used.Decode(a)
			n1, err1 := used.Decode(b)
			var fresh dissect.COPDU
			n2, err2 := fresh.Decode(b)
			if n1 != n2 || err1 != err2 || !reflect.DeepEqual(used, fresh) {
				t.Fatalf("decode after another PDU differs from a fresh decode")
			}
		}
	}
}

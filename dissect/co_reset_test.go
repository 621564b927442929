package dissect

import (
	"reflect"
	"testing"
	"unsafe"
)

// fillNonZero sets every field reachable in v (arrays entirely, slices to a
// one-element slice) to a non-zero value.
func fillNonZero(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if !f.CanSet() { // unexported: reach it through its address
				f = reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
			}
			fillNonZero(f)
		}
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			fillNonZero(v.Index(i))
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(1)
	}
}

// TestCOPDUResetClearsEveryField: reset must leave COPDU{} behind whatever
// the last decode filled. Every field, exported or not, is set (with the
// counts covering the whole arrays, as the fullest decode leaves them); a
// field added to COPDU without a line in reset fails here.
func TestCOPDUResetClearsEveryField(t *testing.T) {
	var p COPDU
	v := reflect.ValueOf(&p).Elem()
	fillNonZero(v)
	// counts as Decode leaves them: the arrays are filled up to the counts
	p.NContexts, p.NResults, p.NVersions = MaxCOContexts, MaxCOContexts, MaxCOVersions
	p.Anomalies.n = MaxAnomalies
	p.reset()
	if !reflect.DeepEqual(p, COPDU{}) {
		t.Fatalf("reset left fields set: %+v", p)
	}
	// out-of-range counts (never produced by Decode) do not panic
	p.NContexts, p.NResults, p.NVersions = -1, 1<<20, 1<<20
	p.reset()
}

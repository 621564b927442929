package flow

import (
	"reflect"
	"testing"
)

// TestAgain: Again touches the last entry Get returned exactly as Get with
// its key would, and refuses (touching nothing) once another entry was
// returned or that entry left the table.
func TestAgain(t *testing.T) {
	a := newIntTable(t, 4, 0, nil)
	b := newIntTable(t, 4, 0, nil)
	for _, k := range []int{1, 2, 3} {
		a.Get(k, at(k))
		b.Get(k, at(k))
	}
	v1, _ := a.Get(1, at(4))
	b.Get(1, at(4))
	a.Get(2, at(5))
	b.Get(2, at(5))
	if a.Again(v1, at(6)) {
		t.Fatal("Again accepted an entry that is no longer the last one returned")
	}
	v2, _ := a.Get(2, at(6))
	b.Get(2, at(6))
	if !a.Again(v2, at(7)) {
		t.Fatal("Again refused the last entry returned")
	}
	b.Get(2, at(7))
	if !reflect.DeepEqual(order(a), order(b)) || a.Stats() != b.Stats() || a.Now() != b.Now() {
		t.Fatalf("Again differs from Get: order %v / %v, stats %+v / %+v", order(a), order(b), a.Stats(), b.Stats())
	}
	a.Remove(2)
	if a.Again(v2, at(8)) {
		t.Fatal("Again accepted an entry that left the table")
	}
	v5, _ := a.Get(5, at(9)) // may reuse the freed slot: the pointer is the same
	if v5 != v2 {
		t.Skip("slot not reused; the reuse case is not exercised")
	}
	if !a.Again(v5, at(10)) || v5.id != 5 {
		t.Fatal("Again on the new occupant of a reused slot")
	}
}

func TestAgainNoAllocs(t *testing.T) {
	tb := newIntTable(t, 4, 0, nil)
	v, _ := tb.Get(1, at(1))
	if n := testing.AllocsPerRun(100, func() { tb.Again(v, at(2)) }); n != 0 {
		t.Fatalf("Again: %v allocs", n)
	}
}

package flow

import (
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// conn stands in for a per-flow value that owns a reusable buffer.
type conn struct {
	id    int
	buf   []byte
	inits int
}

type hookLog struct {
	inits  []int
	evicts []evictRec
}

type evictRec struct {
	key int
	why Reason
}

func newIntTable(t *testing.T, max int, idle time.Duration, log *hookLog) *Table[int, conn] {
	t.Helper()
	tb, err := New(Config[int, conn]{
		Max:  max,
		Idle: idle,
		Init: func(k int, v *conn) {
			v.id = k
			v.buf = v.buf[:0]
			v.inits++
			if log != nil {
				log.inits = append(log.inits, k)
			}
		},
		Evict: func(k int, v *conn, why Reason) {
			if v.id != k {
				panic("evict hook got a value of another key")
			}
			if log != nil {
				log.evicts = append(log.evicts, evictRec{k, why})
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func order[K comparable, V any](tb *Table[K, V]) []K {
	var ks []K
	for k := range tb.All() {
		ks = append(ks, k)
	}
	return ks
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config[int, int]{{Max: 0}, {Max: -1}, {Max: 1, Idle: -time.Second}} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) err = %v, want ErrConfig", cfg, err)
		}
	}
}

func TestTableLRUEviction(t *testing.T) {
	var log hookLog
	tb := newIntTable(t, 3, 0, &log)
	for k := 1; k <= 3; k++ {
		if _, created := tb.Get(k, at(k)); !created {
			t.Fatalf("Get(%d) not created", k)
		}
	}
	if _, created := tb.Get(1, at(4)); created { // 1 becomes most recent
		t.Fatal("Get(1) created again")
	}
	if got, want := order(tb), []int{1, 3, 2}; !slices.Equal(got, want) {
		t.Fatalf("recency order %v, want %v", got, want)
	}
	tb.Get(4, at(5)) // full: 2 is the least recently used
	if want := []evictRec{{2, Evicted}}; !slices.Equal(log.evicts, want) {
		t.Fatalf("evictions %v, want %v", log.evicts, want)
	}
	if _, ok := tb.Peek(2); ok {
		t.Fatal("evicted key still present")
	}
	if tb.Len() != 3 || tb.Cap() != 3 {
		t.Fatalf("Len %d Cap %d", tb.Len(), tb.Cap())
	}
	st := tb.Stats()
	want := Stats{Lookups: 5, Hits: 1, Created: 4, Evicted: 1}
	if st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
}

func TestTableIdleExpiryByCaptureTime(t *testing.T) {
	var log hookLog
	tb := newIntTable(t, 10, 10*time.Second, &log)
	tb.Get(1, at(0))
	tb.Get(2, at(5))
	tb.Get(3, at(8))
	// Exactly Idle old is not expired; strictly older is.
	if n := tb.Expire(at(10), 0); n != 0 {
		t.Fatalf("Expire at 10s removed %d", n)
	}
	if n := tb.Expire(at(11), 0); n != 1 || tb.Len() != 2 {
		t.Fatalf("Expire at 11s removed %d, len %d", n, tb.Len())
	}
	// A new key expires idle ones on its way in (up to two).
	tb.Get(4, at(19))
	if want := []evictRec{{1, Expired}, {2, Expired}, {3, Expired}}; !slices.Equal(log.evicts, want) {
		t.Fatalf("evictions %v, want %v", log.evicts, want)
	}
	// A timestamp that runs backwards does not rewind the clock: key 4 was
	// touched at 19 s and stays "touched at 19 s".
	tb.Get(5, at(3))
	if !tb.Now().Equal(at(19)) {
		t.Fatalf("clock %v went back", tb.Now())
	}
	if n := tb.Expire(at(29), 0); n != 0 {
		t.Fatalf("entries touched at 19s expired at 29s: %d", n)
	}
	if n := tb.Expire(at(30), 1); n != 1 {
		t.Fatalf("Expire with max 1 removed %d", n)
	}
	if n := tb.Expire(at(30), 1); n != 1 || tb.Len() != 0 {
		t.Fatalf("second Expire removed %d, len %d", n, tb.Len())
	}
	if st := tb.Stats(); st.Expired != 5 || st.Evicted != 0 || st.Created != 5 {
		t.Fatalf("stats %+v", st)
	}
}

func TestTableNoIdleNeverExpires(t *testing.T) {
	tb := newIntTable(t, 2, 0, nil)
	tb.Get(1, at(0))
	if n := tb.Expire(at(1<<20), 0); n != 0 || tb.Len() != 1 {
		t.Fatalf("Expire without Idle removed %d", n)
	}
}

func TestTableSlotReuseKeepsBuffers(t *testing.T) {
	tb := newIntTable(t, 2, 0, nil)
	v1, _ := tb.Get(1, at(0))
	v1.buf = append(v1.buf, make([]byte, 4096)...)
	p := &v1.buf[:1][0]
	tb.Get(2, at(1))
	v3, created := tb.Get(3, at(2)) // evicts 1; its slot goes to 3
	if !created || v3 != v1 {
		t.Fatalf("key 3 did not reuse key 1's slot (created %v)", created)
	}
	if v3.id != 3 || len(v3.buf) != 0 || cap(v3.buf) < 4096 || &v3.buf[:1][0] != p {
		t.Fatalf("Init did not reset while keeping the buffer: id %d len %d cap %d", v3.id, len(v3.buf), cap(v3.buf))
	}
	if v3.inits != 2 {
		t.Fatalf("slot initialised %d times, want 2", v3.inits)
	}
}

func TestTableRemoveAndFlush(t *testing.T) {
	var log hookLog
	tb := newIntTable(t, 4, 0, &log)
	for k := 1; k <= 4; k++ {
		tb.Get(k, at(k))
	}
	if !tb.Remove(2) || tb.Remove(2) {
		t.Fatal("Remove(2) twice did not report true then false")
	}
	tb.Flush()
	want := []evictRec{{2, Removed}, {1, Flushed}, {3, Flushed}, {4, Flushed}}
	if !slices.Equal(log.evicts, want) {
		t.Fatalf("evictions %v, want %v", log.evicts, want)
	}
	if tb.Len() != 0 || len(order(tb)) != 0 {
		t.Fatal("table not empty after Flush")
	}
	// The freed slots serve new keys.
	for k := 10; k < 14; k++ {
		if _, created := tb.Get(k, at(10)); !created {
			t.Fatal("not created")
		}
	}
	if st := tb.Stats(); st.Evicted != 0 || tb.Len() != 4 {
		t.Fatalf("refill evicted: %+v", st)
	}
}

func TestTableHookReentryPanics(t *testing.T) {
	var tb *Table[int, int]
	tb, _ = New(Config[int, int]{Max: 1, Evict: func(int, *int, Reason) { tb.Get(9, t0) }})
	tb.Get(1, t0)
	defer func() {
		if recover() == nil {
			t.Fatal("re-entrant Get from Evict did not panic")
		}
	}()
	tb.Get(2, t0)
}

func TestTableFlowKeys(t *testing.T) {
	tb, err := New(Config[Key, int]{Max: 8})
	if err != nil {
		t.Fatal(err)
	}
	c, s := netip.MustParseAddr("10.0.2.15"), netip.MustParseAddr("10.0.2.16")
	k1, _ := NewKey(TCP, c, 49712, s, 135)
	k2, _ := NewKey(TCP, s, 135, c, 49712)
	v1, _ := tb.Get(k1, t0)
	*v1 = 7
	v2, created := tb.Get(k2, t0)
	if created || *v2 != 7 {
		t.Fatal("the two directions did not share an entry")
	}
}

package flow

// index is the open-addressing hash index of a Table: it maps a key's hash
// to the slot holding the key.
//
// Each position holds 0 (empty) or tag<<32 | slot+1, where tag is the low 32
// bits of the key's seeded hash. A key's home position is tag&mask; a key
// sits at its home or at the first position after it (wrapping) that was
// empty when it was inserted, so the positions from a key's home to the key
// hold no empty one (linear probing). Deletion shifts later entries of the
// run back into the hole instead of leaving a tombstone (Knuth's algorithm R),
// which keeps that invariant, so a lookup stops at the first empty position
// and the cost of a lookup never grows with the number of past deletions.
//
// The capacity is a power of two at least twice the table's Max, fixed when
// the table is made: at most half the positions are ever used, so every
// probe sequence reaches an empty position, and a walk is bounded by the
// capacity whatever the keys. Comparing tags first means a probe reads the
// slot (and compares whole keys) only when 32 bits of hash agree.
type index struct {
	pos  []uint64
	mask uint32
}

// minIndex is the smallest index capacity.
const minIndex = 8

// indexCap returns the capacity of the index for a table of max entries:
// the least power of two >= 2*max (and >= minIndex), or 0 if that does not
// fit in an int or in 32 bits of tag.
func indexCap(max int) int {
	want := uint64(max) * 2
	c := uint64(minIndex)
	for c < want {
		c <<= 1
	}
	if c > 1<<32 || c > uint64(maxInt) {
		return 0
	}
	return int(c)
}

const maxInt = int(^uint(0) >> 1)

func newIndex(capacity int) index {
	return index{pos: make([]uint64, capacity), mask: uint32(capacity - 1)}
}

// entry packs a tag and a slot number into a non-zero position value.
func entry(tag uint32, slot int32) uint64 {
	return uint64(tag)<<32 | uint64(uint32(slot)+1)
}

// entrySlot returns the slot number an occupied position holds.
func entrySlot(e uint64) int32 { return int32(uint32(e) - 1) }

// entryTag returns the tag an occupied position holds.
func entryTag(e uint64) uint32 { return uint32(e >> 32) }

// insert stores slot under tag at the first empty position from the tag's
// home. The caller has checked that the key is absent; the index is never
// more than half full, so an empty position exists.
func (x *index) insert(tag uint32, slot int32) {
	p := tag & x.mask
	for x.pos[p] != 0 {
		p = (p + 1) & x.mask
	}
	x.pos[p] = entry(tag, slot)
}

// remove deletes the entry of slot under tag, if present, and closes the
// hole by shifting back the entries after it that may move.
func (x *index) remove(tag uint32, slot int32) {
	want := entry(tag, slot)
	p := tag & x.mask
	for {
		e := x.pos[p]
		if e == 0 {
			return // not indexed
		}
		if e == want {
			break
		}
		p = (p + 1) & x.mask
	}
	x.shift(p)
}

// shift empties position hole and moves back every later entry of its run
// whose home lies at or before the hole (cyclically), so that no entry is
// separated from its home by an empty position.
func (x *index) shift(hole uint32) {
	m := x.mask
	for j := (hole + 1) & m; ; j = (j + 1) & m {
		e := x.pos[j]
		if e == 0 {
			break
		}
		// The entry at j may fill the hole if the hole lies on its probe
		// path, from its home up to j: its distance from home to j is at
		// least the hole's distance to j.
		home := entryTag(e) & m
		if (j-home)&m >= (j-hole)&m {
			x.pos[hole] = e
			hole = j
		}
	}
	x.pos[hole] = 0
}

// clear empties every position.
func (x *index) clear() { clear(x.pos) }

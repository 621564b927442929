package dissect

// reasmCall is what the CO and CL reassemblers' call slots share for slot
// choice and eviction.
type reasmCall interface {
	inUse() bool
	lastUse() uint64
}

func (c *coCall) inUse() bool     { return c.active }
func (c *coCall) lastUse() uint64 { return c.tick }
func (c *clCall) inUse() bool     { return c.active }
func (c *clCall) lastUse() uint64 { return c.tick }

// freeSlot returns the index of an unused call slot, or -1.
func freeSlot[C any, P interface {
	*C
	reasmCall
}](calls []C) int {
	for i := range calls {
		if !P(&calls[i]).inUse() {
			return i
		}
	}
	return -1
}

// oldestCall returns the least recently updated call in use other than
// skip, or -1 when there is none.
func oldestCall[C any, P interface {
	*C
	reasmCall
}](calls []C, skip int) int {
	old := -1
	for i := range calls {
		c := P(&calls[i])
		if i == skip || !c.inUse() {
			continue
		}
		if old < 0 || c.lastUse() < P(&calls[old]).lastUse() {
			old = i
		}
	}
	return old
}

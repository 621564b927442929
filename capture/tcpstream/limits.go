package tcpstream

// Limits bounds what one direction of a stream may hold. The zero value of a
// field selects its default; values are clamped to the ranges given.
type Limits struct {
	// MaxBuffered is the most bytes held per direction: the incomplete PDU
	// at the head of the stream plus out-of-order data. It is also the
	// reorder window: data that arrives farther than MaxBuffered beyond the
	// oldest undelivered byte makes the stream declare the oldest hole lost.
	// Default 256 KiB; at least 64.
	MaxBuffered int
	// MaxHeld is the most disjoint out-of-order byte ranges held per
	// direction (segments that touch merge into one range). One more makes
	// the stream declare the oldest hole lost. Default 32; 1 to 1024.
	MaxHeld int
	// MaxPDU is the longest PDU accepted from the framer; a longer one is
	// treated as a bad header. Default 65535 (the largest DCE/RPC fragment);
	// at most MaxBuffered.
	MaxPDU int
}

// Defaults for Limits fields left zero.
const (
	DefaultMaxBuffered = 256 << 10
	DefaultMaxHeld     = 32
	DefaultMaxPDU      = 65535

	minBuffered = 64
	maxHeldCap  = 1024
)

// DefaultLimits returns the limits a zero Limits stands for.
func DefaultLimits() Limits { return Limits{}.normalized() }

func (l Limits) normalized() Limits {
	if l.MaxBuffered <= 0 {
		l.MaxBuffered = DefaultMaxBuffered
	}
	l.MaxBuffered = max(l.MaxBuffered, minBuffered)
	if l.MaxHeld <= 0 {
		l.MaxHeld = DefaultMaxHeld
	}
	l.MaxHeld = min(l.MaxHeld, maxHeldCap)
	if l.MaxPDU <= 0 {
		l.MaxPDU = DefaultMaxPDU
	}
	l.MaxPDU = min(l.MaxPDU, l.MaxBuffered)
	return l
}

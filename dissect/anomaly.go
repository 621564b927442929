package dissect

// AnomalyKind names one structural inconsistency found on the wire. Kinds are
// grouped by range: 0x00xx general, 0x01xx CO PDUs, 0x02xx CL PDUs, 0x03xx
// NDR and EPM stubs, 0x04xx towers, 0x05xx DCOM string bindings and stubs.
// Each range is defined in its own file (anomaly_*.go) and registers its
// names in init.
type AnomalyKind uint16

// General anomalies, usable by every decoder.
const (
	AnomNone AnomalyKind = iota
	// AnomTruncated: a structure runs past the end of the data.
	AnomTruncated
	// AnomCountTooLarge: a count is larger than the remaining bytes can hold.
	AnomCountTooLarge
	// AnomLengthMismatch: two lengths that must agree do not.
	AnomLengthMismatch
	// AnomTrailingBytes: bytes are left over after a complete structure.
	AnomTrailingBytes
	// AnomLimit: an explicit bound was reached; the rest was not decoded.
	AnomLimit
	// AnomMissingTerminator: a string lacks its NUL terminator.
	AnomMissingTerminator
	// AnomBadValue: a field holds a value its definition does not allow.
	AnomBadValue
)

var anomalyNames = map[AnomalyKind]string{
	AnomNone:              "none",
	AnomTruncated:         "truncated",
	AnomCountTooLarge:     "count-too-large",
	AnomLengthMismatch:    "length-mismatch",
	AnomTrailingBytes:     "trailing-bytes",
	AnomLimit:             "limit-reached",
	AnomMissingTerminator: "missing-terminator",
	AnomBadValue:          "bad-value",
}

// registerAnomalies adds the names of one range; called from init only.
func registerAnomalies(m map[AnomalyKind]string) {
	for k, v := range m {
		if _, dup := anomalyNames[k]; dup {
			panic("dissect: duplicate anomaly kind " + v)
		}
		anomalyNames[k] = v
	}
}

// String returns the kebab-case name used in rpcwatch's output.
func (k AnomalyKind) String() string {
	if s, ok := anomalyNames[k]; ok {
		return s
	}
	return "anomaly-" + string(AppendHex32(nil, uint32(k)))
}

// Anomaly is one inconsistency with the byte offset (relative to the start of
// the structure the decoder was given, unless the decoder documents
// otherwise) and up to two values that show what disagreed (for example the
// declared and the available length).
type Anomaly struct {
	Kind AnomalyKind
	Off  int
	A, B uint32
}

// MaxAnomalies is how many anomalies one decoded structure keeps; more are
// counted in Anomalies.Dropped.
const MaxAnomalies = 8

// Anomalies is a bounded, allocation-free list of anomalies owned by a
// decoded structure. The zero value is empty.
type Anomalies struct {
	list    [MaxAnomalies]Anomaly
	n       uint8
	Dropped uint16 // anomalies found after the list was full
}

// Add records an anomaly; past MaxAnomalies it only counts it.
func (a *Anomalies) Add(k AnomalyKind, off int, x, y uint32) {
	if int(a.n) < MaxAnomalies {
		a.list[a.n] = Anomaly{Kind: k, Off: off, A: x, B: y}
		a.n++
		return
	}
	if a.Dropped < ^uint16(0) {
		a.Dropped++
	}
}

// Len is the number of anomalies kept.
func (a *Anomalies) Len() int { return int(a.n) }

// At returns the i-th anomaly kept.
func (a *Anomalies) At(i int) Anomaly { return a.list[i] }

// Has reports whether an anomaly of kind k was kept.
func (a *Anomalies) Has(k AnomalyKind) bool {
	for i := 0; i < int(a.n); i++ {
		if a.list[i].Kind == k {
			return true
		}
	}
	return false
}

// Reset empties the list.
func (a *Anomalies) Reset() { *a = Anomalies{} }

// reset empties the list as Reset does, clearing only the entries in use
// (Add fills the list in order, so the rest are zero already).
func (a *Anomalies) reset() {
	clear(a.list[:min(int(a.n), MaxAnomalies)])
	a.n, a.Dropped = 0, 0
}

// Merge appends the anomalies of b, shifting their offsets by base.
func (a *Anomalies) Merge(b *Anomalies, base int) {
	for i := 0; i < int(b.n); i++ {
		x := b.list[i]
		a.Add(x.Kind, x.Off+base, x.A, x.B)
	}
	if d := uint32(a.Dropped) + uint32(b.Dropped); d > 0xffff {
		a.Dropped = 0xffff
	} else {
		a.Dropped = uint16(d)
	}
}

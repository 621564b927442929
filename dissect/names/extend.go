package names

// extend returns the operation table of a COM interface that inherits from
// base: base's opnums followed by the derived interface's own, given as a
// keyed slice literal (more). A derived opnum that collides with a named
// base opnum is a table error.
func extend(base, more []string) []string {
	n := max(len(base), len(more))
	out := make([]string, n)
	copy(out, base)
	for i, s := range more {
		if s == "" {
			continue
		}
		if out[i] != "" {
			tableErrors = append(tableErrors, "extend: opnum collision at "+out[i]+"/"+s)
			continue
		}
		out[i] = s
	}
	return out
}

// notOnWire returns a table whose opnums lo..hi are named
// OpnumNNNotUsedOnWire, the placeholder the MS-* documents use for slots
// that exist in the IDL but must never appear in a request.
func notOnWire(lo, hi int) []string {
	out := make([]string, hi+1)
	for i := lo; i <= hi; i++ {
		out[i] = "Opnum" + itoa(i) + "NotUsedOnWire"
	}
	return out
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

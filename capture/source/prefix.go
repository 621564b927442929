package source

import "io"

// readHead reads len(p) bytes from r for format detection, as a
// bufio.Reader's Peek would: it stops at the first error, or with
// io.ErrNoProgress after maxEmptyReads reads in a row that return nothing.
// It returns the bytes read and that error, which may come with the last
// of them (a reader may return its final bytes with io.EOF); the caller
// must not read r again after an error.
func readHead(r io.Reader, p []byte) (int, error) {
	n, empty := 0, 0
	for n < len(p) {
		k, err := r.Read(p[n:])
		if k < 0 || k > len(p)-n {
			return n, errReadCount
		}
		n += k
		switch {
		case err != nil:
			return n, err
		case k > 0:
			empty = 0
		default:
			if empty++; empty >= maxEmptyReads {
				return n, io.ErrNoProgress
			}
		}
	}
	return n, nil
}

// prefixReader holds the first bytes of an input, read by readHead into
// head, and then reads them back (pre, a slice of head) followed by the
// rest of r. err is the error that came with the first bytes, if any: it
// is returned after them instead of reading r again. Classic pcap uses
// only head, for its file header, and then reads r itself.
type prefixReader struct {
	head [24]byte
	pre  []byte
	err  error
	r    io.Reader
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		return n, nil
	}
	if p.err != nil {
		return 0, p.err
	}
	return p.r.Read(b)
}

package bench

import (
	"encoding/binary"
	"math/rand/v2"
	"time"
)

// Synthetic returns a deterministic seed of about n packets of non-RPC
// traffic, used when the shared captures (with their real non-RPC traffic)
// are absent: HTTP-like TCP conversations on port 80 (handshake, request,
// a response of one to eight full segments, teardown), Modbus-like
// exchanges on port 502, and DNS-like UDP queries and answers.
func Synthetic(n int, seed uint64) *Seed {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	s := &Seed{Name: "synthetic-nonrpc"}
	t := Start
	cli := [4]byte{10, 1, 0, 0}
	srv := [4]byte{10, 2, 0, 0}
	add := func(src, dst [4]byte, proto uint8, sp, dp uint16, seq, ack uint32, flags uint8, payload int) {
		t = t.Add(time.Duration(50+r.IntN(500)) * time.Microsecond)
		b := synthFrame(src, dst, proto, sp, dp, seq, ack, flags, payload, r)
		s.Frames = append(s.Frames, Frame{Data: b, Time: t, OrigLen: len(b)})
	}
	for len(s.Frames) < n {
		cli[2], cli[3] = byte(r.IntN(4)), byte(2+r.IntN(200))
		srv[3] = byte(1 + r.IntN(8))
		cp := uint16(32768 + r.IntN(28000))
		switch k := r.IntN(10); {
		case k < 6: // HTTP-like
			a, b := r.Uint32(), r.Uint32()
			add(cli, srv, 6, cp, 80, a, 0, 0x02, 0)
			add(srv, cli, 6, 80, cp, b, a+1, 0x12, 0)
			add(cli, srv, 6, cp, 80, a+1, b+1, 0x10, 0)
			q := 200 + r.IntN(400)
			add(cli, srv, 6, cp, 80, a+1, b+1, 0x18, q)
			a += uint32(q)
			for i := 0; i < 1+r.IntN(8); i++ {
				add(srv, cli, 6, 80, cp, b+1, a+1, 0x10, 1460)
				b += 1460
			}
			add(cli, srv, 6, cp, 80, a+1, b+1, 0x11, 0)
			add(srv, cli, 6, 80, cp, b+1, a+2, 0x11, 0)
			add(cli, srv, 6, cp, 80, a+2, b+2, 0x10, 0)
		case k < 8: // Modbus-like request/response pairs on an open connection
			a, b := r.Uint32(), r.Uint32()
			for i := 0; i < 4; i++ {
				add(cli, srv, 6, cp, 502, a, b, 0x18, 12)
				add(srv, cli, 6, 502, cp, b, a+12, 0x18, 11+2*r.IntN(16))
				a += 12
				b += uint32(len(s.Frames[len(s.Frames)-1].Data) - 54)
			}
		default: // DNS-like
			add(cli, srv, 17, cp, 53, 0, 0, 0, 30+r.IntN(20))
			add(srv, cli, 17, 53, cp, 0, 0, 0, 60+r.IntN(200))
		}
	}
	plan(s)
	return s
}

func synthFrame(src, dst [4]byte, proto uint8, sp, dp uint16, seq, ack uint32, flags uint8, payload int, r *rand.Rand) []byte {
	l4 := 8
	if proto == 6 {
		l4 = 20
	}
	b := make([]byte, 14+20+l4+payload)
	copy(b[0:6], []byte{0x02, 0, 0, 0, 0, 2})
	copy(b[6:12], []byte{0x02, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+l4+payload))
	ip[8], ip[9] = 64, proto
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	t := ip[20:]
	binary.BigEndian.PutUint16(t[0:], sp)
	binary.BigEndian.PutUint16(t[2:], dp)
	if proto == 6 {
		binary.BigEndian.PutUint32(t[4:], seq)
		binary.BigEndian.PutUint32(t[8:], ack)
		t[12], t[13] = 5<<4, flags
		binary.BigEndian.PutUint16(t[14:], 65535)
	} else {
		binary.BigEndian.PutUint16(t[4:], uint16(8+payload))
	}
	for i := 14 + 20 + l4; i < len(b); i++ {
		b[i] = byte('a' + r.IntN(26))
	}
	f := Frame{l3: 14, l4: 34, proto: proto}
	if proto == 6 {
		binary.BigEndian.PutUint16(t[16:], transportSum(b, &f, 34, len(b)))
	} else {
		binary.BigEndian.PutUint16(t[6:], transportSum(b, &f, 34, len(b)))
	}
	binary.BigEndian.PutUint16(ip[10:], ^fold(sum(0, ip[:20])))
	return b
}

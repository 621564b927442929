package detect

import (
	"net/netip"
	"slices"

	"github.com/rpcwatch/rpcwatch/dissect"
	"github.com/rpcwatch/rpcwatch/dissect/names"
)

// Server is one responder in the inventory: a passive rpcdump.
type Server struct {
	Addr netip.Addr
	// Addrs are the addresses known to be this server's (the responder
	// address and addresses it lists alongside one of its own).
	Addrs                 []netip.Addr
	FirstFrame, LastFrame int64
	Interfaces            []Interface
}

// Interface is one interface a server serves.
type Interface struct {
	ID dissect.SyntaxID
	// Name is the short name ("samr"), "" when unknown.
	Name     string
	Bindings []BindingInfo
	// Faults counts the faults, rejects and bind_naks seen for it.
	Faults uint64
}

// BindingInfo is one binding with its history.
type BindingInfo struct {
	Binding dissect.Binding
	// Sources says how it was learned (EPM tower, OXID string binding,
	// activation, observed traffic).
	Sources                 SourceSet
	FirstFrame, LastFrame   int64
	FirstTimeNs, LastTimeNs int64
	Moved                   bool
	MovedFrame              int64
	Fused, Foreign          bool
}

// Inventory returns a snapshot of the state: servers by address,
// interfaces by name then UUID, bindings in the order learned. It
// allocates; it may be called at any time, from any goroutine.
func (d *Detector) Inventory() []Server {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Server, 0, len(d.servers))
	for _, s := range d.servers {
		sv := Server{Addr: s.addr, Addrs: slices.Clone(s.own[:s.nOwn]), FirstFrame: s.first, LastFrame: s.last}
		for id, ifc := range s.ifaces {
			in := Interface{ID: id, Faults: d.faults[faultKey{server: s.addr, iface: id}]}
			in.Name, _ = names.Interface(id.UUID)
			for _, r := range ifc.recs {
				in.Bindings = append(in.Bindings, BindingInfo{Binding: r.key.b, Sources: r.sources,
					FirstFrame: r.first, LastFrame: r.last, FirstTimeNs: r.firstNs, LastTimeNs: r.lastNs,
					Moved: r.moved, MovedFrame: r.movedFrame, Fused: r.fusedReported, Foreign: r.foreign})
			}
			sv.Interfaces = append(sv.Interfaces, in)
		}
		slices.SortFunc(sv.Interfaces, func(a, b Interface) int {
			if a.Name != b.Name {
				if a.Name < b.Name {
					return -1
				}
				return 1
			}
			return compareSyntax(a.ID, b.ID)
		})
		out = append(out, sv)
	}
	slices.SortFunc(out, func(a, b Server) int { return a.Addr.Compare(b.Addr) })
	return out
}

func compareSyntax(a, b dissect.SyntaxID) int {
	for i := range a.UUID {
		if a.UUID[i] != b.UUID[i] {
			return int(a.UUID[i]) - int(b.UUID[i])
		}
	}
	if a.Major != b.Major {
		return int(a.Major) - int(b.Major)
	}
	return int(a.Minor) - int(b.Minor)
}

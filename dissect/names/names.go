package names

import (
	"iter"
	"slices"
	"strings"

	"github.com/rpcwatch/rpcwatch/dissect"
)

// Entry describes one named interface.
type Entry struct {
	UUID  dissect.UUID // interface UUID in canonical order
	Name  string       // short name as the field knows it: "epm", "samr"
	Alias string       // another common name ("epmapper"), or ""
	Desc  string       // one line: what it is and which document defines it
	Ops   int          // number of named operations (0 if none are known)
}

// iface is one row of the interface table. ops is indexed by opnum; "" marks
// an opnum without a known name.
type iface struct {
	uuid  string
	name  string
	alias string
	desc  string
	ops   []string

	u      dissect.UUID // parsed in init
	nnamed int          // named entries in ops, counted in init
}

var (
	byUUID map[dissect.UUID]*iface
	byName map[string]*iface // names and aliases
	sorted []*iface          // by name, for All

	// tableErrors records malformed or duplicate rows found by init. The
	// package keeps working (the offending row is skipped); the tests
	// require the list to be empty.
	tableErrors []string
)

func init() { build() }

// build indexes ifaceTable. It runs once, from init.
func build() {
	byUUID = make(map[dissect.UUID]*iface, len(ifaceTable))
	byName = make(map[string]*iface, 2*len(ifaceTable))
	sorted = make([]*iface, 0, len(ifaceTable))
	for i := range ifaceTable {
		e := &ifaceTable[i]
		u, ok := dissect.ParseUUID(e.uuid)
		if !ok {
			tableErrors = append(tableErrors, "unparsable uuid "+e.uuid)
			continue
		}
		if e.uuid != strings.ToLower(e.uuid) {
			tableErrors = append(tableErrors, "uuid literal not lowercase "+e.uuid)
		}
		if _, dup := byUUID[u]; dup {
			tableErrors = append(tableErrors, "duplicate uuid "+e.uuid)
			continue
		}
		if e.name == "" {
			tableErrors = append(tableErrors, "empty name for "+e.uuid)
			continue
		}
		e.u = u
		for _, op := range e.ops {
			if op != "" {
				e.nnamed++
			}
		}
		byUUID[u] = e
		for _, n := range [...]string{e.name, e.alias} {
			if n == "" {
				continue
			}
			if _, dup := byName[n]; dup {
				tableErrors = append(tableErrors, "duplicate name "+n)
				continue
			}
			byName[n] = e
		}
		sorted = append(sorted, e)
	}
	slices.SortFunc(sorted, func(a, b *iface) int { return strings.Compare(a.name, b.name) })
}

// Interface returns the short name of the interface u, such as "epm" for
// e1af8308-5d1f-11c9-91a4-08002b14a0fa, and whether it is known.
func Interface(u dissect.UUID) (name string, ok bool) {
	e := byUUID[u]
	if e == nil {
		return "", false
	}
	return e.name, true
}

// Describe returns everything the table knows about the interface u.
func Describe(u dissect.UUID) (Entry, bool) {
	e := byUUID[u]
	if e == nil {
		return Entry{}, false
	}
	return e.entry(), true
}

// Opnum returns the name of operation op of the interface iface, such as
// "ept_map" for opnum 3 of the endpoint mapper, and whether it is known.
// Any opnum is accepted; those past the end of the interface's table, or
// without a known name, return ok == false.
func Opnum(iface dissect.UUID, op uint16) (name string, ok bool) {
	e := byUUID[iface]
	if e == nil || int(op) >= len(e.ops) {
		return "", false
	}
	name = e.ops[op]
	return name, name != ""
}

// ByName returns the UUID of the interface called name (its short name or
// its alias, compared exactly, case-sensitively).
func ByName(name string) (dissect.UUID, bool) {
	e := byName[name]
	if e == nil {
		return dissect.UUID{}, false
	}
	return e.u, true
}

// Len returns the number of interfaces in the table.
func Len() int { return len(sorted) }

// All yields every interface, sorted by short name.
func All() iter.Seq[Entry] {
	return func(yield func(Entry) bool) {
		for _, e := range sorted {
			if !yield(e.entry()) {
				return
			}
		}
	}
}

func (e *iface) entry() Entry {
	return Entry{UUID: e.u, Name: e.name, Alias: e.alias, Desc: e.desc, Ops: e.nnamed}
}

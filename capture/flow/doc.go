// Package flow keeps per-connection state for the capture pipeline: a
// canonical, comparable [Key] for a transport 5-tuple, and a bounded
// [Table] that maps keys to caller-defined values living in preallocated
// slots.
//
// A Table has a hard cap on entries, expires entries that have been idle for
// longer than a timeout measured in capture time (the timestamps of the
// packets, never the wall clock), and evicts the least recently used entry
// when a new key arrives while it is full. Entries are kept on an intrusive
// doubly linked list in recency order, so the oldest entry is always at the
// tail: expiry and eviction look at the tail only and never scan the table.
//
// # Sharding
//
// A Table is not safe for concurrent use. To spread work over several
// goroutines, give each worker its own Table and route every packet to the
// worker numbered [Key.Shard](n) (a deterministic hash of the canonical key
// modulo n). Both directions of a connection have the same canonical key and
// therefore land on the same worker.
//
// # Allocation
//
// [New] allocates every slot and sizes the index map for the cap up front.
// After that, lookups, insertions, expiry, eviction and removal allocate
// nothing: a value's slot is handed to the next key after its owner's
// Config.Evict hook has run, and Config.Init lets the owner reset the value
// while keeping its buffers. TestNoAllocs enforces this with
// testing.AllocsPerRun over hit, miss and eviction loops.
//
// # Security
//
// Keys come from packets, so an attacker chooses them. The table never grows
// past Config.Max entries whatever the keys; every entry that leaves early is
// counted (Stats.Evicted, Stats.Expired), so a flood of new flows shows up in
// the counters instead of as unbounded memory. Capture time that runs
// backwards is clamped (the table's clock never goes back), so a forged
// timestamp cannot corrupt the recency order. FuzzFlow drives a table with
// arbitrary operation sequences and checks its invariants after each one.
package flow

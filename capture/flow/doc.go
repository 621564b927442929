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
// Keys are found through the table's own index rather than a Go map: an
// open-addressing array of slot numbers, each with 32 bits of the key's
// hash, probed linearly from the key's home position. Its size is fixed at
// New (a power of two at least twice Config.Max), it is never more than half
// full, and deletion shifts entries back instead of leaving tombstones, so a
// lookup reads a few adjacent words, compares whole keys only when the hash
// bits agree, and does not slow down as deletions accumulate.
// The slot of the last lookup is remembered: the next packet of the same
// conversation skips the hash and the index.
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
// [New] allocates every slot and the whole index (8 bytes a position) up
// front. After that, lookups, insertions, expiry, eviction, removal and
// Flush allocate nothing: a value's slot is handed to the next key after its
// owner's Config.Evict hook has run, and Config.Init lets the owner reset
// the value while keeping its buffers. TestNoAllocs enforces this with
// testing.AllocsPerRun over hit (remembered and through the index), miss,
// eviction, expiry, removal and Flush loops, for flow keys and int keys.
//
// # Security
//
// Keys come from packets, so an attacker chooses them. The table never grows
// past Config.Max entries whatever the keys; every entry that leaves early is
// counted (Stats.Evicted, Stats.Expired), so a flood of new flows shows up in
// the counters instead of as unbounded memory. Capture time that runs
// backwards is clamped (the table's clock never goes back), so a forged
// timestamp cannot corrupt the recency order.
//
// Chosen keys must not be able to pile up on one index position (hash
// flooding). The index hash is seeded per table with a random
// [hash/maphash.Seed] drawn by New: for [Key] it is a multiply-and-fold mix
// of the key's words with six seed-derived words (the construction the Go
// runtime's own hash uses where the CPU lacks AES), for other key types
// [hash/maphash.Comparable] (what Go maps use). [Key.Hash], which picks
// shards, stays deterministic and is not used by the index. The mix is not
// cryptographic: it is meant to keep whoever can only send packets, and
// cannot read the table's memory, from choosing keys that collide. Keys
// that collide under Key.Hash, or differ in one port only, land apart in
// the index (TestIndexFlood). Whatever the hash, a probe never walks more
// than the index's fixed size, and a table whose keys all hash alike is
// slow but still correct (TestIndexAllCollide, and FuzzTableModel with weak
// hashes).
//
// FuzzFlow drives a table with arbitrary operation sequences and checks its
// invariants after each one; FuzzTableModel checks every answer, hook call,
// counter and the recency order against a plain reference model.
package flow

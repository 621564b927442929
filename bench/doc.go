// Package bench builds the large, deterministic captures rpcwatch's
// performance is measured on, and holds the benchmarks and the CI
// performance gate (bench_test.go, gate_test.go).
//
// # Corpus
//
// Build concatenates copies of seed captures: the real captures in testdata/
// and, where it exists, ../shared/captures (read at build time, never
// committed). Each copy is a distinct conversation: its timestamps are
// shifted to follow the previous copy, every TCP sequence and
// acknowledgement number is offset by a per-copy constant, and every client
// port (the side that sent the SYN, else the higher port) is moved by a
// per-copy stride. IPv4 header, TCP and UDP checksums are recomputed, so
// tshark and rpcwatch both see valid, new conversations rather than
// retransmissions. Server ports and payloads are left alone: every copy
// advertises the same bindings. Copies of RPC seeds and of non-RPC seeds are
// interleaved so that the share of RPC-seed packets tracks Spec.RPCShare;
// without the shared captures, the non-RPC traffic is synthetic (Synthetic).
//
// Kinds: EPMHeavy (90 % of packets from the DCE/RPC seeds) and Mixed
// (10 %). The size is Spec.Packets (whole copies, so the result is within
// one seed of it): CI builds about 60 thousand packets in memory, the README
// figures come from a million.
//
// # Allocation
//
// The builder is not on a hot path and allocates freely (one copy of each
// seed in memory, one frame buffer). What is measured is the pipeline:
// TestGateAllocs checks 0 allocs/packet in steady state for capture.Pipeline
// plus detect.Detector over both corpora.
//
// # Security
//
// Seeds are read through capture/source, which validates the files; frames
// whose headers cannot be walked (non-Ethernet link types, short or
// fragmented IP) are copied unchanged (or skipped, for other link types) and
// counted, never rewritten past their bounds.
package bench

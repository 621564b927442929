# rpcwatch — see README.md.
GO      ?= go
PKGS    := ./...
FUZZTIME ?= 30s

.PHONY: all build test test-integration deps vet fmt-check unit demo fuzz bench clean pgo

all: build

build:
	$(GO) build -o bin/rpcwatch ./cmd/rpcwatch

deps:
	@bash .ci/install-deps

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

# Unit, differential (tshark), real-capture, allocation and fuzz-seed tests.
# Fuzz seed corpora (testdata/fuzz) run as ordinary tests.
# (internal/integration runs in test-integration, not here.)
unit:
	$(GO) test -count=1 $$($(GO) list $(PKGS) | grep -v /internal/integration)

# Integration tests against real peers (Samba's endpoint mapper, rpcclient,
# impacket, tcpdump, tshark) on lo; they need root and skip without it.
test-integration: deps
	$(GO) test -count=1 -timeout 5m -v ./internal/integration/

# Everything CI must run.
test: deps fmt-check vet unit test-integration bench-gate

# Runs rpcwatch on testdata/demo.pcap, which internal/scenario generates: a
# multihomed server's fused bindings (KB 224460) and a restart that moves
# endpoints and leaves clients on stale bindings (KB 216558). (deps: the
# build needs libpcap's headers for live capture.)
demo: deps build
	./bin/rpcwatch read testdata/demo.pcap

# Runs every fuzz target for FUZZTIME each (not part of test).
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin

# Performance gate (part of test; see README, Performance): 0 allocs/packet in
# steady state, whole-pipeline throughput on the mixed corpus as a fraction of
# the bare gopacket loop, and no clear regression against bench/baseline.txt.
bench-gate:
	$(GO) test -count=1 -run '^TestGate' ./bench -args -gate

# Rebuilds cmd/rpcwatch/default.pgo, the profile go build uses to optimize
# the binary (profile-guided optimization), from rpcwatch read on the bench
# corpora; commit it after changes to the hot path.
PGO_PACKETS ?= 1000000
pgo:
	bash bench/pgo.sh $(PGO_PACKETS)

# Rewrites bench/baseline.txt from this machine (run on a quiet machine): the
# testdata seed set, then the shared one when the shared captures are found.
bench-baseline:
	$(GO) test -count=1 -run '^TestGate$$' ./bench -v -args -update-baseline -seeds=testdata
	$(GO) test -count=1 -run '^TestGate$$' ./bench -v -args -update-baseline

# rpcwatch vs tshark on million-packet corpora, and rpcwatch's peak RSS
# from 10 thousand to a million packets (BENCH_PACKETS to change the size).
BENCH_PACKETS ?= 1000000
bench-compare: build
	bash bench/compare.sh $(BENCH_PACKETS)

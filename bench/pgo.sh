#!/usr/bin/env bash
# Rebuilds cmd/rpcwatch/default.pgo, the CPU profile `go build` uses for
# profile-guided optimization of the rpcwatch binary (make pgo; see README,
# Performance). Usage, from the repository root:
#   bash bench/pgo.sh [PACKETS]
# Profiles `rpcwatch read --json` (built without PGO, so that the profile
# does not depend on the previous one) three times on each of the EPM-heavy
# and mixed corpora of PACKETS packets (default 1000000), built in a
# temporary directory, and merges the six profiles.
set -euo pipefail
N=${1:-1000000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -pgo=off -o "$dir/rpcwatch" ./cmd/rpcwatch
for kind in epm mixed; do
  go run ./bench/cmd/corpus -kind "$kind" -packets "$N" -o "$dir/$kind.pcap" | sed -n 1p
  for i in 1 2 3; do
    "$dir/rpcwatch" read --json --quiet --cpuprofile "$dir/$kind$i.pprof" "$dir/$kind.pcap" > /dev/null
  done
done
go tool pprof -proto "$dir"/*.pprof > "$dir/merged.pgo" 2>/dev/null
mv "$dir/merged.pgo" cmd/rpcwatch/default.pgo
echo "wrote cmd/rpcwatch/default.pgo ($(stat -c %s cmd/rpcwatch/default.pgo) bytes)"

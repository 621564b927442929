#!/usr/bin/env bash
# rpcwatch vs tshark on bench's corpora (make bench-compare). Usage:
#   bash bench/compare.sh [PACKETS]     (from the repository root, after make build)
# Builds the EPM-heavy and mixed corpora (PACKETS each, default 1000000) in a
# temporary directory, runs `rpcwatch read --json` (RUNS times, default 5:
# the median wall time and the largest peak RSS are reported) and tshark's
# `-Y 'epm || oxid || dcom' -T fields` (once) on each under /usr/bin/time -v, checks
# that both found the same bindings (distinct addresses and TCP/UDP ports of
# endpoint-mapper towers in responses, and DCOM string-binding addresses), and
# prints packets/s, MB/s, the ratio and peak RSS. Then rpcwatch's peak RSS
# on EPM-heavy corpora of 10 thousand, 100 thousand and PACKETS packets.
set -euo pipefail
N=${1:-1000000}
RUNS=${RUNS:-5}
PY=/usr/bin/python3
command -v tshark >/dev/null || { echo "compare: tshark not installed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "compare: /usr/bin/time not installed (apt-get install time)" >&2; exit 1; }
[ -x bin/rpcwatch ] || { echo "compare: run make build first" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
tv() { awk -F': ' -v k="$1" '$1 ~ k {print $2}' "$2"; }
secs() { # elapsed from /usr/bin/time -v ("m:ss.ss" or "h:mm:ss")
  tv 'Elapsed' "$1" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }'
}
for kind in epm mixed; do
  f=$dir/$kind.pcap
  go run ./bench/cmd/corpus -kind $kind -packets "$N" -o "$f" | sed -n 1p
  pk=$(capinfos -c -M "$f" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
  mb=$(stat -c %s "$f" | awk '{print $1/1e6}')
  # rpcwatch runs RUNS times (a run is short, so one sample is at the mercy
  # of the machine's other load); its median wall time is reported.
  for i in $(seq "$RUNS"); do
    /usr/bin/time -v -o "$dir/rw$i.time" ./bin/rpcwatch read --json "$f" > "$dir/rw.json" || true
  done
  /usr/bin/time -v -o "$dir/ts.time" tshark -n -r "$f" -Y 'epm || oxid || dcom' -T fields \
    -E occurrence=a -E aggregator=, -e dcerpc.pkt_type -e epm.proto.ip -e epm.proto.tcp_port -e epm.proto.udp_port \
    -e dcom.dualstringarray.network_addr > "$dir/ts.txt" 2>"$dir/ts.err" || true
  echo "load after $kind: $(cut -d' ' -f1-3 /proc/loadavg)"
  $PY - "$dir/rw.json" "$dir/ts.txt" <<'PYEOF'
import json, sys
rw = {"ip": set(), "tcp": set(), "udp": set(), "dcom": set()}
n_rw = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("kind") != "binding":
        continue
    n_rw += 1
    src, ps = o.get("source"), o.get("protseq")
    if src == "epm" and ps in ("ncacn_ip_tcp", "ncadg_ip_udp", "ncacn_http"):
        rw["ip"].add(o["address"])
        if ps == "ncacn_ip_tcp": rw["tcp"].add(o["endpoint"])
        if ps == "ncadg_ip_udp": rw["udp"].add(o["endpoint"])
    elif src in ("oxid", "activation"):
        ep = o.get("endpoint", "")
        if ep:  # compared: string bindings with an endpoint, on both sides
            rw["dcom"].add(f"{o['address']}[{ep}]")
# tshark's known misreadings (capture/tshark_test.go names them), mapped to
# what it prints: an 8-byte IPv4 floor (fused address) shows its first four
# bytes; a 2-byte IPv4 floor (rpcwatch: malformed, empty address) shows as
# 127.0.0.0 in the corrupt-floor capture; big-endian DUALSTRINGARRAY strings
# come out as hex of UTF-16BE.
def ts_norm_ip(v):
    return v
def ts_norm_dcom(v):
    if len(v) % 4 == 0 and len(v) >= 8 and all(c in "0123456789ABCDEF" for c in v):
        try:
            return bytes.fromhex(v).decode("utf-16-be").rstrip("\x00")
        except ValueError:
            return v
    return v
import re
def first_quad(a):
    # a fused address is two dotted quads glued together: tshark shows the first
    for i in range(len(a)):
        head, tail = a[:i], a[i:]
        if head.count(".") == 3 and tail.count(".") == 3 and all(
                p.isdigit() and int(p) < 256 and (p == "0" or p[0] != "0")
                for p in head.split(".") + tail.split(".")):
            return head
    return a
rw["ip"] = {("127.0.0.0" if a == "" else first_quad(a)) for a in rw["ip"]}
ts = {"ip": set(), "tcp": set(), "udp": set(), "dcom": set()}
n_ts = 0
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("\t")
    f += [""] * (5 - len(f))
    n_ts += 1
    if "2" not in f[0].split(","):   # responses only (requests carry query towers)
        continue
    for k, v in (("ip", f[1]), ("tcp", f[2]), ("udp", f[3]), ("dcom", f[4])):
        vals = [ts_norm_dcom(x) if k == "dcom" else x for x in v.split(",") if x]
        if k == "dcom":  # host-only entries (no [endpoint]) are addresses, not bindings
            vals = [x for x in vals if x.endswith("]")]
        ts[k].update(vals)
ok = True
for k in ("ip", "tcp", "udp", "dcom"):
    a, b = rw[k], ts[k]
    same = "same" if a == b else "DIFFER"
    ok &= a == b
    print(f"  bindings {k:4}: rpcwatch {len(a):3} distinct, tshark {len(b):3} distinct: {same}"
          + ("" if a == b else f"; only rpcwatch {sorted(a - b)[:8]}, only tshark {sorted(b - a)[:8]}"))
print(f"  rpcwatch binding events {n_rw}, tshark matching frames {n_ts}; same bindings: {'yes' if ok else 'NO'}")
PYEOF
  all=$(for i in $(seq "$RUNS"); do secs "$dir/rw$i.time"; done | sort -n)
  rs=$(echo "$all" | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}')
  echo "  rpcwatch wall times over $RUNS runs (s):" $all
  ts=$(secs "$dir/ts.time")
  rr=$(for i in $(seq "$RUNS"); do tv 'Maximum resident' "$dir/rw$i.time"; done | sort -n | tail -1)
  tr=$(tv 'Maximum resident' "$dir/ts.time")
  awk -v k=$kind -v p="$pk" -v mb="$mb" -v rs="$rs" -v ts="$ts" -v rr="$rr" -v tr="$tr" 'BEGIN {
    printf "| %s | %d | %.0f MB | rpcwatch | %.2f s | %.0f | %.1f | %.0f MiB |\n", k, p, mb, rs, p/rs, mb/rs, rr/1024
    printf "| %s | %d | %.0f MB | tshark | %.2f s | %.0f | %.1f | %.0f MiB |\n", k, p, mb, ts, p/ts, mb/ts, tr/1024
    printf "| %s | | | ratio | | %.0f× | | |\n", k, ts/rs }'
  rm -f "$f"
done
echo "rpcwatch peak RSS by corpus size (EPM-heavy):"
for n in 10000 100000 "$N"; do
  f=$dir/rss.pcap
  go run ./bench/cmd/corpus -kind epm -packets "$n" -o "$f" >/dev/null
  /usr/bin/time -v -o "$dir/rss.time" ./bin/rpcwatch read --json "$f" > /dev/null || true
  echo "  $n packets: $(tv 'Maximum resident' "$dir/rss.time") KiB peak RSS, $(secs "$dir/rss.time") s"
  rm -f "$f"
done

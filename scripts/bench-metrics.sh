#!/usr/bin/env bash
# What the metrics cost: scripts/bench.sh's stomp-server scenarios against a baseline binary
# (built from a commit before the metrics) and against this tree's binary with the metrics
# listener on, alternating run by run in one session, 127.0.0.1 only. Prints every figure and
# the medians side by side (markdown, for docs/BENCHMARKS.md). docs/BENCHMARKS.md is not touched.
#
#   scripts/bench-metrics.sh BASELINE [ROUNDS] [TRANSPORTS]
#
#   BASELINE    a stomp-server binary without metrics, e.g. built from main:
#                 git archive main | tar -x -C /tmp/base
#                 (cd /tmp/base && CARGO_TARGET_DIR=$PWD/target cargo build --profile server -p stomp-server)
#                 → target/server/stomp-server of this tree's target dir
#   ROUNDS      baseline/metrics pairs (default 3)
#   TRANSPORTS  as bench.sh --transports (default "tcp ws")
#   BENCH_FULL=1  bench.sh's full sizes instead of --quick
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || [ ! -x "$1" ]; then
  sed -n '2,16p' "$0"
  exit 2
fi
base=$(realpath "$1")
rounds=${2:-3}
transports=${3:-"tcp ws"}
size=--quick
[ "${BENCH_FULL:-0}" = 1 ] && size=

out=$PWD/target/bench-metrics/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
cargo build --profile server -p stomp-server
# A copy: the runs below must all use the same binary.
cp target/server/stomp-server "$out/stomp-server"

for round in $(seq 1 "$rounds"); do
  for variant in baseline metrics; do
    if [ "$variant" = baseline ]; then
      bin=$base args=
    else
      bin=$out/stomp-server args="--metrics 127.0.0.1:0"
    fi
    echo "[bench-metrics] round $round: $variant ($bin $args)" >&2
    BENCH_SERVER=$bin BENCH_SERVER_ARGS=$args BENCH_OUT=$out/$variant BENCH_NO_DOC=1 \
      scripts/bench.sh $size --only ours --transports "$transports" ||
      echo "[bench-metrics] round $round $variant: incomplete runs (kept)" >&2
  done
done

python3 - "$out" <<'PY'
import glob, json, statistics, sys
out = sys.argv[1]

def key(r):
    s = r["scenario"]
    if s == "throughput":
        return (r["transport"], f"throughput 1→{r['subscribers']}", "deliveries/s", "deliveries_per_sec")
    if s == "latency":
        return (r["transport"], f"latency p50 at {r['rate']:,} msg/s", "ms", "p50_ms")
    if s == "idle":
        return (r["transport"], "idle", "KiB/connection", "kib_per_connection")
    return None

figures = {}
for variant in ("baseline", "metrics"):
    for path in sorted(glob.glob(f"{out}/{variant}/results-*.jsonl")):
        for line in open(path):
            if not line.strip():
                continue
            r = json.loads(line)
            k = key(r)
            if k:
                figures.setdefault(k, {}).setdefault(variant, []).append(r[k[3]])
            if r["scenario"] == "latency":
                k = (r["transport"], f"latency p99 at {r['rate']:,} msg/s", "ms", "p99_ms")
                figures.setdefault(k, {}).setdefault(variant, []).append(r["p99_ms"])

print("| transport | scenario | unit | baseline (each run) | with metrics (each run) | median change |")
print("|---|---|---|---|---|---|")
for k in sorted(figures):
    v = figures[k]
    b, m = v.get("baseline", []), v.get("metrics", [])
    fmt = lambda xs: ", ".join(f"{x:,.0f}" if x >= 100 else f"{x:.3g}" for x in xs) or "–"
    change = "–"
    if b and m:
        mb, mm = statistics.median(b), statistics.median(m)
        change = f"{(mm - mb) / mb * 100:+.1f}%"
    print(f"| {k[0]} | {k[1]} | {k[2]} | {fmt(b)} | {fmt(m)} | {change} |")
print(f"\nraw figures: {out}/{{baseline,metrics}}/results-*.jsonl")
PY

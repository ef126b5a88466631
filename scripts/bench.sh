#!/usr/bin/env bash
# Benchmarks: the same loadgen scenarios against RabbitMQ (Web-STOMP and STOMP TCP) and against
# our stomp-server, in one run, on this machine, 127.0.0.1 only. Writes the raw figures
# (JSON lines) and regenerates docs/BENCHMARKS.md from them.
#
#   scripts/bench.sh                    everything (about 15 minutes on 2 shared cores)
#   scripts/bench.sh --quick            shorter runs, 2,000 idle connections (a smoke test)
#   scripts/bench.sh --only ours        skip RabbitMQ (or: --only rabbitmq)
#   scripts/bench.sh --transports ws    WebSocket only (default: "ws tcp")
#   scripts/bench.sh --only ours --transports 'sockjs-websocket xhr-streaming xhr-polling eventsource'
#                                       SockJS transports against stomp-server's /stomp: 1→1
#                                       throughput only; merged into docs/BENCHMARKS.md as the
#                                       "SockJS transports" section, the rest of the page kept
#   BENCH_OUT=dir scripts/bench.sh      where the JSON lines go (default target/bench)
#   BENCH_NO_DOC=1 scripts/bench.sh     do not rewrite docs/BENCHMARKS.md
#   BENCH_SERVER=path BENCH_SERVER_ARGS='--metrics 127.0.0.1:0' scripts/bench.sh
#                                       another stomp-server binary, extra flags for it
#                                       (scripts/bench-metrics.sh compares two binaries)
#
# Scenarios (loadgen, 100-byte bodies; see loadgen/src/*.rs for exactly what is timed):
#   throughput 1→1 and 1→10 (one topic), latency at a fixed 2,000 and 10,000 msg/s,
#   idle: RSS of the broker process per idle connection with 10,000 connections.
# Publishers send no heart-beats; subscribers and idle sessions beat every 10 s (REFERENCE.md §5).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

quick=0
only=
transports="ws tcp"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --only)
      only=$2
      shift
      ;;
    --transports)
      transports=$2
      shift
      ;;
    -h | --help)
      sed -n '2,23p' "$0"
      exit 0
      ;;
    *)
      echo "unknown argument: $1" >&2
      exit 2
      ;;
  esac
  shift
done

# SockJS transports exist only on stomp-server (RabbitMQ's Web-STOMP here has no SockJS).
is_sockjs() {
  case "$1" in
    sockjs-websocket | xhr-streaming | xhr-polling | eventsource) return 0 ;;
  esac
  return 1
}
sockjs_only=1
for t in $transports; do
  is_sockjs "$t" || sockjs_only=0
done

log() { printf '\033[1;33m[bench]\033[0m %s\n' "$*" >&2; }

if [ "$quick" = 1 ]; then
  tp_secs=2 tp1_max=200000 tp10_max=20000 lat_secs=4 idle_conns=2000
else
  tp_secs=5 tp1_max=500000 tp10_max=50000 lat_secs=10 idle_conns=10000
fi

# Idle connections: the harness and each broker need a descriptor per connection.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((idle_conns + 1000)) ]; then
  log "ulimit -n is $(ulimit -n): too low for $idle_conns connections"
  exit 1
fi

OUT=${BENCH_OUT:-$ROOT/target/bench}
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
results=$OUT/results-$stamp.jsonl
meta=$OUT/meta-$stamp.json
: >"$results"

# Full-speed native code. The release profile is size-tuned for Wasm: loadgen uses `bench`
# (release + opt-level 3, in target/release), stomp-server its own `server` profile (opt-level 3,
# thin LTO, unwinding; target/server).
log "building loadgen (--profile bench) and stomp-server (--profile server)"
cargo build --profile bench -p loadgen
cargo build --profile server -p stomp-server
LOADGEN=$ROOT/target/release/loadgen
SERVER=${BENCH_SERVER:-$ROOT/target/server/stomp-server}
read -r -a server_args <<<"${BENCH_SERVER_ARGS:-}"

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

failures=0
# loadgen <label> <transport> <scenario args...>: one run, its JSON line appended to $results.
loadgen() {
  local label=$1 transport=$2
  shift 2
  local addr_args
  if [ "$label" = rabbitmq ]; then
    addr_args=(--tcp 127.0.0.1:61613 --ws ws://127.0.0.1:15674/ws)
  else
    addr_args=(--tcp "$OURS_TCP" --ws "ws://$OURS_HTTP/ws" --sockjs "http://$OURS_HTTP/stomp")
  fi
  log "$label/$transport: $*"
  if ! "$LOADGEN" --json --label "$label" --transport "$transport" "${addr_args[@]}" "$@" >>"$results"; then
    failures=$((failures + 1))
    log "$label/$transport: $1 did not complete cleanly (figures kept, marked in the report)"
  fi
}

# Throughput and latency, every transport, against a running broker.
traffic() {
  local label=$1 transport
  for transport in $transports; do
    if is_sockjs "$transport"; then
      [ "$label" = rabbitmq ] && continue
      loadgen "$label" "$transport" throughput --publishers 1 --subscribers 1 \
        --duration "$tp_secs" --max-messages "$tp1_max"
      continue
    fi
    loadgen "$label" "$transport" throughput --publishers 1 --subscribers 1 \
      --duration "$tp_secs" --max-messages "$tp1_max"
    loadgen "$label" "$transport" throughput --publishers 1 --subscribers 10 \
      --duration "$tp_secs" --max-messages "$tp10_max"
    loadgen "$label" "$transport" latency --rate 2000 --duration "$lat_secs" --warmup 1
    loadgen "$label" "$transport" latency --rate 10000 --duration "$lat_secs" --warmup 1
  done
}

# shellcheck source=scripts/serve-test.sh
. "$ROOT/scripts/serve-test.sh"
# Every load client comes from 127.0.0.1: the per-address limits (README, "Limits") would cap
# them as one client, so they are off here, as behind a reverse proxy.
printf '[limits]\nmax_connections_per_address = 0\nmax_pending_per_address = 0\n[sockjs]\nmax_sessions_per_address = 0\n' >"$tmp/bench.toml"
start_ours() {
  start_server "$tmp/server.log" "$SERVER" --clock-ms 0 --config "$tmp/bench.toml" "${server_args[@]}" || exit 1
  OURS_TCP=$LISTEN_TCP
  OURS_HTTP=$LISTEN_HTTP
  log "stomp-server pid $server_pid tcp=$OURS_TCP http=$OURS_HTTP"
}

stop_ours() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# Each idle measurement gets a freshly started broker: memory freed by earlier connections stays
# in a process's RSS (allocator caches, the Erlang VM's carriers) and would hide the growth.
if [ "$only" != rabbitmq ]; then
  start_ours
  traffic stomp-server
  stop_ours
  for transport in $transports; do
    is_sockjs "$transport" && continue
    start_ours
    loadgen stomp-server "$transport" idle --connections "$idle_conns" --server-pid "$server_pid"
    stop_ours
  done
fi

if [ "$only" != ours ]; then
  scripts/rabbitmq.sh install
  scripts/rabbitmq.sh stop
  scripts/rabbitmq.sh start
  traffic rabbitmq
  for transport in $transports; do
    is_sockjs "$transport" && continue
    scripts/rabbitmq.sh stop
    scripts/rabbitmq.sh start
    loadgen rabbitmq "$transport" idle --connections "$idle_conns" --server-pid "$(scripts/rabbitmq.sh pid)"
  done
fi

load_end=$(cut -d' ' -f1-3 /proc/loadavg)

cat >"$meta" <<EOF
{
  "date": "$(date -u '+%Y-%m-%d %H:%M UTC')",
  "command": "scripts/bench.sh $([ "$quick" = 1 ] && printf -- '--quick ')$([ -n "$only" ] && printf -- '--only %s ' "$only")--transports '$transports'",
  "commit": "$(git rev-parse --short HEAD)",
  "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')",
  "cores": $(nproc),
  "memory_gib": $(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo),
  "kernel": "$(uname -r)",
  "rustc": "$(rustc --version)",
  "rabbitmq": "$(dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null || echo n/a)",
  "load_start": "$load_start",
  "load_end": "$load_end",
  "params": {"throughput_secs": $tp_secs, "max_1to1": $tp1_max, "max_1to10": $tp10_max,
             "latency_secs": $lat_secs, "idle_connections": $idle_conns},
  "results": "$(realpath --relative-to="$ROOT" "$results")"
}
EOF

log "figures: $results"
if [ "${BENCH_NO_DOC:-0}" != 1 ]; then
  mkdir -p docs
  if [ "$sockjs_only" = 1 ]; then
    # Only the SockJS section is regenerated; the other figures on the page stay as measured.
    python3 scripts/bench-report.py --merge-sockjs docs/BENCHMARKS.md "$meta" "$results"
    log "updated the SockJS section of docs/BENCHMARKS.md"
  else
    python3 scripts/bench-report.py "$meta" "$results" >docs/BENCHMARKS.md
    log "wrote docs/BENCHMARKS.md"
  fi
fi
if [ "$failures" -gt 0 ]; then
  log "$failures run(s) incomplete (see the report)"
  exit 1
fi

#!/usr/bin/env bash
# Relay vs built-in broker (issue 8): the same loadgen runs (STOMP over TCP, 100-byte bodies)
# against one stomp-server with its built-in broker and one relaying to RabbitMQ
# (scripts/rabbitmq.sh, needs root). Prints one JSON line per run; the figures are copied by
# hand into docs/BENCHMARKS.md ("Broker relay"). Bounded: each run is at most $SECS seconds.
#
#   scripts/bench-relay.sh            # 10 s runs
#   SECS=5 scripts/bench-relay.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${SECS:-10}
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

bash scripts/rabbitmq.sh start
cargo build --profile bench -p loadgen
cargo build --profile server -p stomp-server
LOADGEN=target/release/loadgen  # the bench profile builds into target/release
SERVER=target/server/stomp-server

# start NAME ARGS...: starts a server, sets $tcp to its STOMP TCP address.
start() {
  local name=$1 log="$tmp/$1.log" line=
  shift
  "$SERVER" --tcp 127.0.0.1:0 --http 127.0.0.1:0 --clock-ms 0 "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do
    line=$(grep -m1 -o 'listening tcp=[^ ]*' "$log" || true)
    [ -n "$line" ] && break
    sleep 0.1
  done
  [ -n "$line" ] || { cat "$log" >&2; exit 1; }
  tcp=${line#listening tcp=}
}

run() {
  local label=$1 addr=$2
  shift 2
  "$LOADGEN" --json --label "$label" --transport tcp --tcp "$addr" "$@"
}

start builtin
builtin_tcp=$tcp
start relay --relay 127.0.0.1:61613
relay_tcp=$tcp
echo "# load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) on $(nproc) cores" >&2
for target in "builtin $builtin_tcp" "relay $relay_tcp"; do
  set -- $target
  run "stomp-server-$1" "$2" throughput --publishers 1 --subscribers 1 --duration "$SECS" --max-messages 200000
  run "stomp-server-$1" "$2" latency --rate 2000 --duration "$SECS" --warmup 1
done
echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

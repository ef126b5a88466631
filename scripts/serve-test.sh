# Sourced by the end-to-end scripts: starts a debug stomp-server on free ports, serving `$1` as
# www, and sets STOMP_HTTP_URL / STOMP_WS_URL / STOMP_TCP_ADDR. Stops it on exit.
# shellcheck shell=bash
start_test_server() {
  local www=$1
  cargo build -q -p stomp-server >&2
  server_log=$(mktemp)
  NO_COLOR=1 RUST_LOG=${RUST_LOG:-warn,stomp_server=info} target/debug/stomp-server \
    --tcp 127.0.0.1:0 --http 127.0.0.1:0 --www "$www" >"$server_log" 2>&1 &
  server_pid=$!
  trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -f "$server_log"' EXIT
  local line=""
  for _ in $(seq 1 100); do
    line=$(sed 's/\x1b\[[0-9;]*m//g' "$server_log" | grep -m1 -o 'listening tcp=[^ ]* http=[^ ]*' || true)
    [ -n "$line" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$server_log" >&2; return 1; }
    sleep 0.1
  done
  [ -n "$line" ] || { echo "stomp-server did not start" >&2; cat "$server_log" >&2; return 1; }
  local http=${line##*http=}
  STOMP_TCP_ADDR=${line#listening tcp=}
  STOMP_TCP_ADDR=${STOMP_TCP_ADDR%% *}
  export STOMP_TCP_ADDR STOMP_HTTP_URL="http://$http" STOMP_WS_URL="ws://$http/ws"
  echo "stomp-server at $STOMP_HTTP_URL (tcp $STOMP_TCP_ADDR)" >&2
}

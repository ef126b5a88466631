# Sourced by the end-to-end and consumer scripts: starts a debug stomp-server serving `$1` as www,
# under the test supervisor (tests/support/supervisor.mjs), and sets STOMP_HTTP_URL / STOMP_WS_URL
# / STOMP_TCP_ADDR, and STOMP_TEST_CONTROL (POST /restart, /stop, /start restart the server on the
# same ports). Stops it on exit.
# shellcheck shell=bash
start_test_server() {
  local www=$1
  cargo build -q -p stomp-server >&2
  server_log=$(mktemp)
  local state
  state=$(mktemp)
  RUST_LOG=${RUST_LOG:-warn,stomp_server=info} node tests/support/supervisor.mjs \
    --server target/debug/stomp-server --state "$state" -- --www "$www" >"$server_log" 2>&1 &
  server_pid=$!
  trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -f "$server_log"' EXIT
  for _ in $(seq 1 600); do
    [ -s "$state" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$server_log" >&2; return 1; }
    sleep 0.1
  done
  [ -s "$state" ] || { echo "stomp-server did not start" >&2; cat "$server_log" >&2; return 1; }
  field() { node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.stdout.write(s[process.argv[2]] ?? "")' "$state" "$1"; }
  STOMP_TCP_ADDR=$(field tcp)
  STOMP_HTTP_URL=$(field http)
  STOMP_WS_URL=$(field ws)
  STOMP_TEST_CONTROL=$(field control)
  rm -f "$state"
  export STOMP_TCP_ADDR STOMP_HTTP_URL STOMP_WS_URL STOMP_TEST_CONTROL
  echo "stomp-server at $STOMP_HTTP_URL (tcp $STOMP_TCP_ADDR, control $STOMP_TEST_CONTROL)" >&2
}

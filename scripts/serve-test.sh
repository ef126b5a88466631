# Sourced by the test scripts: runs a broker under the test supervisor
# (tests/support/supervisor.mjs), which can restart it on the same ports and puts
# WebSocket-blocking proxies in front of it. Stops it on exit (scripts that set their own EXIT
# trap kill "$server_pid" in it).
# shellcheck shell=bash

# supervise SUPERVISOR-ARGS…: starts the supervisor and exports what it reports:
#   STOMP_TCP_ADDR, STOMP_HTTP_URL, STOMP_WS_URL     where the broker listens
#   STOMP_TEST_CONTROL         POST /restart?down_ms=N, /stop, /start
#   STOMP_TEST_PROXY_CLOSE     proxy that closes WebSocket upgrades at once (our server only)
#   STOMP_TEST_PROXY_SWALLOW   proxy that never answers WebSocket upgrades (our server only)
#   STOMP_TEST_PROXY_BUFFER    proxy that refuses upgrades and buffers each response until it
#                              ends: only polling gets through (our server only)
supervise() {
  local state
  state=$(mktemp)
  node tests/support/supervisor.mjs --state "$state" "$@" >&2 &
  server_pid=$!
  trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null' EXIT
  for _ in $(seq 1 600); do
    [ -s "$state" ] && break
    kill -0 "$server_pid" 2>/dev/null || { echo "the test supervisor exited" >&2; return 1; }
    sleep 0.1
  done
  [ -s "$state" ] || { echo "the test supervisor did not start the broker" >&2; return 1; }
  field() { node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.stdout.write(s[process.argv[2]] ?? "")' "$state" "$1"; }
  STOMP_TCP_ADDR=$(field tcp)
  STOMP_HTTP_URL=$(field http)
  STOMP_WS_URL=$(field ws)
  STOMP_TEST_CONTROL=$(field control)
  STOMP_TEST_PROXY_CLOSE=$(field proxyClose)
  STOMP_TEST_PROXY_SWALLOW=$(field proxySwallow)
  STOMP_TEST_PROXY_BUFFER=$(field proxyBuffer)
  rm -f "$state"
  export STOMP_TCP_ADDR STOMP_HTTP_URL STOMP_WS_URL STOMP_TEST_CONTROL STOMP_TEST_PROXY_CLOSE STOMP_TEST_PROXY_SWALLOW \
    STOMP_TEST_PROXY_BUFFER
  echo "broker at $STOMP_HTTP_URL (tcp $STOMP_TCP_ADDR, control $STOMP_TEST_CONTROL)" >&2
}

# start_test_server WWW [SERVER-ARGS…]: a debug stomp-server serving WWW at /.
start_test_server() {
  local www=$1
  shift
  cargo build -q -p stomp-server >&2
  RUST_LOG=${RUST_LOG:-warn,stomp_server=info} \
    supervise --server target/debug/stomp-server -- --www "$www" "$@"
}

# start_server LOG BINARY ARGS…: runs a stomp-server binary on free ports (ARGS may add --config
# and the like) with its output in LOG, waits for its "listening tcp=… http=…" line and sets
# server_pid, LISTEN_TCP and LISTEN_HTTP (host:port each), and LISTEN_TLS_TCP and LISTEN_HTTPS
# ("off" unless ARGS turn them on). The caller stops it.
start_server() {
  local log=$1 bin=$2
  shift 2
  NO_COLOR=1 "$bin" --tcp 127.0.0.1:0 --http 127.0.0.1:0 "$@" >"$log" 2>&1 &
  server_pid=$!
  local line=
  for _ in $(seq 1 300); do
    # 2>/dev/null: the log may not exist yet (the server starts in the background).
    line=$(grep -m1 -o 'listening tcp=[^ ]* http=[^ ]*' "$log" 2>/dev/null || true)
    [ -n "$line" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$line" ]; then
    echo "stomp-server did not log its listening line; its output:" >&2
    cat "$log" >&2
    return 1
  fi
  LISTEN_TCP=${line#listening tcp=}
  LISTEN_TCP=${LISTEN_TCP%% *}
  LISTEN_HTTP=${line##* http=}
  LISTEN_TLS_TCP=$(grep -m1 -o 'listening tcp=.* tls_tcp=[^ ]*' "$log" | sed 's/.* tls_tcp=//')
  LISTEN_HTTPS=$(grep -m1 -o 'listening tcp=.* https=[^ ]*' "$log" | sed 's/.* https=//')
}

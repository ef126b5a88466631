#!/usr/bin/env bash
# Client fallback figures (docs/BENCHMARKS.md "Client fallback"): stomp-wasm's SockJS transports
# (tests/bench_sockjs.rs, release build) and the anchor, stompjs 7.5 + sockjs-client 1.6.1
# (tests/interop/sockjs-anchor-bench.mjs), both in headless Chromium against the same servers:
# stomp-server under the test supervisor (with its WebSocket-closing and -swallowing proxies)
# and a second stomp-server with `[sockjs] websocket = false`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

cargo build -q -p stomp-server
# shellcheck source=scripts/serve-test.sh
. scripts/serve-test.sh
supervise --server target/debug/stomp-server -- --clock-ms 0
extras=$(mktemp -d)
printf '[sockjs]\nwebsocket = false\n' >"$extras/no-ws.toml"
target/debug/stomp-server --config "$extras/no-ws.toml" --tcp 127.0.0.1:0 --http 127.0.0.1:0 \
  >"$extras/no-ws.log" 2>&1 &
no_ws_pid=$!
trap 'kill "$server_pid" "$no_ws_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$extras"' EXIT
no_ws=""
for _ in $(seq 1 200); do
  no_ws=$(sed 's/\x1b\[[0-9;]*m//g' "$extras/no-ws.log" | grep -o 'http=[0-9.:]*' | head -1 | cut -d= -f2 || true)
  [ -n "$no_ws" ] && break
  sleep 0.1
done
[ -n "$no_ws" ] || { cat "$extras/no-ws.log" >&2; exit 1; }
export STOMP_TEST_URL=$STOMP_WS_URL STOMP_TEST_HTTP=$STOMP_HTTP_URL STOMP_TEST_HTTP_NO_WS="http://$no_ws"

echo "== stompjs + sockjs-client (anchor)"
node tests/interop/sockjs-anchor-bench.mjs
echo "== stomp-wasm"
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"
wasm-pack test --headless --chrome --mode no-install . --release --test bench_sockjs -- --nocapture 2>&1 |
  grep '^FIGURE'

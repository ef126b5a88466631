#!/usr/bin/env bash
# Client fallback figures (docs/BENCHMARKS.md "Client fallback"): the npm package as it ships
# (pkg/, built here by scripts/build-pkg.sh) and the anchor, stompjs 7.5 + sockjs-client 1.6.1,
# in headless Chromium in one run (tests/interop/sockjs-connect-bench.mjs) against the same
# servers: stomp-server under the test supervisor, with its proxies that close, swallow or refuse
# WebSocket upgrades (the last one also buffers every response until it ends,
# tests/support/proxy.mjs), a second stomp-server with `[sockjs] websocket = false`, and the
# reference SockJS server (npm sockjs, tests/interop/sockjs-gateway.mjs) with and without a
# proxy that swallows upgrades.
#
#   scripts/bench-sockjs.sh [--runs N] [--skip-rates]    N connects per case (default 9)
#   SKIP_PKG_BUILD=1 scripts/bench-sockjs.sh …             pkg/ as it is
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

[ "${SKIP_PKG_BUILD:-0}" = 1 ] || bash scripts/build-pkg.sh >&2
cargo build -q -p stomp-server
# shellcheck source=scripts/serve-test.sh
. scripts/serve-test.sh
supervise --server target/debug/stomp-server -- --clock-ms 0
main_pid=$server_pid
extras=$(mktemp -d)
printf '[sockjs]\nwebsocket = false\n' >"$extras/no-ws.toml"
start_server "$extras/no-ws.log" target/debug/stomp-server --config "$extras/no-ws.toml"
no_ws_pid=$server_pid
server_pid=$main_pid
# The reference SockJS server (npm `sockjs`, tests/interop/sockjs-gateway.mjs) in front of the
# broker's TCP port: the same client race against a SockJS server no one here wrote.
node tests/interop/sockjs-gateway.mjs --stomp "$STOMP_TCP_ADDR" --response-limit 131072 \
  --state "$extras/gateway.json" >"$extras/gateway.log" 2>&1 &
gateway_pid=$!
trap 'kill "$server_pid" "$no_ws_pid" "$gateway_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$extras"' EXIT
for _ in $(seq 1 100); do
  [ -s "$extras/gateway.json" ] && break
  sleep 0.1
done
[ -s "$extras/gateway.json" ] || { cat "$extras/gateway.log" >&2; exit 1; }
STOMP_TEST_SOCKJS_NODE=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).url' "$extras/gateway.json")
export STOMP_TEST_HTTP=$STOMP_HTTP_URL STOMP_TEST_HTTP_NO_WS="http://$LISTEN_HTTP" STOMP_TEST_SOCKJS_NODE

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(uptime | sed 's/.*load/load/'), $(git rev-parse --short HEAD)"
node tests/interop/sockjs-connect-bench.mjs "$@"

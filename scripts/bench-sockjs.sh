#!/usr/bin/env bash
# Client fallback figures (docs/BENCHMARKS.md "Client fallback"): the npm package as it ships
# (pkg/, built here by scripts/build-pkg.sh) and the anchor, stompjs 7.5 + sockjs-client 1.6.1,
# in headless Chromium in one run (tests/interop/sockjs-connect-bench.mjs) against the same
# servers: stomp-server under the test supervisor, with its proxies that close, swallow or refuse
# WebSocket upgrades (the last one also buffers every response until it ends,
# tests/support/proxy.mjs), and a second stomp-server with `[sockjs] websocket = false`.
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
trap 'kill "$server_pid" "$no_ws_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$extras"' EXIT
export STOMP_TEST_HTTP=$STOMP_HTTP_URL STOMP_TEST_HTTP_NO_WS="http://$LISTEN_HTTP"

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(uptime | sed 's/.*load/load/'), $(git rev-parse --short HEAD)"
node tests/interop/sockjs-connect-bench.mjs "$@"

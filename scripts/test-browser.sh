#!/usr/bin/env bash
# Browser tests of the client as it ships (pkg-core/js/client.js over the core module, and
# pkg-core/js/sockjs.js over the SockJS module; tests/web_*.rs, wasm-bindgen-test in a real
# browser) against a real STOMP broker over WebSocket and SockJS.
#
#   scripts/test-browser.sh                  builds and starts our stomp-server on free ports
#   ENGINE=firefox scripts/test-browser.sh   the same tests in another engine: chromium (the
#   ENGINE=webkit scripts/test-browser.sh    default, headless), firefox (Firefox ESR, headless)
#                                            or webkit (WebKitGTK's MiniBrowser under Xvfb)
#   STOMP_TEST_BROKER=rabbitmq scripts/test-browser.sh
#                                            RabbitMQ Web-STOMP at ws://127.0.0.1:15674/ws
#                                            (scripts/rabbitmq.sh start), login guest/guest
#   STOMP_TEST_URL=ws://host:port/ws scripts/test-browser.sh
#                                            any broker already running (the tests that restart
#                                            the broker, need the blocking proxies or wss://
#                                            then fail)
#
# Extra arguments go to `wasm-pack test` (e.g. `--test web_js_client`). The broker URL reaches the
# tests at compile time (option_env!("STOMP_TEST_URL")), so cargo rebuilds them when it changes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '\033[1;34m[test-browser]\033[0m %s\n' "$*"; }

# Each engine's WebDriver capabilities live in webdriver[.ENGINE].json at the root (the runner
# reads WASM_BINDGEN_TEST_WEBDRIVER_JSON; tests/e2e/ reads the same files).
# wasm-bindgen-test-runner knows chromedriver, geckodriver, safaridriver and msedgedriver. Its
# geckodriver path is plain W3C WebDriver (a new session with the JSON's capabilities, plus
# moz:firefoxOptions, which other drivers ignore), so it drives WebKitGTK's WebKitWebDriver as
# well; its safaridriver path sends no capabilities, from which WebKitWebDriver cannot start
# MiniBrowser. MiniBrowser has no headless mode: it runs on an Xvfb display.
ENGINE=${ENGINE:-chromium}
runner=()
case $ENGINE in
  chromium) browser=(--chrome) webdriver_json=webdriver.json ;;
  firefox) browser=(--firefox) webdriver_json=webdriver.firefox.json ;;
  webkit)
    browser=(--firefox --geckodriver "$(command -v WebKitWebDriver || echo /usr/bin/WebKitWebDriver)")
    webdriver_json=webdriver.webkit.json
    runner=(xvfb-run -a)
    ;;
  *) echo "ENGINE must be chromium, firefox or webkit" >&2; exit 2 ;;
esac
export WASM_BINDGEN_TEST_WEBDRIVER_JSON=$PWD/$webdriver_json

case "${STOMP_TEST_BROKER:-ours}" in
  rabbitmq)
    export STOMP_TEST_URL="${STOMP_TEST_URL:-ws://127.0.0.1:15674/ws}"
    export STOMP_TEST_LOGIN="${STOMP_TEST_LOGIN:-guest}"
    export STOMP_TEST_PASSCODE="${STOMP_TEST_PASSCODE:-guest}"
    ;;
  ours) ;;
  *) echo "STOMP_TEST_BROKER must be 'ours' or 'rabbitmq'" >&2; exit 2 ;;
esac

# The broker runs under the test supervisor (scripts/serve-test.sh), which lets the tests restart
# it (STOMP_TEST_CONTROL) and puts WebSocket-blocking proxies in front of it. The tests read
# these variables at compile time.
# shellcheck source=scripts/serve-test.sh
. scripts/serve-test.sh

# For tests/web_sockjs*.rs: a second stomp-server with SockJS WebSocket off (and a small
# streaming limit, so long streams cross several re-opens): STOMP_TEST_HTTP_NO_WS; and the
# reference SockJS server (npm sockjs, tests/interop/sockjs-gateway.mjs) in front of the first
# broker's TCP port: STOMP_TEST_SOCKJS_GATEWAY.
sockjs_extras() {
  extras=$(mktemp -d)
  printf '[sockjs]\nwebsocket = false\nresponse_limit = 8192\n' >"$extras/no-ws.toml"
  local main_pid=$server_pid
  start_server "$extras/no-ws.log" target/debug/stomp-server --config "$extras/no-ws.toml" || exit 1
  no_ws_pid=$server_pid
  server_pid=$main_pid
  export STOMP_TEST_HTTP_NO_WS="http://$LISTEN_HTTP"
  node tests/interop/sockjs-gateway.mjs --stomp "$STOMP_TCP_ADDR" --state "$extras/gateway.json" \
    >"$extras/gateway.log" 2>&1 &
  gateway_pid=$!
  trap 'kill "$server_pid" "$no_ws_pid" "$gateway_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$server_config" "$extras"' EXIT
  for _ in $(seq 1 200); do
    [ -s "$extras/gateway.json" ] && break
    sleep 0.1
  done
  [ -s "$extras/gateway.json" ] || { cat "$extras/gateway.log" >&2; echo "the SockJS gateway did not start" >&2; exit 1; }
  STOMP_TEST_SOCKJS_GATEWAY=$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).url)' "$extras/gateway.json")
  export STOMP_TEST_SOCKJS_GATEWAY
  log "SockJS without WebSocket: $STOMP_TEST_HTTP_NO_WS; reference SockJS gateway: $STOMP_TEST_SOCKJS_GATEWAY"
}
# For tests/web_js_tls.rs: a stomp-server with an https listener on a certificate made for this
# run (STOMP_TEST_WSS_URL). Chromium is told to trust it by the SHA-256 of its public key
# (--ignore-certificate-errors-spki-list, in a webdriver.json of this run); Firefox and WebKitGTK
# have no such flag for one key, so their sessions of this run get WebDriver's standard
# acceptInsecureCerts (a fresh profile each, so nothing outlives the run).
tls_extras() {
  local main_pid=$server_pid
  cargo run -q -p stomp-server --example gen_test_certs -- "$extras/tls"
  start_server "$extras/tls.log" target/debug/stomp-server --https 127.0.0.1:0 \
    --tls-cert "$extras/tls/cert.pem" --tls-key "$extras/tls/key.pem" || exit 1
  tls_pid=$server_pid
  server_pid=$main_pid
  trap 'kill "$server_pid" "$no_ws_pid" "$gateway_pid" "$tls_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$server_config" "$extras"' EXIT
  export STOMP_TEST_WSS_URL="wss://127.0.0.1:${LISTEN_HTTPS##*:}/ws"
  local spki
  spki=$(python3 -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1], "rb").read()).digest()).decode())' "$extras/tls/spki.der")
  node -e '
    const fs = require("fs");
    const [source, target, spki] = process.argv.slice(1);
    const caps = JSON.parse(fs.readFileSync(source, "utf8"));
    if (caps["goog:chromeOptions"]) {
      caps["goog:chromeOptions"].args.push(`--ignore-certificate-errors-spki-list=${spki}`);
    } else {
      caps.acceptInsecureCerts = true;
    }
    fs.writeFileSync(target, JSON.stringify(caps, null, 2));
  ' "$WASM_BINDGEN_TEST_WEBDRIVER_JSON" "$extras/webdriver.json" "$spki"
  export WASM_BINDGEN_TEST_WEBDRIVER_JSON=$extras/webdriver.json
  log "wss:// broker: $STOMP_TEST_WSS_URL (key $spki, trusted by this run's $ENGINE sessions)"
}
if [ "${STOMP_TEST_BROKER:-ours}" = rabbitmq ]; then
  supervise --rabbitmq
elif [ -z "${STOMP_TEST_URL:-}" ]; then
  log "building stomp-server"
  cargo build -q -p stomp-server
  server_config=$(mktemp --suffix=.toml)
  # Heart-beats offered every 500 ms, so the heart-beat test sees one quickly.
  printf '[heartbeat]\nsend_ms = 500\nreceive_ms = 500\n' >"$server_config"
  supervise --server target/debug/stomp-server -- --config "$server_config" --clock-ms 0
  trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -f "$server_config"' EXIT
  export STOMP_TEST_URL=$STOMP_WS_URL
  sockjs_extras
  tls_extras
fi
export STOMP_TEST_HTTP=${STOMP_HTTP_URL:-}

log "broker: $STOMP_TEST_URL; engine: $ENGINE"
# tests/web_sockjs*.rs include the SockJS module as it ships (tests/support/sockjs.rs).
log "building the SockJS module (scripts/size.sh --sockjs)"
bash scripts/size.sh --sockjs >/dev/null
# Per-test limit of the runner (default 20 s): the machine may be loaded; the tests bound their
# own waits at 15 s each.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"
if [ $# -eq 0 ]; then
  set -- $(for f in tests/web_*.rs; do
    t=$(basename "$f" .rs)
    # The SockJS and TLS tests need our server's SockJS endpoint and https listener.
    [ "${STOMP_TEST_BROKER:-ours}" = rabbitmq ] && [[ $t == web_sockjs* || $t == web_js_tls ]] && continue
    printf -- '--test %s ' "$t"
  done)
fi
# Every test but web_heap drives the JS client, whose core module it embeds from
# target/pkg-core-size/ (tests/support/js_client.rs).
log "building the size-first core (scripts/size.sh --core)"
bash scripts/size.sh --core >/dev/null
${runner[@]+"${runner[@]}"} wasm-pack test --headless "${browser[@]}" --mode no-install . "$@"

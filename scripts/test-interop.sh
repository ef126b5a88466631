#!/usr/bin/env bash
# Interop tests: clients no one here wrote (stomp.py over TCP, @stomp/stompjs 7.5 over
# WebSocket in node) against our stomp-server and, optionally, against RabbitMQ (there also our
# own JS client's node tests, pkg-core/tests/client.test.mjs). Against our
# server both suites run twice: plain, then over TLS (stomp.py with ssl to the tls_tcp listener,
# stompjs over wss:// to the https listener, both trusting a CA made for the run).
#
#   scripts/test-interop.sh              build stomp-server (debug), run both suites against it
#   scripts/test-interop.sh --release    ...with a release build
#   scripts/test-interop.sh --rabbitmq   ...and against RabbitMQ too (INTEROP_RABBITMQ=1 works
#                                        as well; installs/starts it with scripts/rabbitmq.sh)
#   scripts/test-interop.sh --only-rabbitmq   RabbitMQ alone (e.g. before the server exists)
#
# The server listens on ports picked by the kernel (127.0.0.1:0); the script reads them from
# its "listening tcp=ADDR http=ADDR" log line, and kills the server on exit. Exit status is
# non-zero when any suite fails against any broker.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

profile=debug
ours=1
rabbit=${INTEROP_RABBITMQ:-0}
for arg in "$@"; do
  case "$arg" in
    --release) profile=release ;;
    --rabbitmq) rabbit=1 ;;
    --only-rabbitmq) rabbit=1 ours=0 ;;
    -h | --help)
      sed -n '2,13p' "$0"
      exit 0
      ;;
    *)
      echo "unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done

log() { printf '\033[1;36m[interop]\033[0m %s\n' "$*" >&2; }

# Peers: npm packages in tools/, stomp.py from tools/requirements.txt.
if [ ! -d tools/node_modules/@stomp/stompjs ] || [ ! -d tools/node_modules/ws ]; then
  log "installing npm packages (tools/)"
  (cd tools && npm install --no-audit --no-fund --loglevel=error)
fi
if ! python3 -c 'import stomp' 2>/dev/null; then
  log "installing pip packages (tools/requirements.txt)"
  python3 -m pip install -q -r tools/requirements.txt
fi

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

failures=()

# Runs both suites against the broker described by the STOMP_* variables in the environment.
run_suites() {
  local name=$1
  log "[$name] stomp.py over TCP $STOMP_HOST:$STOMP_PORT"
  if ! python3 -m unittest -v tests/interop/test_stomppy.py; then
    failures+=("$name: stomp.py")
  fi
  log "[$name] @stomp/stompjs over WebSocket $STOMP_WS_URL"
  if ! node --test tests/interop/stompjs.test.mjs; then
    failures+=("$name: stompjs")
  fi
  # TLS passes add the checks of the TLS itself.
  if [ -n "${STOMP_SSL_CA:-}" ] && ! python3 -m unittest -v tests/interop/test_stomppy_tls.py; then
    failures+=("$name: stomp.py TLS")
  fi
  if [ -n "${STOMP_WS_CA:-}" ] && ! node --test tests/interop/stompjs-tls.test.mjs; then
    failures+=("$name: stompjs TLS")
  fi
}

if [ "$ours" = 1 ]; then
  cargo_flags=(-p stomp-server --bin stomp-server)
  [ "$profile" = release ] && cargo_flags+=(--release)
  log "building stomp-server ($profile)"
  cargo build "${cargo_flags[@]}"
  bin=$ROOT/target/$profile/stomp-server
  # A CA and a localhost/127.0.0.1 certificate for this run (test fixtures).
  cargo run -q -p stomp-server --example gen_test_certs -- "$tmp/tls"

  # shellcheck source=scripts/serve-test.sh
  . "$ROOT/scripts/serve-test.sh"
  start_server "$tmp/server.log" "$bin" --tls-tcp 127.0.0.1:0 --https 127.0.0.1:0 \
    --tls-cert "$tmp/tls/cert.pem" --tls-key "$tmp/tls/key.pem" || exit 1
  tcp_addr=$LISTEN_TCP
  http_addr=$LISTEN_HTTP
  log "stomp-server pid $server_pid: tcp=$tcp_addr http=$http_addr tls_tcp=$LISTEN_TLS_TCP https=$LISTEN_HTTPS"

  (
    export STOMP_HOST=${tcp_addr%:*} STOMP_PORT=${tcp_addr##*:}
    export STOMP_WS_URL="ws://$http_addr/ws"
    export STOMP_LOGIN=guest STOMP_PASSCODE=guest STOMP_VHOST=/
    failures=()
    run_suites stomp-server
    # Over TLS: the certificate names localhost and 127.0.0.1.
    export STOMP_HOST=127.0.0.1 STOMP_PORT=${LISTEN_TLS_TCP##*:} STOMP_SSL_CA=$tmp/tls/ca.pem
    export STOMP_WS_URL="wss://localhost:${LISTEN_HTTPS##*:}/ws" STOMP_WS_CA=$tmp/tls/ca.pem
    run_suites stomp-server-tls
    printf '%s\n' "${failures[@]}" >"$tmp/failures.ours"
  )
  while read -r f; do [ -n "$f" ] && failures+=("$f"); done <"$tmp/failures.ours"
  if ! kill -0 "$server_pid" 2>/dev/null; then
    failures+=("stomp-server: the server exited during the tests")
  fi
  if grep -qiE 'panicked' "$tmp/server.log"; then
    failures+=("stomp-server: panic in the server log")
    grep -iE -A5 'panicked' "$tmp/server.log" >&2
  fi
fi

if [ "$rabbit" = 1 ]; then
  scripts/rabbitmq.sh install
  scripts/rabbitmq.sh start
  (
    export STOMP_HOST=127.0.0.1 STOMP_PORT=61613
    export STOMP_WS_URL=ws://127.0.0.1:15674/ws
    export STOMP_LOGIN=guest STOMP_PASSCODE=guest STOMP_VHOST=/
    # RabbitMQ 3.10 Web-STOMP closes on DISCONNECT without a RECEIPT (its TCP listener sends it).
    export STOMP_WS_DISCONNECT_RECEIPT=0
    failures=()
    run_suites rabbitmq
    # Our own JS client's stompjs-style tests, for what is the client's own behaviour (the
    # drop-in ones of issue 15), against a broker no one here wrote.
    log "[rabbitmq] stomp-wasm's JS client (pkg-core/tests/client.test.mjs) over Web-STOMP"
    if ! { cargo build -q -p stomp-wasm-core --release --target wasm32-unknown-unknown &&
      STOMP_TEST_BROKER=rabbitmq node --test pkg-core/tests/client.test.mjs; }; then
      failures+=("rabbitmq: stomp-wasm JS client")
    fi
    printf '%s\n' "${failures[@]}" >"$tmp/failures.rabbit"
  )
  while read -r f; do [ -n "$f" ] && failures+=("$f"); done <"$tmp/failures.rabbit"
fi

if [ "${#failures[@]}" -gt 0 ]; then
  log "FAILED:"
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
log "all interop suites passed"

#!/usr/bin/env bash
# Runs every test of stomp-wasm: set-up first (installs what is missing), then each stage.
# A failing stage does not stop the others; the script exits non-zero if any failed and ends
# with one summary line counting the tests of every runner.
#
#   scripts/test.sh              everything (what CI runs)
#   scripts/test.sh native       only the named stages (see STAGES below)
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/tools/node_modules/.bin:$PATH"
export CARGO_TERM_COLOR=never

# browser, browser-rabbitmq and e2e run in Chromium; their -firefox and -webkit twins run the
# same tests in Firefox ESR and in WebKitGTK (Safari's engine).
ALL_STAGES=(fmt clippy native wasm-build browser browser-firefox browser-webkit interop relay
  browser-rabbitmq browser-rabbitmq-firefox browser-rabbitmq-webkit sockjs-interop pkg types
  e2e e2e-firefox e2e-webkit consumer core)
STAGES=("${@:-${ALL_STAGES[@]}}")

log_dir=$(mktemp -d)
# Interop stages start RabbitMQ; leave it as it was found, so that it does not keep holding
# 61613, the port stomp-server's TCP listener wants by default.
rabbit_was_running=0
if [ -f scripts/rabbitmq.sh ] && bash scripts/rabbitmq.sh status >/dev/null 2>&1; then
  rabbit_was_running=1
fi
cleanup() {
  rm -rf "$log_dir"
  if [ "$rabbit_was_running" = 0 ] && bash scripts/rabbitmq.sh status >/dev/null 2>&1; then
    bash scripts/rabbitmq.sh stop >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
failed=()

# Every stage needs RabbitMQ for the interop runs against a broker no one here wrote.
SETUP_RABBITMQ=1 bash scripts/setup.sh || { echo "set-up failed"; exit 1; }

stage() {
  local name=$1
  shift
  printf '\n\033[1;34m==> %s\033[0m\n' "$name"
  if "$@" 2>&1 | tee "$log_dir/$name.log"; then
    printf '\033[1;32m<== %s ok\033[0m\n' "$name"
  else
    printf '\033[1;31m<== %s FAILED\033[0m\n' "$name"
    failed+=("$name")
  fi
}

run_stage() {
  case $1 in
    fmt) stage fmt cargo fmt --all -- --check ;;
    # The relay tests build only with their feature (they need RabbitMQ): lint them too.
    clippy) stage clippy cargo clippy --workspace --all-targets --features stomp-server/relay-tests -- -D warnings ;;
    # Includes server/tests/layout.rs: server/src must import top-down (no cycle).
    native) stage native cargo test --workspace ;;
    # The root crate with std (as the browser tests build it), then the two shipped modules, which
    # take it without std (one invocation would unify the features), and the SockJS module its heap
    # from the core (imported-heap), so those two are linted apart as well.
    wasm-build) stage wasm-build bash -c 'cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings &&
      cargo clippy --lib --target wasm32-unknown-unknown -p stomp-wasm-core -- -D warnings &&
      cargo clippy --lib --target wasm32-unknown-unknown -p stomp-wasm-sockjs -- -D warnings' ;;
    browser) stage browser env ENGINE=chromium bash scripts/test-browser.sh ;;
    browser-firefox | browser-webkit) stage "$1" env ENGINE="${1#browser-}" bash scripts/test-browser.sh ;;
    interop) stage interop bash scripts/test-interop.sh --rabbitmq ;;
    # Two stomp-server nodes relaying to RabbitMQ, then RabbitMQ restarted under them.
    relay) stage relay bash scripts/test-relay.sh ;;
    # The same browser tests against a broker no one here wrote.
    browser-rabbitmq | browser-rabbitmq-firefox | browser-rabbitmq-webkit)
      local engine=chromium
      [ "$1" = browser-rabbitmq ] || engine=${1#browser-rabbitmq-}
      stage "$1" env ENGINE="$engine" bash -c 'bash scripts/rabbitmq.sh start && STOMP_TEST_BROKER=rabbitmq bash scripts/test-browser.sh' ;;
    sockjs-interop) stage sockjs-interop bash -c 'cargo build -q -p stomp-server && node --test tests/interop/sockjs.mjs' ;;
    # The package is built once; the end-to-end and consumer tests use that build.
    # ... and must stay within its size budget (gzip bytes of every file a browser downloads).
    pkg) stage pkg bash -c 'bash scripts/build-pkg.sh && bash scripts/size.sh --check pkg' ;;
    # The package's TypeScript declarations against stompjs-style code (and misuses they refuse).
    types) stage types bash scripts/test-types.sh ;;
    e2e) stage e2e env SKIP_PKG_BUILD=1 ENGINE=chromium bash scripts/test-e2e.sh ;;
    e2e-firefox | e2e-webkit) stage "$1" env SKIP_PKG_BUILD=1 ENGINE="${1#e2e-}" bash scripts/test-e2e.sh ;;
    consumer) stage consumer env SKIP_PKG_BUILD=1 bash scripts/test-consumer.sh ;;
    # The size-first client being built (docs/CLIENT-SIZE-PLAN.md): pkg-core's no_std module and
    # its JS client against stomp-server in node.
    # Also fails if core::fmt comes back into that module (scripts/size.sh --core).
    # The node tests run on the client as written and as minified (size.sh's terser mangles `_`
    # names); its hand-written types are checked like the package's; then the SockJS socket.
    core) stage core bash -c 'cargo build -q -p stomp-server && bash scripts/size.sh --core && node --test pkg-core/tests/client.test.mjs && STOMP_CORE_JS=target/pkg-core-size/client.js STOMP_CORE_WASM=target/pkg-core-size/stomp_wasm_core.wasm node --test pkg-core/tests/client.test.mjs && bash scripts/test-types.sh --core &&
      bash scripts/size.sh --sockjs && STOMP_SOCKJS_WASM=target/pkg-sockjs-size/stomp_wasm_sockjs.wasm STOMP_CORE_WASM=target/pkg-core-size/stomp_wasm_core.wasm node --test pkg-sockjs/tests/sockjs.test.mjs' ;;
    *) echo "unknown stage $1 (stages: ${ALL_STAGES[*]})"; failed+=("$1") ;;
  esac
  return 0
}

for s in "${STAGES[@]}"; do run_stage "$s"; done

# One line for the whole run: the sum of what each runner reported.
passed=0 fails=0
add() { passed=$((passed + ${1:-0})); fails=$((fails + ${2:-0})); }
# sum FILE REGEX: adds up the first capture group of every matching line.
sum() { sed -nE "s/$2/\\1/p" "$1" | awk '{ s += $1 } END { print s + 0 }'; }
for f in "$log_dir"/*.log; do
  [ -e "$f" ] || continue
  # cargo test / wasm-bindgen-test-runner: "test result: ok. 12 passed; 0 failed; ..."
  add "$(sum "$f" '.*test result: [A-Za-z]+\. ([0-9]+) passed;.*')" \
      "$(sum "$f" '.*test result: [A-Za-z]+\. [0-9]+ passed; ([0-9]+) failed.*')"
  # node --test: "# pass 5" / "# fail 0"
  add "$(sum "$f" '^# pass ([0-9]+)$')" "$(sum "$f" '^# fail ([0-9]+)$')"
  # python unittest: "Ran 7 tests in 0.1s" / "FAILED (failures=1)"
  py_ran=$(sum "$f" '^Ran ([0-9]+) tests? in.*')
  py_failed=$(sum "$f" '^FAILED \([a-z]+=([0-9]+).*')
  add $((py_ran - py_failed)) "$py_failed"
done

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed stages: ${failed[*]}"
  [ "$fails" -gt 0 ] || fails=${#failed[@]}
fi
echo "tests: $passed passed, $fails failed"
[ ${#failed[@]} -eq 0 ]

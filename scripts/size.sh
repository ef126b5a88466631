#!/usr/bin/env bash
# Size of the browser package: gzip -9 of every file a browser downloads, as users get them.
#
#   scripts/size.sh                 builds pkg/ (scripts/build-pkg.sh) and measures it
#   scripts/size.sh --check [DIR]   no build: measures DIR (default pkg/, as scripts/build-pkg.sh
#                                   left it) and fails when it is over a budget below
#   scripts/size.sh --core          one module as it ships, into target/pkg-core-size: pkg-core's
#                                   no_std core + pkg-core/js/client.js, minified
#   scripts/size.sh --sockjs        the SockJS part, loaded by import() for http(s):// URLs only,
#                                   into target/pkg-sockjs-size: pkg-sockjs + pkg-core/js/sockjs.js
#
# Uses npm binaryen's wasm-opt (installed into tools/ when missing); Debian's binaryen breaks modules.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/tools/node_modules/binaryen/bin:$PATH"
# A fresh clone has no tools/node_modules yet (scripts/setup.sh installs it for the tests).
if [ ! -x tools/node_modules/binaryen/bin/wasm-opt ]; then
  (cd tools && npm install --no-audit --no-fund --loglevel=error)
fi

# The budgets, in gzip -9 bytes. Bytes are deterministic for a given toolchain, so these are
# checks, not timed tests. They are ratchets: lower them with every step that saves bytes
# (docs/CLIENT-SIZE-PLAN.md), never raise them without a reason in the commit. Goals (issue
# 14): 22,885 for everything (stompjs + sockjs-client), 16,000 for a page that only uses ws://
# URLs (the files it downloads: the entry and the core).
# History: the wasm-bindgen package (src/wasm/, measured by a `--quick` option that left with
# it) ended at 82,000; the size-first
# package replaced it at 48,908 / 24,209 (budgets 49,000 / 24,300); stompjs parity of issue 15
# (callback errors reported, compat heartbeat accessors, Stomp.over warning, WebKit's error-only
# socket failure, the exponential backoff across connections) took them to 49,140 / 24,441.
# The base64 convention for binary bodies over SockJS moved from the SockJS module (where it
# needed a second copy of the STOMP codec) into the session: 43,773 / 25,462, i.e. -6,375 B on
# a SockJS page and +1,021 B on a ws:// one (the ws:// budget raised by that, for now).
# Then the panic texts no code reads, blanked (scripts/wasm-blank-panics.py): 42,645 / 24,883;
# then the session's events and actions written as records when they happen: 41,497 / 23,734;
# then the SockJS module built without the receive path's inlining budget and the core's unused
# `deadline` export removed: 40,902 / 23,664. Issue 15's connect goals then raised the total:
# a silent stream raced against xhr-polling (behind proxies that buffer responses) and the
# shorter WebSocket head start, +130 B in the SockJS module only (ws:// pages unchanged); then
# stompjs's content-length rule (binary bodies always, empty bodies never): +22 B in the core;
# the SockJS module's decisions passed to the client's `debug` (docs/SOCKJS.md): +13 B (41,067 /
# 23,699). Then the SockJS connection without VecDeque, memchr (newlines found byte by byte)
# or char-wise trimming: 40,058 / 23,628; src/wasm removed and the core's modules untangled
# (no import cycles): 40,029 / 23,599. Then the SockJS connection rewritten for size (records
# written when things happen, bytes instead of &str, no Vec<String>, Fifo or String URLs; the
# SockJS module 13,913 → 9,532, sockjs.js 2,517 → 2,500): 35,631 / 23,599. Then the core shrunk
# on its own (no collected iterator chains, the config record in a fixed order, subscriptions and
# queued SENDs as one `HeaderList`-based type, deadlines as plain f64s, no Vec::drain, no
# slice-index or bounds-check panic path left; core 18,817 → 15,761, client.js 4,778 → 4,739):
# 32,483 / 20,500 (the SockJS module 9,483: it shares the heap's dealloc). Then the core's own
# UTF-8 check, char decoder and encoder instead of `core::str::from_utf8`, `Chars` and
# `String::push` (codec::utf8; the server keeps `from_utf8`; core 15,761 → 15,403): 32,125 / 20,142;
# with the records' layout moved to src/record.rs (below client/ and sockjs/: an import cycle
# otherwise; the modules' code laid out differently, +12 B): 32,137 / 20,153. Then the SockJS
# wire format read and written by JavaScript's JSON.parse/JSON.stringify, URLs built in JS (the
# module decides what each frame means; SockJS module 9,484 → 5,664, sockjs.js 2,500 → 3,044);
# the core without memchr, Vec::push or Vec::remove, built with -Os --flatten --rereloop -Os
# (core 15,414 → 15,011); client.js trimmed (4,739 → 4,597): 28,316 / 19,608. Then the modules
# without target_features and the linker's exported globals, a decode error's line quoted and
# SockJS base64 bodies decoded by client.js (JSON.stringify, atob), the core's functions ordered
# by name, and the size-d steps (core 15,011 → 13,555, client.js 4,597 → 4,756, SockJS module
# 5,664 → 5,444): 26,799 / 18,311. Then a narrower core interface (no free/session/drain/status/out
# exports), plain loops for iterator adapters on the receive path, the browser build's codec byte
# by byte, panic-only functions stubbed to a trap, the size-ea/-eb/-es steps
# (core 13,555 → 12,116, client.js 4,756 → 4,682, sockjs.js 3,044 → 2,964, SockJS module
# 5,444 → 4,968): 24,730 / 16,798. Then the fifth round (std-only bookkeeping out of the browser
# build, the debug lines' and decode errors' words written by the page; core 12,116 → 10,669,
# client.js 4,682 → 4,944, sockjs.js 2,964 → 3,047, SockJS module 4,968 → 4,396): 23,056 / 15,613.
# Then the sixth round (size-gs: a close as a code and a reason index, the state and transports
# as bits; size-gh: the SockJS module on the core's memory and allocator instead of its own heap;
# SockJS module 4,396 → 3,944): 22,684 / 15,601, under issue 14's 22,885. Then the seventh
# (size-ha: the modules' statics without a RefCell, the browser's version sets as accept-version's
# value, encode_header out of line; core 10,638 → 10,345, SockJS module 3,944 → 3,836): 22,283 /
# 15,308.
BUDGET_TOTAL=22283
BUDGET_WS=15308

# shellcheck source=scripts/wasm-module.sh
. scripts/wasm-module.sh

# measure_module CRATE MODULE JS [size]: one size-first module and its JS into $out, built as
# scripts/build-pkg.sh builds it.
measure_module() {
  wasm_module "$1" "$2" "$out" "${4:-}"
  minify_js "pkg-core/js/$3" "$out/$3"
  files=("$out/$2.wasm" "$out/$3")
}

check=0
case "${1:-}" in
  --check)
    check=1
    out=${2:-pkg}
    ;;
  --core)
    out=target/pkg-core-size
    measure_module stomp-wasm-core stomp_wasm_core client.js
    ;;
  --sockjs)
    out=target/pkg-sockjs-size
    measure_module stomp-wasm-sockjs stomp_wasm_sockjs sockjs.js size
    check_memory_layout
    ;;
  *)
    out=pkg
    bash scripts/build-pkg.sh >/dev/null
    ;;
esac

total_raw=0
total_gz=0
printf '%-44s %9s %9s\n' file raw gzip-9
# The package: what a ws:// page downloads first, then the SockJS part.
ws_files=()
if [ -z "${files+x}" ]; then
  ws_files=("$out/stomp_wasm.js" "$out/stomp_wasm_core.wasm")
  files=("${ws_files[@]}" "$out/sockjs.js" "$out/stomp_wasm_sockjs.wasm")
fi
ws_gz=0
for f in "${files[@]}"; do
  [ -f "$f" ] || { echo "size: $f missing" >&2; exit 1; }
  raw=$(stat -c %s "$f")
  gz=$(gzip -9c "$f" | wc -c)
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
  printf '%-44s %9d %9d\n' "${f#"$out"/}" "$raw" "$gz"
  for w in "${ws_files[@]}"; do
    [ "$w" = "$f" ] && ws_gz=$((ws_gz + gz))
  done
done
printf '%-44s %9d %9d\n' total "$total_raw" "$total_gz"
[ "${#ws_files[@]}" = 0 ] || printf '%-44s %9s %9d\n' "a ws:// page (${ws_files[*]#"$out"/})" "" "$ws_gz"

if [ "$check" = 1 ]; then
  if [ "$total_gz" -gt "$BUDGET_TOTAL" ]; then
    echo "size: FAILED: $total_gz B gzip is over the budget of $BUDGET_TOTAL B (scripts/size.sh)" >&2
    exit 1
  fi
  if [ "$ws_gz" -gt "$BUDGET_WS" ]; then
    echo "size: FAILED: a ws:// page downloads $ws_gz B gzip, over its budget of $BUDGET_WS B (scripts/size.sh)" >&2
    exit 1
  fi
  echo "size: $total_gz B gzip (budget $BUDGET_TOTAL B), $ws_gz B for a ws:// page (budget $BUDGET_WS B)"
fi

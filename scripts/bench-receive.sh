#!/usr/bin/env bash
# Receive-path benchmark in node: stomp-wasm vs @stomp/stompjs on the same frames (benches/receive.mjs).
#
#   scripts/bench-receive.sh [frames]      default 200000
#
# Builds the package as it ships (scripts/build-pkg.sh: the minified client and the wasm-opt'd
# core module), runs three rounds alternating the two clients (BENCH_ROUNDS=N for more) through
# the package's node entry, and reports the median ratio. Needs `cd tools && npm install`
# (stompjs, binaryen, terser; scripts/setup.sh does it).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build-pkg.sh >/dev/null
node benches/receive.mjs pkg "${1:-200000}"

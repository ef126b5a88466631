#!/usr/bin/env bash
# Receive-path benchmark in node: stomp-wasm vs @stomp/stompjs on the same frames (benches/receive.mjs).
#
#   scripts/bench-receive.sh [frames]      default 200000
#
# Builds the release Wasm (the size-tuned profile users get), binds it for node with the
# wasm-bindgen CLI, optimizes it with npm binaryen's wasm-opt -Oz like wasm-pack does, and runs
# three rounds alternating the two clients (BENCH_ROUNDS=N for more), and reports the median
# ratio. Needs `cd tools && npm install` (stompjs, binaryen).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/tools/node_modules/binaryen/bin:$PATH"

cargo build -q --release --target wasm32-unknown-unknown --lib
out=target/pkg-node
wasm-bindgen --target nodejs --out-dir "$out" target/wasm32-unknown-unknown/release/stomp_wasm.wasm
wasm-opt -Oz --low-memory-unused --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-reference-types --enable-multivalue --enable-mutable-globals \
  "$out/stomp_wasm_bg.wasm" -o "$out/stomp_wasm_bg.wasm"
node benches/receive.mjs "$out" "${1:-200000}"

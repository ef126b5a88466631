#!/usr/bin/env bash
# Builds the npm package into pkg/: the Wasm client for browsers without a bundler (`--target
# web`), then merges pkg-template/ (package.json, README, licenses, the node entry) over
# wasm-pack's output. One build serves every environment: browsers with or without a bundler
# load stomp_wasm.js; node loads node/index.js, which instantiates the same .wasm synchronously.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/tools/node_modules/binaryen/bin:$PATH"

# --mode no-install: use the wasm-bindgen that setup installed instead of downloading one.
wasm-pack build --release --target web --mode no-install --out-dir pkg --out-name stomp_wasm . >&2
# The JS glue and snippets ship minified (npm terser from tools/, `cd tools && npm install`):
# about two thirds of their gzip size is names and comments. Exports, the Wasm import names
# (string keys) and class names are kept, so the package's API is unchanged.
bash scripts/minify-js.sh pkg
if [ -d pkg-template ]; then
  cp -R pkg-template/. pkg/
  # wasm-pack's pkg/.gitignore (`*`) would also hide the files from `npm pack`.
  rm -f pkg/.gitignore
fi
wasm=pkg/stomp_wasm_bg.wasm
printf 'pkg/: %s bytes wasm (%s gzip), %s bytes JS glue (%s gzip)\n' \
  "$(wc -c <"$wasm")" "$(gzip -9c "$wasm" | wc -c)" \
  "$(wc -c <pkg/stomp_wasm.js)" "$(gzip -9c pkg/stomp_wasm.js | wc -c)"

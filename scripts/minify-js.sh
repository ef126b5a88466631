#!/usr/bin/env bash
# Minifies the JavaScript of a wasm-bindgen output directory in place: the glue (stomp_wasm.js)
# and the snippets (src/wasm/bridge.js). ES modules, so top-level names are mangled but exports
# stay; the Wasm import object's keys are strings and survive; class names are kept (stack
# traces and `constructor.name` read as in the source).
#
#   scripts/minify-js.sh DIR        DIR holds stomp_wasm.js and snippets/
set -euo pipefail
cd "$(dirname "$0")/.."
terser=tools/node_modules/.bin/terser
if [ ! -x "$terser" ]; then
  echo "minify-js: $terser missing (cd tools && npm install)" >&2
  exit 1
fi
dir=$1
for f in "$dir"/stomp_wasm.js "$dir"/snippets/*/src/wasm/*.js; do
  [ -f "$f" ] || continue
  "$terser" "$f" --module --ecma 2020 --compress passes=2 --mangle --keep-classnames \
    --comments false -o "$f.min"
  mv "$f.min" "$f"
done

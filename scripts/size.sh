#!/usr/bin/env bash
# Size of the browser package: builds it as users get it and prints raw and gzip sizes.
#
#   scripts/size.sh            wasm-pack build --release --target web (pkg/)
#   scripts/size.sh --quick    cargo + wasm-bindgen + wasm-opt (Cargo.toml's flags, no wasm-pack)
#
# Needs npm binaryen's wasm-opt (`cd tools && npm install`); Debian's binaryen breaks modules.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/tools/node_modules/binaryen/bin:$PATH"

if [ "${1:-}" = "--quick" ]; then
  out=target/pkg-size
  cargo build -q --release --target wasm32-unknown-unknown --lib
  wasm-bindgen --target web --out-dir "$out" target/wasm32-unknown-unknown/release/stomp_wasm.wasm
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-reference-types --enable-multivalue --enable-mutable-globals \
    --converge --low-memory-unused --strip-debug --strip-producers "$out/stomp_wasm_bg.wasm" -o "$out/stomp_wasm_bg.wasm"
else
  out=pkg
  wasm-pack build --release --target web --mode no-install --out-dir "$out"
fi

# Measured as shipped: scripts/build-pkg.sh minifies the glue the same way.
bash scripts/minify-js.sh "$out"

total_raw=0
total_gz=0
printf '%-44s %9s %9s\n' file raw gzip-9
for f in "$out"/stomp_wasm_bg.wasm "$out"/stomp_wasm.js "$out"/snippets/*/src/wasm/*.js; do
  raw=$(stat -c %s "$f")
  gz=$(gzip -9c "$f" | wc -c)
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
  printf '%-44s %9d %9d\n' "${f#"$out"/}" "$raw" "$gz"
done
printf '%-44s %9d %9d\n' total "$total_raw" "$total_gz"

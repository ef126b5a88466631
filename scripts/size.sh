#!/usr/bin/env bash
# Size of the browser package: builds it as users get it and prints raw and gzip sizes.
#
#   scripts/size.sh                 wasm-pack build --release --target web (pkg/)
#   scripts/size.sh --quick         cargo + wasm-bindgen + wasm-opt (Cargo.toml's flags, no wasm-pack)
#   scripts/size.sh --check [DIR]   no build: measures DIR (default pkg/, as scripts/build-pkg.sh
#                                   left it) and fails when it is over the budget below
#   scripts/size.sh --core          the size-first client being built (docs/CLIENT-SIZE-PLAN.md):
#                                   pkg-core's no_std module + pkg-core/js/client.js, minified
#
# Needs npm binaryen's wasm-opt (`cd tools && npm install`); Debian's binaryen breaks modules.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/tools/node_modules/binaryen/bin:$PATH"

# The budget, in gzip -9 bytes of every file a browser downloads. Bytes are deterministic for a
# given toolchain, so this is a check, not a timed test. It is a ratchet: lower it with every
# step that saves bytes (docs/CLIENT-SIZE-PLAN.md), never raise it without a reason in the
# commit. Goals (issue 14): 22,885 for everything (stompjs + sockjs-client), 16,000 for a page
# that only uses ws:// URLs (the files it downloads).
# Raised once, 82,000 -> 82,500: the WebKit fix (a socket that only fires `error` is reported
# closed) costs 545 B in today's wasm-bindgen shell; the size-first client replaces that shell.
# Step 6b's session trims (no Frame clones, no Headers::set, debug pieces): 81,856 -> 82,000.
BUDGET_TOTAL=82000

check=0
case "${1:-}" in
  --quick)
    out=target/pkg-size
    cargo build -q --release --target wasm32-unknown-unknown --lib
    wasm-bindgen --target web --out-dir "$out" target/wasm32-unknown-unknown/release/stomp_wasm.wasm
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-reference-types --enable-multivalue --enable-mutable-globals \
      --converge --low-memory-unused --strip-debug --strip-producers "$out/stomp_wasm_bg.wasm" -o "$out/stomp_wasm_bg.wasm"
    # Measured as shipped: scripts/build-pkg.sh minifies the glue the same way.
    bash scripts/minify-js.sh "$out"
    ;;
  --check)
    check=1
    out=${2:-pkg}
    ;;
  --core)
    out=target/pkg-core-size
    mkdir -p "$out"
    cargo build -q --release --target wasm32-unknown-unknown -p stomp-wasm-core
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-reference-types --enable-multivalue --enable-mutable-globals \
      --converge --low-memory-unused --strip-debug --strip-producers \
      target/wasm32-unknown-unknown/release/stomp_wasm_core.wasm -o "$out/stomp_wasm_core.wasm"
    # No core::fmt in the size-first module: its names, after the same optimization, must not
    # show the formatting machinery (std's panic hook brought 6.5 KB of it to today's package).
    wasm-opt -Oz -g --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-reference-types --enable-multivalue --enable-mutable-globals \
      --converge --low-memory-unused \
      target/wasm32-unknown-unknown/release/stomp_wasm_core.wasm -o "$out/named.wasm"
    python3 scripts/wasm-sizes.py "$out/named.wasm" 0 --forbid '9Formatter|3fmt5write|fmt::write|Formatter' >/dev/null ||
      { echo "size: core::fmt is back in the size-first module (scripts/wasm-sizes.py $out/named.wasm)" >&2; exit 1; }
    # Names starting with `_` are the client's own (never API): mangled too.
    tools/node_modules/.bin/terser pkg-core/js/client.js --module --ecma 2020 --compress passes=2 \
      --mangle --keep-classnames --mangle-props regex=/^_/ --comments false -o "$out/client.js"
    files=("$out/stomp_wasm_core.wasm" "$out/client.js")
    ;;
  *)
    out=pkg
    wasm-pack build --release --target web --mode no-install --out-dir "$out"
    bash scripts/minify-js.sh "$out"
    ;;
esac

total_raw=0
total_gz=0
printf '%-44s %9s %9s\n' file raw gzip-9
if [ -z "${files+x}" ]; then
  files=("$out"/stomp_wasm_bg.wasm "$out"/stomp_wasm.js "$out"/snippets/*/src/wasm/*.js)
fi
for f in "${files[@]}"; do
  [ -f "$f" ] || { echo "size: $f missing" >&2; exit 1; }
  raw=$(stat -c %s "$f")
  gz=$(gzip -9c "$f" | wc -c)
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
  printf '%-44s %9d %9d\n' "${f#"$out"/}" "$raw" "$gz"
done
printf '%-44s %9d %9d\n' total "$total_raw" "$total_gz"

if [ "$check" = 1 ]; then
  if [ "$total_gz" -gt "$BUDGET_TOTAL" ]; then
    echo "size: FAILED: $total_gz B gzip is over the budget of $BUDGET_TOTAL B (scripts/size.sh)" >&2
    exit 1
  fi
  echo "size: $total_gz B gzip, budget $BUDGET_TOTAL B"
fi

#!/usr/bin/env bash
# The npm package as users get it: `npm pack` pkg/, install the tarball into tests/consumer/,
# build the Vite 7 app there (the .wasm must come out as an asset), then, against a live
# stomp-server serving that build: load it in headless Chromium (it connects and round-trips a
# message), and run the node script that imports `stomp-wasm` and chats over `ws`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
if [ "${SKIP_PKG_BUILD:-0}" != 1 ] || [ ! -f pkg/stomp_wasm.js ]; then
  bash scripts/build-pkg.sh
fi
packs=$(mktemp -d)
tarball=$(cd pkg && npm pack --silent --pack-destination "$packs" | tail -n1)
echo "packed $tarball: $(wc -c <"$packs/$tarball") bytes" >&2
(
  cd tests/consumer
  npm install --no-audit --no-fund --loglevel=error
  npm install --no-save --no-audit --no-fund --loglevel=error "$packs/$tarball"
  npx vite build
  ls dist/assets/*.wasm >/dev/null || { echo "vite build emitted no .wasm asset" >&2; exit 1; }
  echo "vite build: $(ls dist/assets)" >&2
)
rm -rf "$packs"
# shellcheck source=scripts/serve-test.sh
. scripts/serve-test.sh
start_test_server tests/consumer/dist
(cd tests/consumer && node --test browser.test.mjs node-client.test.mjs)

#!/usr/bin/env bash
# Builds the npm package into pkg/, as browsers, bundlers and node get it (issue 14's size-first
# client, docs/CLIENT-SIZE-PLAN.md):
#
#   stomp_wasm.js            the client: the stompjs v7 API, WebSocket and timers in JavaScript
#                            (pkg-core/js/client.js, minified); compiles the core on first use
#   stomp_wasm_core.wasm     the protocol core: codec + session, no_std, a narrow C ABI (pkg-core/)
#   sockjs.js                the SockJS fallback, fetched by import() only for http(s):// URLs
#   stomp_wasm_sockjs.wasm   ... and its core: SockJS framing, the transport plan (pkg-sockjs/)
#   stomp_wasm.d.ts          the types (pkg-core/js/client.d.ts)
#   package.json, node/, README, licenses    from pkg-template/
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# shellcheck source=scripts/wasm-module.sh
. scripts/wasm-module.sh

rm -rf pkg
mkdir -p pkg
wasm_module stomp-wasm-core stomp_wasm_core pkg
# The SockJS module waits on HTTP round trips, not on its JSON framing: LLVM's default inlining
# makes it 0.5 KB gzip smaller than the core's receive-path budget does.
wasm_module stomp-wasm-sockjs stomp_wasm_sockjs pkg size
# ... which lives in the core's memory, allocating from the core's heap.
check_memory_layout
minify_js pkg-core/js/client.js pkg/stomp_wasm.js
minify_js pkg-core/js/sockjs.js pkg/sockjs.js
cp pkg-core/js/client.d.ts pkg/stomp_wasm.d.ts
cp -R pkg-template/. pkg/
for f in pkg/stomp_wasm.js pkg/stomp_wasm_core.wasm pkg/sockjs.js pkg/stomp_wasm_sockjs.wasm; do
  printf 'pkg/: %-24s %7s bytes (%s gzip)\n' "${f#pkg/}" "$(wc -c <"$f")" "$(gzip -9c "$f" | wc -c)"
done

#!/usr/bin/env bash
# Type-checks the npm package's TypeScript declarations (pkg/stomp_wasm.d.ts) against
# stompjs-style code, tests/types/usage.ts, with the strictest settings. The file also holds
# misuses marked `@ts-expect-error`: the check fails if the types accept one of them.
#
#   scripts/test-types.sh           uses pkg/ as scripts/build-pkg.sh left it (builds it if absent)
#   scripts/test-types.sh --core    the same code against the size-first client's hand-written
#                                   types, pkg-core/js/client.d.ts (docs/CLIENT-SIZE-PLAN.md)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/tools/node_modules/.bin:$PATH"

if [ "${1:-}" = --core ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  sed "s#'../../pkg/stomp_wasm'#'$PWD/pkg-core/js/client.js'#" tests/types/usage.ts >"$tmp/usage.ts"
  grep -q "pkg-core/js/client.js" "$tmp/usage.ts" || { echo "types: usage.ts no longer imports ../../pkg/stomp_wasm" >&2; exit 1; }
  tsc --noEmit --strict --lib esnext,dom "$tmp/usage.ts" tests/types/usage-core.ts
  echo "types: tests/types/usage.ts and usage-core.ts check against pkg-core/js/client.d.ts"
  exit 0
fi

if [ ! -f pkg/stomp_wasm.d.ts ]; then
  bash scripts/build-pkg.sh
fi
tsc --noEmit --strict --lib esnext,dom tests/types/usage.ts
echo "types: tests/types/usage.ts checks against pkg/stomp_wasm.d.ts"

#!/usr/bin/env bash
# Type-checks the npm package's TypeScript declarations (pkg/stomp_wasm.d.ts) against
# stompjs-style code, tests/types/usage.ts, with the strictest settings. The file also holds
# misuses marked `@ts-expect-error`: the check fails if the types accept one of them.
#
#   scripts/test-types.sh           uses pkg/ as scripts/build-pkg.sh left it (builds it if absent)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/tools/node_modules/.bin:$PATH"

if [ ! -f pkg/stomp_wasm.d.ts ]; then
  bash scripts/build-pkg.sh
fi
tsc --noEmit --strict --lib esnext,dom tests/types/usage.ts
echo "types: tests/types/usage.ts checks against pkg/stomp_wasm.d.ts"

#!/usr/bin/env bash
# The demo end to end: builds the npm package (unless SKIP_PKG_BUILD=1 and pkg/ exists), starts
# stomp-server serving www/ with the package at /pkg/, and drives two Chromium pages through a
# chat with Playwright (tests/e2e/). Screenshots land in tests/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
if [ "${SKIP_PKG_BUILD:-0}" != 1 ] || [ ! -f pkg/stomp_wasm.js ]; then
  bash scripts/build-pkg.sh
fi
site=$(mktemp -d)
cp -R www/. "$site/"
rm -rf "$site/pkg" && cp -R pkg "$site/pkg"
# shellcheck source=scripts/serve-test.sh
. scripts/serve-test.sh
start_test_server "$site"
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; rm -rf "$site"' EXIT
node --test tests/e2e/

#!/usr/bin/env bash
# The demo end to end: builds the npm package (unless SKIP_PKG_BUILD=1 and pkg/ exists), starts
# stomp-server serving www/ with the package at /pkg/, and drives two browser pages through a
# chat (tests/e2e/). Screenshots land in tests/artifacts/.
#
#   scripts/test-e2e.sh                  Chromium, through Playwright
#   ENGINE=firefox scripts/test-e2e.sh   Firefox ESR (geckodriver) or WebKitGTK (WebKitWebDriver,
#   ENGINE=webkit scripts/test-e2e.sh    on an Xvfb display), through W3C WebDriver
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
export ENGINE=${ENGINE:-chromium}
case $ENGINE in
  chromium | firefox) node --test tests/e2e/ ;;
  # MiniBrowser has no headless mode.
  webkit) xvfb-run -a node --test tests/e2e/ ;;
  *) echo "ENGINE must be chromium, firefox or webkit" >&2; exit 2 ;;
esac

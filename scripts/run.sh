#!/usr/bin/env bash
# The main job: installs what is missing, builds the npm package, then starts stomp-server with
# the demo (www/) on http://127.0.0.1:8080 (STOMP over WebSocket at /ws, SockJS at /stomp, raw
# STOMP over TCP on 127.0.0.1:61613). Extra arguments go to stomp-server (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-pkg.sh
# The demo loads the package from /pkg/: serve it from inside www/.
mkdir -p www
rm -rf www/pkg && cp -R pkg www/pkg
# The `server` profile: optimised, and a panic unwinds (the size-tuned release profile aborts).
exec cargo run --profile server -p stomp-server -- --www www "$@"

#!/usr/bin/env bash
# Installs everything stomp-wasm needs on a fresh machine, idempotently.
# Each step checks first, so a second run takes about a second.
#
#   scripts/setup.sh            toolchain, browser, npm + pip packages
#   SETUP_RABBITMQ=1 scripts/setup.sh   ...and RabbitMQ (interop tests, benchmarks)
set -euo pipefail
cd "$(dirname "$0")/.."

# Versions that work together on these machines (see ../shared/TOOLCHAIN.md).
# WASM_BINDGEN_VERSION must equal the `=` pin in Cargo.toml.
WASM_BINDGEN_VERSION=0.2.130
WASM_PACK_VERSION=0.15.1
BINARYEN_VERSION=132.0.0
# The Firefox tests' WebDriver; built from crates.io (npm's geckodriver downloads from GitHub).
GECKODRIVER_VERSION=0.37.1

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes)"
  # Without --locked: with it, resolution fails on webpki-roots (TOOLCHAIN.md).
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if ! wasm-pack --version 2>/dev/null | grep -q " $WASM_PACK_VERSION"; then
  log "installing wasm-pack $WASM_PACK_VERSION (a few minutes)"
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked --force
fi

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  log "installing chromium + chromium-driver"
  apt_install chromium chromium-driver
fi

# The other two engines the browser and end-to-end tests run in (ENGINE=firefox|webkit):
# Firefox ESR, and WebKitGTK (Safari's engine) with its WebDriver and MiniBrowser, which needs a
# display: Xvfb.
if ! command -v firefox-esr >/dev/null || ! command -v WebKitWebDriver >/dev/null \
  || ! command -v xvfb-run >/dev/null || ! command -v xauth >/dev/null; then
  log "installing firefox-esr + webkit2gtk-driver + xvfb"
  apt_install firefox-esr webkit2gtk-driver xvfb xauth
fi

if [[ "$(geckodriver --version 2>/dev/null)" != "geckodriver $GECKODRIVER_VERSION"* ]]; then
  log "installing geckodriver $GECKODRIVER_VERSION (a few minutes)"
  cargo install geckodriver --version "$GECKODRIVER_VERSION" --locked --force
fi

# Debian's binaryen 108 produces broken modules, and wasm-pack picks /usr/bin/wasm-opt
# silently when present: refuse to run with it.
if [ -x /usr/bin/wasm-opt ] && /usr/bin/wasm-opt --version | grep -q "version 1[01][0-9]\b"; then
  log "removing Debian's binaryen (its wasm-opt breaks modules)"
  apt-get remove -y -qq binaryen >/dev/null
fi

# Node tooling: binaryen's wasm-opt, the interop peers (stompjs, ws, sockjs-client, sockjs),
# playwright-core. One package.json under tools/ so versions are locked.
if [ -f tools/package.json ]; then
  if [ ! -d tools/node_modules ] || [ tools/package.json -nt tools/node_modules/.stamp ]; then
    log "installing npm packages (tools/)"
    (cd tools && npm install --no-audit --no-fund --loglevel=error && touch node_modules/.stamp)
  fi
fi

# Python interop peer: stomp.py.
if [ -f tools/requirements.txt ]; then
  if ! python3 -c 'import stomp' 2>/dev/null; then
    log "installing pip packages (tools/requirements.txt)"
    python3 -m pip install -q -r tools/requirements.txt
  fi
fi

if [ "${SETUP_RABBITMQ:-0}" = 1 ]; then
  if [ -f scripts/rabbitmq.sh ]; then bash scripts/rabbitmq.sh install; fi
fi

log "ready"

#!/usr/bin/env bash
# The size floor of the browser client: the protocol core alone (session, codec, SockJS client
# core) behind a bare C ABI, without the browser shell, wasm-bindgen or any JavaScript
# (tools/size-floor/floor.rs says what it exports). Built like the shipped package: opt-level "z",
# LTO, the same inlining budget and wasm-opt flags; since issue 14 the size-first way: the core
# `#![no_std]` (the crate without its `std` feature), a trapping panic handler (no `core::fmt`),
# the size-class heap (src/heap.rs). Prints raw and gzip sizes of the session + codec alone (what
# a WebSocket-only page needs) and with the SockJS client core.
#
#   scripts/size-floor.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$HOME/.cargo/bin:$root/tools/node_modules/binaryen/bin:$PATH"

work=$root/target/size-floor
rm -rf "$work/src"
mkdir -p "$work"
cp -r src "$work/src"
cp tools/size-floor/floor.rs "$work/src/floor.rs"
# The heap for every target (the floor is only built for wasm32), and the floor's exports.
sed -i -e '/^#\[cfg(target_arch = "wasm32")\]$/d' "$work/src/lib.rs"
echo 'pub mod floor;' >>"$work/src/lib.rs"
cp Cargo.lock "$work/Cargo.lock"
cp -r .cargo "$work/.cargo"
cat > "$work/Cargo.toml" <<'TOML'
[package]
name = "floor"
version = "0.1.0"
edition = "2021"

[lib]
crate-type = ["cdylib"]

[features]
std = []
sockjs = []

[dependencies]
bytes = { version = "1", default-features = false }
memchr = { version = "2", default-features = false }
thiserror = { version = "2", default-features = false }

[profile.release]
opt-level = "z"
lto = true
codegen-units = 1
panic = "abort"

[workspace]
TOML

for variant in websocket sockjs; do
  features=()
  [ "$variant" = sockjs ] && features=(--features sockjs)
  (cd "$work" && cargo build -q --release --target wasm32-unknown-unknown --target-dir "$work/target" "${features[@]}")
  wasm-opt -Oz --low-memory-unused --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals \
    --converge --strip-debug --strip-producers \
    "$work/target/wasm32-unknown-unknown/release/floor.wasm" -o "$work/floor-$variant.wasm"
  printf 'protocol core alone (no shell, no glue), %-9s %6d B raw, %6d B gzip-9\n' "$variant:" \
    "$(stat -c %s "$work/floor-$variant.wasm")" "$(gzip -9c "$work/floor-$variant.wasm" | wc -c)"
done

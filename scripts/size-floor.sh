#!/usr/bin/env bash
# The size floor of the browser client: the protocol core alone (session, codec, SockJS client
# core) behind a bare C ABI, without the browser shell, wasm-bindgen or any JavaScript
# (tools/size-floor/floor.rs says what it exports). Built like the shipped package: opt-level "z",
# LTO, Talc, the same inlining budget and wasm-opt flags. Prints raw and gzip sizes.
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
rm -rf "$work/src/wasm"
cp tools/size-floor/floor.rs "$work/src/floor.rs"
# The shell's module becomes the floor's exports.
sed -i -e '/^#\[cfg(target_arch = "wasm32")\]$/d' -e 's/^pub mod wasm;$/pub mod floor;/' "$work/src/lib.rs"
cp Cargo.lock "$work/Cargo.lock"
cp -r .cargo "$work/.cargo"
cat > "$work/Cargo.toml" <<'TOML'
[package]
name = "floor"
version = "0.1.0"
edition = "2021"

[lib]
crate-type = ["cdylib"]

[dependencies]
bytes = "1"
memchr = "2"
thiserror = "2"
talc = "5"

[profile.release]
opt-level = "z"
lto = true
codegen-units = 1
panic = "abort"

[workspace]
TOML

(cd "$work" && cargo build -q --release --target wasm32-unknown-unknown --target-dir "$work/target")
wasm-opt -Oz --low-memory-unused --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-reference-types --enable-multivalue --enable-mutable-globals \
  --converge --strip-debug --strip-producers \
  "$work/target/wasm32-unknown-unknown/release/floor.wasm" -o "$work/floor.wasm"
printf 'protocol core alone (no shell, no glue): %d B raw, %d B gzip-9\n' \
  "$(stat -c %s "$work/floor.wasm")" "$(gzip -9c "$work/floor.wasm" | wc -c)"

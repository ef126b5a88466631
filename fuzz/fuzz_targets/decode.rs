//! Fuzz target: arbitrary bytes, fed to the decoder in arbitrary chunk sizes, with every decoded
//! frame round-tripped through the encoder and decoder. The checks live in the crate's library
//! (`src/lib.rs`) so that `tests/codec_proptest.rs` can run them on stable Rust too.
//!
//! Run: `cargo +nightly fuzz run decode -- -max_total_time=600` from the repository root.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    stomp_wasm_fuzz::check(data);
});

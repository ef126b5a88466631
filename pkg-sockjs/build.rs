//! The SockJS module's place in the core module's memory (wasm32 only). It imports the core's
//! memory and allocates through the core's heap (`stomp_wasm::heap::Imported`), so its own
//! static data and stack must lie where the core puts nothing: the core (Rust's default layout)
//! has its stack below 1 MiB, its data just above, and its heap from the end of its initial
//! 17 pages (the heap starts where its first `memory.grow` begins). This module's data goes at
//! 1 MiB + 32 KiB, its stack after it (`--no-stack-first`), both below 17 pages.
//! scripts/wasm-module.sh's `check_memory_layout` fails the build if the two ever overlap.

/// Where the data starts: past the core's (~1.3 KB now, room for 31 KB more).
const GLOBAL_BASE: u32 = 0x10_8000;
/// The stack (16-byte aligned): every stack frame of the module together is ~1.2 KB.
const STACK: u32 = 0x6000;

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        for arg in [
            "--import-memory=core,memory".to_owned(),
            "--export-memory".to_owned(),
            "--no-stack-first".to_owned(),
            format!("--global-base={GLOBAL_BASE}"),
            format!("-zstack-size={STACK}"),
        ] {
            println!("cargo:rustc-cdylib-link-arg={arg}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

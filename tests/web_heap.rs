//! Browser tests of the browser build's heap (`src/heap.rs`, the global allocator on wasm32, so
//! of the core and SockJS modules that ship): contents survive growth across size classes,
//! freed blocks are used again (so memory does not creep while a client runs for hours), large
//! and over-aligned blocks. No broker needed.

#![cfg(target_arch = "wasm32")]

use std::alloc::{alloc, dealloc, Layout};

// Links the crate, whose `#[global_allocator]` (src/lib.rs) these tests exercise: a test that
// names nothing of it is built without it, on std's own allocator (dlmalloc).
use stomp_wasm as _;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn contents_survive_growth_across_size_classes() {
    let mut v = Vec::new();
    for i in 0..300_000u32 {
        v.push((i % 251) as u8);
    }
    assert!(v
        .iter()
        .enumerate()
        .all(|(i, &b)| b == (i as u32 % 251) as u8));
    // Shrinking and growing again keeps the prefix too.
    v.truncate(1000);
    v.shrink_to_fit();
    v.extend(std::iter::repeat_n(7u8, 5000));
    assert!(v[..1000]
        .iter()
        .enumerate()
        .all(|(i, &b)| b == (i as u32 % 251) as u8));
    assert!(v[1000..].iter().all(|&b| b == 7));
}

#[wasm_bindgen_test]
fn a_freed_block_is_handed_out_again() {
    let layout = Layout::from_size_align(1000, 8).unwrap();
    unsafe {
        let a = alloc(layout);
        assert!(!a.is_null());
        dealloc(a, layout);
        let b = alloc(layout);
        assert_eq!(a, b, "the free list of the 1 KB class gives the block back");
        dealloc(b, layout);
    }
}

#[wasm_bindgen_test]
fn memory_stops_growing_when_the_same_sizes_come_back() {
    let churn = || {
        for n in [100usize, 5_000, 70_000, 300_000] {
            let v = vec![1u8; n];
            assert_eq!(v.iter().map(|&b| b as usize).sum::<usize>(), n);
        }
    };
    churn();
    let pages = core::arch::wasm32::memory_size(0);
    for _ in 0..200 {
        churn();
    }
    assert_eq!(core::arch::wasm32::memory_size(0), pages);
}

#[wasm_bindgen_test]
fn large_and_over_aligned_blocks() {
    for align in [16usize, 64, 4096] {
        let layout = Layout::from_size_align(align * 3, align).unwrap();
        unsafe {
            let p = alloc(layout);
            assert!(!p.is_null());
            assert_eq!(p as usize % align, 0, "aligned to {align}");
            p.write_bytes(0xAB, layout.size());
            dealloc(p, layout);
        }
    }
    let big = vec![9u8; 8 << 20];
    assert_eq!(big.len(), 8 << 20);
    assert!(big.iter().all(|&b| b == 9));
    let empty: Vec<u64> = Vec::with_capacity(0);
    assert!(empty.is_empty());
}

//! The heap of the browser build: a size-class free list over a bump pointer.
//!
//! A client holds few, short-lived buffers (a frame being decoded, one being sent, the
//! subscriptions), so it does not need a general-purpose allocator: every block is a power of
//! two from 8 bytes up, a freed block goes on the free list of its size and is handed out again
//! for the next request of that size, and new blocks come off the end of memory. Memory held per
//! size is the most the client ever had in use at once of that size. It is ~0.2 KB of code
//! against talc's 1.6 KB and dlmalloc's ~7 KB (docs/CLIENT-SIZE-PLAN.md). No threads on this
//! target (no `atomics` feature), so plain cells are enough.
//!
//! One heap per page: the core module's. The SockJS module, loaded beside it for http(s):// URLs,
//! imports the core's memory and allocates through the core's `alloc` and `dealloc` exports
//! ([`Imported`], the `imported-heap` feature) rather than carrying a second copy of this one.
//! Blocks start at the end of the core's initial memory (where its first `memory.grow` begins),
//! above both modules' static data and stacks (pkg-sockjs/build.rs).

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::null_mut;

const PAGE: usize = 65_536;
/// Blocks are aligned to their size up to this; larger alignments are refused (never asked).
const MAX_ALIGN: usize = 4096;
/// Size classes 2^3 .. 2^31.
const CLASSES: usize = 32;

struct State {
    /// Head of the free list of each class; each free block holds the address of the next.
    free: [usize; CLASSES],
    /// The bump pointer and the end of the memory it owns.
    next: usize,
    end: usize,
}

/// The allocator: `#[global_allocator] static A: Heap = Heap::new();`.
pub struct Heap(UnsafeCell<State>);

// SAFETY: wasm32 without the `atomics` feature has one thread.
unsafe impl Sync for Heap {}

impl Heap {
    pub const fn new() -> Self {
        Heap(UnsafeCell::new(State {
            free: [0; CLASSES],
            next: 0,
            end: 0,
        }))
    }
}

impl Default for Heap {
    fn default() -> Self {
        Self::new()
    }
}

/// The class of a block that holds `layout`: the smallest power of two ≥ its size and align,
/// at least 8 (the `| 7`, where a `max(8)` was a compare more). A size of 0, which callers of
/// a `GlobalAlloc` never pass, wraps to class 32, which `alloc` refuses.
fn class(layout: Layout) -> usize {
    let size = layout.size().max(layout.align());
    (usize::BITS - (size.wrapping_sub(1) | 7).leading_zeros()) as usize
}

impl State {
    /// A new block of `1 << class` bytes off the end of memory, growing it when needed.
    fn bump(&mut self, class: usize) -> *mut u8 {
        let size = 1usize << class;
        let align = size.min(MAX_ALIGN);
        let start = (self.next + align - 1) & !(align - 1);
        let Some(stop) = start.checked_add(size) else {
            return null_mut();
        };
        if stop > self.end {
            let pages = (stop - self.end.min(stop)).div_ceil(PAGE) + 1;
            let old = core::arch::wasm32::memory_grow(0, pages);
            if old == usize::MAX {
                return null_mut();
            }
            if old * PAGE != self.end {
                // First use, or memory grown by someone else: start over at the new pages.
                self.next = old * PAGE;
            }
            self.end = (old + pages) * PAGE;
            return self.bump(class);
        }
        self.next = stop;
        start as *mut u8
    }
}

unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() > MAX_ALIGN {
            return null_mut();
        }
        let c = class(layout);
        if c >= CLASSES {
            return null_mut();
        }
        // SAFETY: one thread, and no allocation happens while this borrow lives.
        let state = unsafe { &mut *self.0.get() };
        let head = state.free[c];
        if head != 0 {
            // SAFETY: `head` is a freed block of this class; its first word is the next one.
            state.free[c] = unsafe { *(head as *const usize) };
            return head as *mut u8;
        }
        state.bump(c)
    }

    // Not inlined: `Vec`'s growth and its deallocation each had a copy of the free-list push.
    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let c = class(layout);
        // SAFETY: as in `alloc`; `ptr` is a block of class `c` that is no longer used.
        let state = unsafe { &mut *self.0.get() };
        // `get_mut`: `c` is a class `alloc` handed out, but an index would bring a panic path.
        if let Some(head) = state.free.get_mut(c) {
            unsafe { *(ptr as *mut usize) = *head };
            *head = ptr as usize;
        }
    }
}

/// The heap of a module that shares the core module's memory (the SockJS module, built with
/// the `imported-heap` feature): the core's [`Heap`], through the two functions the core
/// exports for it (`pkg-core`'s `alloc` and `dealloc`), imported from the module `core`.
/// One heap in one memory: the SockJS module carries no allocator and no memory of its own.
#[cfg(feature = "imported-heap")]
pub struct Imported;

#[cfg(feature = "imported-heap")]
#[link(wasm_import_module = "core")]
extern "C" {
    #[link_name = "alloc"]
    fn core_alloc(size: usize, align: usize) -> *mut u8;
    #[link_name = "dealloc"]
    fn core_dealloc(ptr: *mut u8, size: usize, align: usize);
}

#[cfg(feature = "imported-heap")]
unsafe impl GlobalAlloc for Imported {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the core's `Heap::alloc` with this very layout.
        unsafe { core_alloc(layout.size(), layout.align()) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { core_dealloc(ptr, layout.size(), layout.align()) }
    }
}

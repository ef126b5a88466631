#!/usr/bin/env python3
"""Blanks, in a size-first module's data, the bytes only a panic message would ever read.

    python3 scripts/wasm-blank-panics.py MODULE.wasm

The size-first modules are `#![no_std]` with a `#[panic_handler]` that traps without looking at
its `PanicInfo` (src/lib.rs), and `scripts/wasm-module.sh` fails the build if `core::fmt` is in
them. Yet LLVM still lays out what a formatted panic would have printed: the message pieces of
core's and alloc's panics (slice indexing, `copy_from_slice`, `Vec::remove`, `RefCell`, the
allocator), the source locations (`/rustc/<hash>/library/…`, `src/…rs`) and `core::fmt`'s
two-digit table. Nothing reads them: the only reader of a panic's message and location is the
handler, and the only reader of the digit table is `core::fmt`. Stable Rust cannot leave them
out (`-Zlocation-detail=none` and `panic_immediate_abort` are nightly only), so they are zeroed
here, which gzip then all but drops (−580 B gzip on the core module). Zeroing keeps every
offset as it was, so no code changes meaning; the tests run on the blanked modules.

Only exact texts are blanked: the literal pieces below, and paths ending in `.rs`. A listed
text that is missing is fine (the compiler may not need it); the script reports what it blanked.
"""
import re
import sys

# The literal pieces of the panics core/alloc can raise in these modules.
PIECES = [
    b"slice index starts at ",
    b" but ends at ",
    b"index out of bounds: the len is ",
    b" but the index is ",
    b"range start index ",
    b"range end index ",
    b" out of range for slice of length ",
    b"memory allocation of ",
    b" bytes failed",
    b"copy_from_slice: source slice length (",
    b") does not match destination slice length (",
    b"removal index (is ",
    b") should be < len (is ",
    b"capacity overflow",
    b"RefCell already mutably borrowed",
    b"RefCell already borrowed",
    b"dest is out of bounds",
    b"mid > len",
]
PATTERNS = [re.escape(p) for p in PIECES] + [
    # Source locations: the standard library's, the project's, and crates' from the registry.
    rb"/rustc/[0-9a-f]{40}/library/[A-Za-z0-9_/]+\.rs",
    rb"(?<![A-Za-z0-9_/.-])(?:pkg-core/|pkg-sockjs/)?src/[A-Za-z0-9_/]+\.rs",
    rb"/[A-Za-z0-9_./-]*/\.cargo/registry/src/[A-Za-z0-9_./-]+\.rs",
    # core::fmt's DEC_DIGITS_LUT: "00" "01" … "99".
    b"".join(b"%02d" % i for i in range(100)),
]


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def data_section(b):
    """(start, end) of the data section's payload."""
    i = 8
    while i < len(b):
        section, i = b[i], i + 1
        size, i = leb(b, i)
        if section == 11:
            return i, i + size
        i += size
    sys.exit("no data section")


def main():
    path = sys.argv[1]
    b = bytearray(open(path, "rb").read())
    start, end = data_section(b)
    data = bytes(b[start:end])
    blanked = 0
    for pattern in PATTERNS:
        for m in re.finditer(pattern, data):
            b[start + m.start():start + m.end()] = bytes(m.end() - m.start())
            blanked += m.end() - m.start()
    open(path, "wb").write(b)
    print(f"{path}: {blanked} bytes of panic text blanked")


if __name__ == "__main__":
    main()

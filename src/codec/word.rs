//! Word-at-a-time byte search ("SWAR": SIMD within a register): eight bytes are tested for a set
//! of values with a handful of integer operations, portably (the same code on wasm32). Header
//! lines are short, which is where `memchr`'s vector set-up costs more than it saves, and asking
//! several questions in one pass beats one `memchr` pass per question.

const ONES: u64 = u64::from_le_bytes([1; 8]);

/// The high bit of every byte.
pub(super) const HIGH: u64 = ONES << 7;

/// Reads eight bytes, the first one in the lowest bits, so that `trailing_zeros() / 8` of a
/// match mask is the index of the first matching byte.
#[inline(always)]
pub(super) fn load(chunk: &[u8; 8]) -> u64 {
    u64::from_le_bytes(*chunk)
}

/// A mask with the high bit set in the bytes of `word` equal to `byte`. Exact for the lowest such
/// byte, and zero exactly when there is none; bits above the lowest match may be spurious.
// The server's line and escape scans only (the browser core scans byte by byte).
#[cfg(any(test, feature = "std"))]
#[inline(always)]
pub(super) fn equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGH
}

/// Non-zero exactly when a byte of `word` is below `n` (at most 128); the lowest such byte is
/// flagged exactly, as with [`equal`].
// The server's line and escape scans only (the browser core scans byte by byte).
#[cfg(any(test, feature = "std"))]
#[inline(always)]
pub(super) fn below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(n)) & !word & HIGH
}

/// Index of the first byte flagged in a non-zero mask from [`equal`] (or [`HIGH`]).
// The server's line and escape scans only (the browser core scans byte by byte).
#[cfg(any(test, feature = "std"))]
#[inline(always)]
pub(super) fn first(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// Where `byte` first occurs in `hay`: `memchr` with `std` (the server), and without it (the
/// browser core) a byte loop.
#[cfg(feature = "std")]
#[inline]
pub(crate) fn find(byte: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(byte, hay)
}

/// Where `byte` first occurs in `hay` (see the `std` version), byte by byte: the browser core
/// looks for a NUL only in a received body without `content-length` and in a body it sends
/// without one, both rare (brokers and stompjs write the header), and a word-at-a-time search
/// weighed 80 B gzip more there.
#[cfg(not(feature = "std"))]
pub(crate) fn find(byte: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_equal_byte_anywhere_in_the_word() {
        for at in 0..8 {
            for byte in [0u8, b'\n', b':', 0x7f, 0x80, 0xff] {
                let mut chunk = [b'a'; 8];
                chunk[at] = byte;
                // A second match later must not move the first.
                if at < 7 {
                    chunk[7] = byte;
                }
                let mask = equal(load(&chunk), byte);
                assert_ne!(mask, 0);
                assert_eq!(first(mask), at, "{chunk:?}");
            }
        }
        assert_eq!(equal(load(b"abcdefgh"), b':'), 0);
        // Bytes one above or below the target (borrow edge cases) do not match.
        assert_eq!(equal(load(b";9;9;9;9"), b':'), 0);
        assert_eq!(equal(load(&[0x81; 8]), 0x80), 0);
        assert_eq!(first(load(b"abc\xc3\xa9xyz") & HIGH), 3);
    }

    #[test]
    fn below_flags_exactly_the_words_with_a_smaller_byte() {
        for n in [1u8, 14, 128] {
            for at in 0..8 {
                for byte in 0..=255u8 {
                    let mut chunk = [200u8; 8];
                    chunk[at] = byte;
                    let mask = below(load(&chunk), n);
                    assert_eq!(mask != 0, byte < n, "{chunk:?} below {n}");
                    if byte < n {
                        assert_eq!(first(mask), at);
                    }
                }
            }
        }
    }
}

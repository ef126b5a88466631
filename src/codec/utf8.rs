//! UTF-8 checks without `core::str::from_utf8` in the browser build.
//!
//! `core::str::from_utf8` is fast (a word-at-a-time ASCII path and a table of lead bytes), and
//! the server keeps it: with the `std` feature [`valid`] and [`str`] are that function. In the
//! browser core it weighed 682 B of code, with `Chars::next` and `String::push` of non-ASCII
//! chars about as much again, for bodies and header lines that are nearly always short. Without
//! `std` the check is the small loop below ([`first`] per sequence, ASCII eight bytes at a
//! time); the tests hold the two to the same answer for every input.

use crate::prelude::*;

/// The character `bytes` start with and its length in bytes; `None` when they are empty or do
/// not start with a complete, well-formed UTF-8 sequence (an overlong form, a surrogate, a code
/// point above U+10FFFF, a stray continuation byte, a truncated sequence).
pub fn first(bytes: &[u8]) -> Option<(char, usize)> {
    let &b = bytes.first()?;
    // The sequence's length is the lead byte's count of leading ones (none for ASCII; one, a
    // continuation byte, and five or more are no lead bytes); its payload, the bits after them.
    let n = (b.leading_ones() as usize).max(1);
    if n > 4 || b & 0xc0 == 0x80 {
        return None;
    }
    let mut c = u32::from(b) & (0xff >> n);
    for &next in bytes.get(1..n)? {
        if next & 0xc0 != 0x80 {
            return None;
        }
        c = (c << 6) | u32::from(next & 0x3f);
    }
    // `char::from_u32` refuses the surrogates and what lies above U+10FFFF; a char that would
    // take fewer bytes came in an overlong form.
    char::from_u32(c)
        .filter(|ch| ch.len_utf8() == n)
        .map(|ch| (ch, n))
}

/// Appends `c` to `out`, as `String::push` does. The browser build's only char encoder: smaller
/// than `String::push`'s (and `char::encode_utf8`'s) own, its bytes handed to `push_str`.
pub fn push_char(out: &mut String, c: char) {
    let len = c.len_utf8();
    let mut n = c as u32;
    let mut buf = [0u8; 4];
    // The continuation bytes from the last, six bits each, then the lead byte with the marker of
    // the sequence's length (none, 110, 1110, 11110 for one to four bytes).
    for slot in buf.get_mut(1..len).unwrap_or_default().iter_mut().rev() {
        *slot = 0x80 | (n & 0x3f) as u8;
        n >>= 6;
    }
    if let Some(lead) = buf.first_mut() {
        *lead = n as u8 | (0xf0e0_c000_u32 >> (8 * (len - 1))) as u8;
    }
    // SAFETY: `buf[..len]` is `c` encoded as UTF-8 (checked against `String::push` for every
    // char by the tests below).
    out.push_str(unsafe { core::str::from_utf8_unchecked(buf.get(..len).unwrap_or_default()) });
}

/// [`valid`] of the browser build: [`first`] sequence by sequence, ASCII a word at a time.
#[cfg(any(test, not(feature = "std")))]
fn valid_compact(mut bytes: &[u8]) -> bool {
    loop {
        // Eight ASCII bytes at a time: most text is ASCII, bodies can be long.
        while let Some((chunk, rest)) = bytes.split_first_chunk::<8>() {
            if super::word::load(chunk) & super::word::HIGH != 0 {
                break;
            }
            bytes = rest;
        }
        if bytes.is_empty() {
            return true;
        }
        let Some((_, n)) = first(bytes) else {
            return false;
        };
        bytes = bytes.get(n..).unwrap_or_default();
    }
}

/// Whether `bytes` are UTF-8 (what `core::str::from_utf8(bytes).is_ok()` says).
#[cfg(feature = "std")]
#[inline]
pub fn valid(bytes: &[u8]) -> bool {
    core::str::from_utf8(bytes).is_ok()
}

/// Whether `bytes` are UTF-8 (what `core::str::from_utf8(bytes).is_ok()` says).
#[cfg(not(feature = "std"))]
pub fn valid(bytes: &[u8]) -> bool {
    valid_compact(bytes)
}

/// `bytes` as text if they are UTF-8 (what `core::str::from_utf8(bytes).ok()` gives).
#[cfg(feature = "std")]
#[inline]
pub fn str(bytes: &[u8]) -> Option<&str> {
    core::str::from_utf8(bytes).ok()
}

/// `bytes` as text if they are UTF-8 (what `core::str::from_utf8(bytes).ok()` gives).
#[cfg(not(feature = "std"))]
pub fn str(bytes: &[u8]) -> Option<&str> {
    // SAFETY: `valid_compact` accepts exactly the UTF-8 byte strings (the tests compare it with
    // `core::str::from_utf8` over edge cases and random input).
    valid_compact(bytes).then(|| unsafe { core::str::from_utf8_unchecked(bytes) })
}

// Native only: the property tests use proptest, which does not build for wasm32, and
// `wasm-pack test` compiles the library's unit tests along with tests/web_*.rs.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// The compact check and [`first`] against the standard library, for one input.
    fn agree(bytes: &[u8]) {
        assert_eq!(
            valid_compact(bytes),
            core::str::from_utf8(bytes).is_ok(),
            "{bytes:x?}"
        );
        assert_eq!(valid(bytes), core::str::from_utf8(bytes).is_ok());
        assert_eq!(str(bytes), core::str::from_utf8(bytes).ok());
        // `first` is the first char of the longest valid prefix, when that prefix holds it all.
        let expected = match core::str::from_utf8(bytes) {
            Ok(s) => s.chars().next(),
            Err(e) => core::str::from_utf8(&bytes[..e.valid_up_to()])
                .unwrap()
                .chars()
                .next(),
        }
        .map(|c| (c, c.len_utf8()));
        assert_eq!(first(bytes), expected, "{bytes:x?}");
    }

    #[test]
    fn push_char_writes_every_char_as_string_push_does() {
        let mut out = String::from("x");
        let mut expected = String::from("x");
        for c in (0..=0x10_ffff).filter_map(char::from_u32) {
            push_char(&mut out, c);
            expected.push(c);
        }
        assert_eq!(out, expected);
    }

    #[test]
    fn every_sequence_of_up_to_three_bytes() {
        agree(&[]);
        for a in 0..=255u8 {
            agree(&[a]);
            for b in 0..=255u8 {
                agree(&[a, b]);
                for c in 0..=255u8 {
                    agree(&[a, b, c]);
                }
            }
        }
    }

    #[test]
    fn every_four_byte_lead_with_every_second_byte() {
        for a in 0xf0..=0xffu8 {
            for b in 0..=255u8 {
                for c in [0x7f, 0x80, 0xbf, 0xc0] {
                    for d in [0x00, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xff] {
                        agree(&[a, b, c, d]);
                        agree(&[b'x', a, b, c, d, b'y']);
                    }
                }
            }
        }
    }

    #[test]
    fn edge_cases() {
        let cases: &[&[u8]] = &[
            // The last of each length, and the first.
            "\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}".as_bytes(),
            // Around the surrogates.
            "\u{d7ff}\u{e000}".as_bytes(),
            b"\xed\xa0\x80",
            b"\xed\xbf\xbf",
            b"\xed\x9f\xbf",
            // Above U+10FFFF.
            b"\xf4\x90\x80\x80",
            b"\xf5\x80\x80\x80",
            b"\xf7\xbf\xbf\xbf",
            b"\xf8\x88\x80\x80\x80",
            // Overlong forms.
            b"\xc0\x80",
            b"\xc1\xbf",
            b"\xe0\x80\x80",
            b"\xe0\x9f\xbf",
            b"\xf0\x80\x80\x80",
            b"\xf0\x8f\xbf\xbf",
            // Truncated sequences, at the end and in the middle, after a run of ASCII words.
            b"abcdefgh\xc3",
            b"abcdefgh\xe2\x82",
            b"abcdefghijklmnop\xf0\x9f\x98",
            b"abcdefgh\xf0\x9f\x98abcdefgh",
            b"abcdefg\xc3\xa9abcdefgh",
            b"\x80",
            b"\xbf",
            b"\xfe",
            b"\xff",
            "abcdefg€€€€€€€€abcdefgh😀".as_bytes(),
        ];
        for &case in cases {
            agree(case);
            for end in 0..=case.len() {
                agree(&case[..end]);
                agree(&case[end..]);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

        #[test]
        fn agrees_with_from_utf8_on_random_bytes(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..40)
        ) {
            agree(&bytes);
        }

        #[test]
        fn agrees_with_from_utf8_on_text_with_a_byte_changed(
            text in "\\PC{0,24}",
            at in proptest::num::usize::ANY,
            byte in proptest::num::u8::ANY,
        ) {
            let mut bytes = text.into_bytes();
            agree(&bytes);
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] = byte;
                agree(&bytes);
                bytes.truncate(i);
                agree(&bytes);
            }
        }
    }
}

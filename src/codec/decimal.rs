//! Decimal numbers without `core::fmt` or `str::parse`: `content-length` values, heart-beat
//! intervals, message ids, debug lines. `fmt`'s machinery would weigh on the Wasm build, and
//! this is on the encoder's hot path.

use crate::prelude::*;

/// Writes `n` in decimal at the end of `buf` and returns the digits.
pub fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    // `get_mut`, not indexing: 20 digits always fit, but a bounds check would be a panic path.
    while let Some(slot) = buf.get_mut(i.wrapping_sub(1)) {
        i -= 1;
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // SAFETY: only ASCII digits were written from `i` on. (Checked as UTF-8, they cost the
    // browser build a call of its validator per number.)
    unsafe { core::str::from_utf8_unchecked(buf.get(i..).unwrap_or_default()) }
}

/// Appends `n` in decimal to `out` (what `n.to_string()` gives, without `core::fmt`).
pub fn push_decimal(out: &mut String, n: u64) {
    out.push_str(decimal(n, &mut [0; 20]));
}

/// Reads a number written with decimal digits only (no sign, no blanks, not empty), if it fits
/// in a `usize`.
pub fn parse_decimal(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() {
        return None;
    }
    // A plain loop: `try_fold` with its closure compiled to more in the browser core.
    let mut n: usize = 0;
    for &b in digits {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(usize::from(digit))?;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_digits_only() {
        assert_eq!(parse_decimal(b"0"), Some(0));
        assert_eq!(parse_decimal(b"10000"), Some(10_000));
        assert_eq!(parse_decimal(b""), None);
        assert_eq!(parse_decimal(b"+5"), None);
        assert_eq!(parse_decimal(b" 5"), None);
        assert_eq!(parse_decimal(b"99999999999999999999999"), None);
    }

    #[test]
    fn formats_the_extremes() {
        let mut b = [0; 20];
        assert_eq!(decimal(0, &mut b), "0");
        assert_eq!(decimal(7, &mut b), "7");
        assert_eq!(decimal(1_000_000, &mut b), "1000000");
        assert_eq!(decimal(u64::MAX, &mut b), "18446744073709551615");
        let mut s = String::from("n=");
        push_decimal(&mut s, 42);
        assert_eq!(s, "n=42");
    }
}

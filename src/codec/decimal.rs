//! Decimal numbers without `core::fmt`: `content-length` values, message ids, debug lines.
//! `fmt`'s machinery would weigh on the Wasm build, and this is on the encoder's hot path.

use crate::prelude::*;

/// Writes `n` in decimal at the end of `buf` and returns the digits.
pub fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Only ASCII digits were written, so this never falls back.
    core::str::from_utf8(&buf[i..]).unwrap_or("0")
}

/// Appends `n` in decimal to `out` (what `n.to_string()` gives, without `core::fmt`).
pub fn push_decimal(out: &mut String, n: u64) {
    out.push_str(decimal(n, &mut [0; 20]));
}

#[cfg(test)]
mod tests {
    use super::*;

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

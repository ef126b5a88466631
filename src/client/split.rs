//! `splitLargeFrames`: cutting one encoded text frame into transport messages of at most
//! `max` bytes, at UTF-8 character boundaries (the shell turns each piece into a JavaScript
//! string, which a split character would corrupt).

use crate::prelude::*;

/// The pieces of `data`, each at most `max` bytes unless a single character is longer than
/// `max`. `max == 0` means no splitting.
pub(crate) fn split_utf8(data: Vec<u8>, max: usize) -> Vec<Vec<u8>> {
    if max == 0 || data.len() <= max {
        return vec![data];
    }
    let mut pieces = Vec::with_capacity(data.len() / max + 1);
    let mut data = data.as_slice();
    while data.len() > max {
        let mut cut = max;
        // Step back over continuation bytes (10xxxxxx) to the start of a character.
        while cut > 0 && data[cut] & 0xC0 == 0x80 {
            cut -= 1;
        }
        if cut == 0 {
            // One character longer than `max`: send it whole rather than split it.
            cut = 1;
            while cut < data.len() && data[cut] & 0xC0 == 0x80 {
                cut += 1;
            }
        }
        let (piece, rest) = data.split_at(cut);
        pieces.push(piece.to_vec());
        data = rest;
    }
    if !data.is_empty() {
        pieces.push(data.to_vec());
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_bounded_and_rejoin_to_the_input() {
        let text = "SEND\ndestination:/q\n\nhé€llo wörld 🎉 and more text\0";
        for max in 1..12 {
            let pieces = split_utf8(text.as_bytes().to_vec(), max);
            let joined: Vec<u8> = pieces.iter().flat_map(|p| p.iter().copied()).collect();
            assert_eq!(joined, text.as_bytes(), "max {max}");
            for p in &pieces {
                assert!(std::str::from_utf8(p).is_ok(), "piece splits a char: {p:?}");
                let longest_char = 4;
                assert!(p.len() <= max.max(longest_char), "max {max}: {p:?}");
            }
        }
        assert_eq!(split_utf8(b"abcdef".to_vec(), 4).len(), 2);
        assert_eq!(split_utf8(b"abcdef".to_vec(), 0).len(), 1);
    }
}

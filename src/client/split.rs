//! `splitLargeFrames`: cutting one encoded text frame into transport messages of at most
//! `max` bytes, at UTF-8 character boundaries (the shell turns each piece into a JavaScript
//! string, which a split character would corrupt).

/// How many bytes of `data` the next piece takes: at most `max` unless a single character is
/// longer than `max`, cut at a character boundary. `max == 0` means no splitting. Lengths, not
/// a `Vec` of pieces: the caller writes each piece where it goes, with no copy of its own.
pub(crate) fn piece_len(data: &[u8], max: usize) -> usize {
    if max == 0 || data.len() <= max {
        return data.len();
    }
    let continuation = |i: usize| data.get(i).is_some_and(|&b| b & 0xC0 == 0x80);
    let mut cut = max;
    // Step back over continuation bytes (10xxxxxx) to the start of a character.
    while cut > 0 && continuation(cut) {
        cut -= 1;
    }
    if cut == 0 {
        // One character longer than `max`: send it whole rather than split it.
        cut = 1;
        while continuation(cut) {
            cut += 1;
        }
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn split_utf8(data: Vec<u8>, max: usize) -> Vec<Vec<u8>> {
        let mut rest = data.as_slice();
        let mut pieces = Vec::new();
        loop {
            let (piece, tail) = rest.split_at(piece_len(rest, max));
            pieces.push(piece.to_vec());
            rest = tail;
            if rest.is_empty() {
                return pieces;
            }
        }
    }

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

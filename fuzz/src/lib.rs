//! The decoder oracle, shared by the cargo-fuzz target (`fuzz_targets/decode.rs`) and by the
//! proptest in `tests/codec_proptest.rs` that drives the same checks on stable Rust.
//!
//! [`check`] reads its first bytes as a configuration (version, limits, chunk sizes, encoder
//! options) and the rest as a peer's bytes, and asserts:
//!
//! 1. Decoding never panics, whatever the bytes.
//! 2. Chunking does not matter: the items up to and including the first error are the same when
//!    the bytes come whole and when they come in the configured chunks.
//! 3. Every decoded frame round-trips: encoded again (with the decoder's version) and decoded, it
//!    is the same frame, `content-length` headers aside (the encoder writes the true one).
//! 4. For frames with escaped headers, `encode_head` + `encode_tail` is the same bytes as
//!    `encode`.
//! 5. One grammar: the client's [`ViewDecoder`] (the same scanner, the offset-table builder)
//!    gives the same items as the server's `Decoder`, errors included, chunked as configured.

use bytes::{Bytes, BytesMut};
use stomp_wasm::codec::{ViewDecoder, Viewed};
use stomp_wasm::{DecodeError, Decoded, Decoder, Encoder, Frame, Headers, Limits, Version};

/// Tight limits, so that the fuzzer reaches every limit error with short inputs.
pub const SMALL_LIMITS: Limits = Limits {
    max_frame_size: 96,
    max_headers: 4,
    max_header_line: 24,
    max_body: 48,
};

/// Runs every check on `data`. Panics (with a message) when one fails.
pub fn check(data: &[u8]) {
    let (config, input) = data.split_at(data.len().min(3));
    let config = Config::read(config);
    let whole = decode_all::<Decoder>(&config, input, &[input.len()]);
    let chunks = config.chunk_sizes(input.len());
    let chunked = decode_all::<Decoder>(&config, input, &chunks);
    assert_eq!(whole, chunked, "chunks {chunks:?} changed the result");
    let viewed = decode_all::<ViewDecoder>(&config, input, &chunks);
    assert_eq!(
        whole, viewed,
        "the view decoder disagrees (chunks {chunks:?})"
    );
    for item in &whole {
        if let Ok(Decoded::Frame(frame)) = item {
            round_trip(&config, frame);
        }
    }
}

struct Config {
    version: Version,
    limits: Limits,
    content_length: bool,
    max_chunk: usize,
    seed: u32,
}

impl Config {
    fn read(bytes: &[u8]) -> Config {
        let b = |i: usize| bytes.get(i).copied().unwrap_or(0);
        let flags = b(0);
        Config {
            version: Version::ALL[usize::from(flags & 3) % 3],
            limits: if flags & 4 != 0 {
                SMALL_LIMITS
            } else {
                Limits::default()
            },
            content_length: flags & 8 == 0,
            max_chunk: [1, 2, 3, 7, 16, 64, 512, 4096][usize::from(flags >> 5)],
            seed: u32::from(b(1)) << 8 | u32::from(b(2)) | 1,
        }
    }

    /// Chunk sizes in 1..=max_chunk covering `len` bytes, from a xorshift generator.
    fn chunk_sizes(&self, len: usize) -> Vec<usize> {
        let mut state = self.seed;
        let mut sizes = Vec::new();
        let mut total = 0;
        while total < len {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let size = (state as usize % self.max_chunk + 1).min(len - total);
            sizes.push(size);
            total += size;
        }
        sizes
    }
}

/// The two builders of the one grammar, driven alike: the server's `Decoder` and the client's
/// `ViewDecoder`, whose views are copied into `Frame`s to compare.
pub trait Decode {
    fn new_with(limits: Limits, version: Version) -> Self;
    fn feed_bytes(&mut self, chunk: &[u8]);
    fn next_item(&mut self) -> Result<Option<Decoded>, DecodeError>;
    fn buffered_bytes(&self) -> usize;
}

impl Decode for Decoder {
    fn new_with(limits: Limits, version: Version) -> Decoder {
        let mut decoder = Decoder::new(limits);
        decoder.set_version(version);
        decoder
    }
    fn feed_bytes(&mut self, chunk: &[u8]) {
        self.feed(chunk);
    }
    fn next_item(&mut self) -> Result<Option<Decoded>, DecodeError> {
        self.decode()
    }
    fn buffered_bytes(&self) -> usize {
        self.buffered()
    }
}

impl Decode for ViewDecoder {
    fn new_with(limits: Limits, version: Version) -> ViewDecoder {
        let mut decoder = ViewDecoder::new(limits);
        decoder.set_version(version);
        decoder
    }
    fn feed_bytes(&mut self, chunk: &[u8]) {
        self.feed(chunk);
    }
    fn next_item(&mut self) -> Result<Option<Decoded>, DecodeError> {
        Ok(self.decode()?.map(|item| match item {
            Viewed::Heartbeat => Decoded::Heartbeat,
            Viewed::Frame(view) => Decoded::Frame(Frame {
                command: view.command,
                headers: view
                    .headers()
                    .map(|(name, value)| (name.to_owned(), value.to_owned()))
                    .collect::<Headers>(),
                body: Bytes::copy_from_slice(view.body()),
            }),
        }))
    }
    fn buffered_bytes(&self) -> usize {
        self.buffered()
    }
}

/// Feeds `input` in `chunks` and decodes after each; stops after the first error.
fn decode_all<D: Decode>(
    config: &Config,
    input: &[u8],
    chunks: &[usize],
) -> Vec<Result<Decoded, DecodeError>> {
    let mut decoder = D::new_with(config.limits, config.version);
    let mut items = Vec::new();
    let mut rest = input;
    for &size in chunks {
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        decoder.feed_bytes(chunk);
        loop {
            match decoder.next_item() {
                Ok(Some(item)) => items.push(Ok(item)),
                Ok(None) => break,
                Err(e) => {
                    assert_eq!(
                        decoder.buffered_bytes(),
                        0,
                        "an error must empty the decoder"
                    );
                    items.push(Err(e));
                    return items;
                }
            }
        }
        assert!(decoder.buffered_bytes() <= input.len());
    }
    items
}

fn round_trip(config: &Config, frame: &Frame) {
    let encoder = Encoder::new(config.version).with_content_length(config.content_length);
    let mut wire = BytesMut::new();
    encoder.encode(frame, &mut wire);

    if frame.command.escapes_headers() {
        let entries: Vec<(&str, &str)> = frame.headers.iter().collect();
        let k = entries.len() / 2;
        let mut split = BytesMut::new();
        encoder.encode_head(frame.command, entries[..k].iter().copied(), &mut split);
        split.extend_from_slice(&encoder.encode_tail(entries[k..].iter().copied(), &frame.body));
        assert_eq!(split, wire, "encode_head + encode_tail differs from encode");
    }

    let mut decoder = Decoder::new(Limits::unlimited());
    decoder.set_version(config.version);
    decoder.feed(&wire);
    let again = match decoder.decode() {
        Ok(Some(Decoded::Frame(again))) => again,
        other => panic!("re-encoded {frame:?} as {wire:?}, decoded {other:?}"),
    };
    assert_eq!(
        decoder.buffered(),
        0,
        "re-encoded frame {wire:?} has trailing bytes"
    );
    assert_eq!(
        without_content_length(&again),
        without_content_length(frame),
        "round trip through {wire:?}"
    );
}

fn without_content_length(frame: &Frame) -> Frame {
    let mut headers = Headers::new();
    for (name, value) in frame.headers.entries() {
        if name.as_str() != "content-length" {
            headers.push(name.clone(), value.clone());
        }
    }
    Frame {
        command: frame.command,
        headers,
        body: frame.body.clone(),
    }
}

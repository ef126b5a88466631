//! Property tests of the codec:
//!
//! - any valid frame, in any version, round-trips encode → split at random points → decode,
//!   with the server's `Decoder` and with the client's `ViewDecoder` (one scanner, two builders);
//! - random bytes fed in random chunks never panic, and chunking never changes the result;
//! - random mutations of valid frames never panic, and whatever still decodes round-trips.
//!
//! The last two run the fuzz target's own checks (`fuzz/src/lib.rs`), so that the oracle the
//! fuzzer uses is exercised on stable Rust in every `cargo test`.
//!
//! Native only: proptest does not build for wasm32, and `wasm-pack test` compiles every test file.
#![cfg(not(target_arch = "wasm32"))]

#[path = "../fuzz/src/lib.rs"]
mod fuzz_check;

use bytes::BytesMut;
use fuzz_check::Decode;
use proptest::prelude::*;
use stomp_wasm::codec::ViewDecoder;
use stomp_wasm::{Command, Decoded, Decoder, Encoder, Frame, Headers, Limits, Version};

/// Characters worth testing in headers: the ones escaping deals with, NUL, multi-byte UTF-8 and
/// anything else.
fn header_char(can_escape: bool) -> BoxedStrategy<char> {
    let special = if can_escape {
        prop_oneof![Just(':'), Just('\\'), Just('\n'), Just('\r')].boxed()
    } else {
        // Without escaping, LF cannot be carried at all, and a colon only in values (the
        // caller filters names).
        prop_oneof![Just(':'), Just('\\'), Just('\r')].boxed()
    };
    prop_oneof![
        4 => proptest::char::range('a', 'z'),
        2 => special,
        1 => Just('\0'),
        1 => Just('é'),
        1 => Just('日'),
        1 => any::<char>(),
    ]
    .prop_filter("LF needs escaping", move |c| can_escape || *c != '\n')
    .boxed()
}

fn header_text(can_escape: bool, max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(header_char(can_escape), 0..max)
        .prop_map(|chars| chars.into_iter().collect())
}

fn header(can_escape: bool) -> impl Strategy<Value = (String, String)> {
    (header_text(can_escape, 12), header_text(can_escape, 24)).prop_filter(
        "the encoder owns content-length; unescaped names cannot hold a colon",
        move |(name, _)| {
            name.replace('\0', "") != "content-length" && (can_escape || !name.contains(':'))
        },
    )
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        proptest::collection::vec(any::<u8>(), 0..300),
        proptest::collection::vec(prop_oneof![Just(0u8), Just(b'\n'), Just(b'a')], 0..20),
    ]
}

/// A frame that `version` can represent exactly.
fn frame(version: Version) -> impl Strategy<Value = Frame> {
    proptest::sample::select(Command::ALL.to_vec()).prop_flat_map(move |command| {
        let can_escape = version >= Version::V1_1 && command.escapes_headers();
        (proptest::collection::vec(header(can_escape), 0..6), body()).prop_map(
            move |(headers, body)| Frame {
                command,
                headers: headers.into_iter().collect::<Headers>(),
                body: body.into(),
            },
        )
    })
}

/// What the decoder gives back for `frame` encoded by `encoder`: the same frame without the NULs
/// in its headers (no version can carry them: the encoder drops them), plus the `content-length`
/// the encoder appends.
fn expected(frame: &Frame, content_length: bool) -> Frame {
    let mut expected = frame.clone();
    expected.headers = frame
        .headers
        .iter()
        .map(|(n, v)| (n.replace('\0', ""), v.replace('\0', "")))
        .collect();
    if content_length || frame.body.contains(&0) {
        expected
            .headers
            .push("content-length", frame.body.len().to_string());
    }
    expected
}

/// Feeds `wire` cut at the given points (sorted, deduplicated) to either builder of the
/// grammar and collects every item.
fn decode_split<D: Decode>(version: Version, wire: &[u8], cuts: &[usize]) -> Vec<Decoded> {
    let mut decoder = D::new_with(Limits::unlimited(), version);
    let mut items = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&wire.len())) {
        let cut = cut.clamp(start, wire.len());
        decoder.feed_bytes(&wire[start..cut]);
        start = cut;
        while let Some(item) = decoder.next_item().expect("encoder output must decode") {
            items.push(item);
        }
    }
    assert_eq!(decoder.buffered_bytes(), 0);
    items
}

fn version() -> impl Strategy<Value = Version> {
    proptest::sample::select(Version::ALL.to_vec())
}

/// Frames of one version, each preceded by a few heart-beats.
fn stream() -> impl Strategy<Value = (Version, Vec<(usize, bool, Frame)>)> {
    version().prop_flat_map(|v| {
        (
            Just(v),
            proptest::collection::vec((0..3usize, any::<bool>(), frame(v)), 1..5),
        )
    })
}

// Case counts: 1000 per property (500 for the cheap head/tail one) keeps `cargo test` under a
// minute of CPU in a debug build; the fuzzer runs the same oracle for much longer.
proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn frames_round_trip_through_any_split(
        (version, frames) in stream(),
        content_length in any::<bool>(),
        cuts in proptest::collection::vec(0..4096usize, 0..12),
    ) {
        let encoder = Encoder::new(version).with_content_length(content_length);
        let mut wire = BytesMut::new();
        let mut want = Vec::new();
        for (heartbeats, crlf, frame) in &frames {
            for _ in 0..*heartbeats {
                wire.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
                want.push(Decoded::Heartbeat);
            }
            encoder.encode(frame, &mut wire);
            want.push(Decoded::Frame(expected(frame, content_length)));
        }
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (wire.len() + 1)).collect();
        cuts.sort_unstable();
        prop_assert_eq!(&decode_split::<Decoder>(version, &wire, &cuts), &want);
        prop_assert_eq!(decode_split::<ViewDecoder>(version, &wire, &cuts), want);
    }

    #[test]
    fn head_plus_tail_equals_encode(
        version in version(),
        frame in version().prop_flat_map(frame),
        split in 0..8usize,
        content_length in any::<bool>(),
    ) {
        prop_assume!(frame.command.escapes_headers());
        let encoder = Encoder::new(version).with_content_length(content_length);
        let entries: Vec<(&str, &str)> = frame.headers.iter().collect();
        let k = split.min(entries.len());
        let mut out = BytesMut::new();
        encoder.encode_head(frame.command, entries[..k].iter().copied(), &mut out);
        out.extend_from_slice(&encoder.encode_tail(entries[k..].iter().copied(), &frame.body));
        prop_assert_eq!(&out[..], &encoder.encode_to_bytes(&frame)[..]);
    }

    #[test]
    fn random_bytes_in_random_chunks_never_panic(
        data in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        fuzz_check::check(&data);
    }

    #[test]
    fn random_stomp_like_bytes_never_panic(
        config in proptest::collection::vec(any::<u8>(), 3),
        data in proptest::collection::vec(
            prop_oneof![
                Just(b'\n'), Just(b'\r'), Just(0u8), Just(b':'), Just(b'\\'), Just(b'c'),
                Just(b'n'), Just(b'r'), Just(b'x'), Just(b'9'), Just(0xc3u8), Just(0xa9u8),
            ],
            0..300,
        ),
    ) {
        let mut input = config;
        input.extend_from_slice(&data);
        fuzz_check::check(&input);
    }

    #[test]
    fn mutated_frames_never_panic(
        config in proptest::collection::vec(any::<u8>(), 3),
        (version, frames) in stream(),
        mutations in proptest::collection::vec(
            (any::<prop::sample::Index>(), 0..4u8, prop_oneof![
                any::<u8>(), Just(b'\n'), Just(0u8), Just(b':'), Just(b'\\'), Just(b'\r'),
            ]),
            1..6,
        ),
    ) {
        let encoder = Encoder::new(version);
        let mut wire = BytesMut::new();
        for (_, _, frame) in &frames {
            encoder.encode(frame, &mut wire);
        }
        let mut wire = wire.to_vec();
        for (at, kind, byte) in mutations {
            if wire.is_empty() {
                break;
            }
            let i = at.index(wire.len());
            match kind {
                0 => wire[i] = byte,
                1 => wire.insert(i, byte),
                2 => { wire.remove(i); }
                _ => wire.truncate(i),
            }
        }
        // The configuration's version bits, replaced by the version the frames were written in.
        let mut input = config;
        input[0] = (input[0] & !3) | version as u8;
        input.extend_from_slice(&wire);
        fuzz_check::check(&input);
    }
}

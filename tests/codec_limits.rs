//! Decoder limits (each one's typed error, at its exact boundary, refused before the whole frame
//! is buffered) and the decoder's state after an error.

use stomp_wasm::{Command, DecodeError, Decoded, Decoder, Limits, Version};

fn limits(f: impl FnOnce(&mut Limits)) -> Limits {
    let mut l = Limits::default();
    f(&mut l);
    l
}

/// Feeds `wire` whole and decodes until an error or the end.
fn run(limits: Limits, wire: &[u8]) -> Result<Vec<Decoded>, DecodeError> {
    let mut d = Decoder::new(limits);
    d.feed(wire);
    let mut items = Vec::new();
    while let Some(item) = d.decode()? {
        items.push(item);
    }
    Ok(items)
}

/// Feeds `wire` one byte at a time; the first error, if any.
fn run_bytewise(limits: Limits, wire: &[u8]) -> Result<usize, DecodeError> {
    let mut d = Decoder::new(limits);
    let mut frames = 0;
    for b in wire {
        d.feed(std::slice::from_ref(b));
        while let Some(item) = d.decode()? {
            frames += usize::from(matches!(item, Decoded::Frame(_)));
        }
    }
    Ok(frames)
}

// --- max_headers ------------------------------------------------------------------------------

#[test]
fn max_headers() {
    let l = limits(|l| l.max_headers = 3);
    assert!(run(l, b"SEND\na:1\nb:2\nc:3\n\n\0").is_ok());
    assert_eq!(
        run(l, b"SEND\na:1\nb:2\nc:3\nd:4\n\n\0"),
        Err(DecodeError::TooManyHeaders { limit: 3 })
    );
    // Refused on the extra header line, before the frame is complete.
    let mut d = Decoder::new(l);
    d.feed(b"SEND\na:1\nb:2\nc:3\nd:4\n");
    assert_eq!(d.decode(), Err(DecodeError::TooManyHeaders { limit: 3 }));
}

#[test]
fn zero_headers_allowed() {
    let l = limits(|l| l.max_headers = 0);
    assert!(run(l, b"DISCONNECT\n\n\0").is_ok());
    assert_eq!(
        run(l, b"DISCONNECT\nreceipt:1\n\n\0"),
        Err(DecodeError::TooManyHeaders { limit: 0 })
    );
}

// --- max_header_line --------------------------------------------------------------------------

#[test]
fn max_header_line_counts_the_line_without_its_eol() {
    let l = limits(|l| l.max_header_line = 10);
    assert!(run(l, b"SEND\na:12345678\n\n\0").is_ok());
    assert!(run(l, b"SEND\r\na:12345678\r\n\r\n\0").is_ok());
    assert_eq!(
        run(l, b"SEND\na:123456789\n\n\0"),
        Err(DecodeError::HeaderLineTooLong { limit: 10 })
    );
    assert_eq!(
        run(l, b"SEND\na:123456789\r\n\n\0"),
        Err(DecodeError::HeaderLineTooLong { limit: 10 })
    );
}

#[test]
fn max_header_line_applies_to_the_command_line() {
    let l = limits(|l| l.max_header_line = 4);
    assert!(run(l, b"SEND\n\n\0").is_ok());
    assert_eq!(
        run(l, b"MESSAGE\n\n\0"),
        Err(DecodeError::HeaderLineTooLong { limit: 4 })
    );
    // A runaway first line (no EOL at all) is refused without waiting for one.
    let mut d = Decoder::new(l);
    d.feed(b"GARBAGE");
    assert_eq!(d.decode(), Err(DecodeError::HeaderLineTooLong { limit: 4 }));
}

#[test]
fn an_overlong_line_is_refused_before_its_eol_arrives() {
    let l = limits(|l| l.max_header_line = 10);
    let mut d = Decoder::new(l);
    // 11 bytes: the 11th may still be the CR of the EOL.
    d.feed(b"SEND\na:12345678\r");
    assert_eq!(d.decode(), Ok(None));
    d.feed(b"\n\n\0");
    assert!(matches!(d.decode(), Ok(Some(Decoded::Frame(_)))));

    let mut d = Decoder::new(l);
    d.feed(b"SEND\na:123456789");
    assert_eq!(d.decode(), Ok(None));
    d.feed(b"0");
    assert_eq!(
        d.decode(),
        Err(DecodeError::HeaderLineTooLong { limit: 10 })
    );
}

// --- max_frame_size ---------------------------------------------------------------------------

#[test]
fn max_frame_size_counts_command_headers_body_and_nul() {
    // "SEND\n" 5 + "a:b\n" 4 + "\n" 1 + "hello" 5 + NUL 1 = 16 bytes.
    let wire = b"SEND\na:b\n\nhello\0";
    assert!(run(limits(|l| l.max_frame_size = 16), wire).is_ok());
    assert_eq!(
        run(limits(|l| l.max_frame_size = 15), wire),
        Err(DecodeError::FrameTooLarge { limit: 15 })
    );
    // Same with content-length (17 more bytes).
    let wire = b"SEND\ncontent-length:5\na:b\n\nhello\0";
    assert!(run(limits(|l| l.max_frame_size = 33), wire).is_ok());
    assert_eq!(
        run(limits(|l| l.max_frame_size = 32), wire),
        Err(DecodeError::FrameTooLarge { limit: 32 })
    );
}

#[test]
fn heartbeats_do_not_count_towards_the_frame_size() {
    let l = limits(|l| l.max_frame_size = 16);
    let wire = format!("{}\r\nSEND\na:b\n\nhello\0", "\n".repeat(17));
    let items = run(l, wire.as_bytes()).unwrap();
    assert_eq!(items.len(), 19);
    assert!(matches!(items[18], Decoded::Frame(_)));
}

#[test]
fn an_announced_oversized_frame_is_refused_before_its_body_arrives() {
    let l = limits(|l| l.max_frame_size = 100);
    let mut d = Decoder::new(l);
    d.feed(b"SEND\ncontent-length:90\n\n");
    assert_eq!(d.decode(), Err(DecodeError::FrameTooLarge { limit: 100 }));
}

#[test]
fn a_growing_frame_is_refused_once_past_the_limit() {
    let l = limits(|l| l.max_frame_size = 100);
    // In the headers.
    let mut d = Decoder::new(l);
    d.feed(b"SEND\n");
    for _ in 0..9 {
        d.feed(b"header:01\n");
        assert_eq!(d.decode(), Ok(None));
    }
    // 95 bytes so far: six more make 101.
    d.feed(b"x:0123");
    assert_eq!(d.decode(), Err(DecodeError::FrameTooLarge { limit: 100 }));
    // In a body without content-length, before any NUL.
    let mut d = Decoder::new(l);
    d.feed(b"SEND\n\n");
    d.feed(&[b'x'; 94]);
    assert_eq!(d.decode(), Ok(None));
    d.feed(b"x");
    assert_eq!(d.decode(), Err(DecodeError::FrameTooLarge { limit: 100 }));
}

// --- max_body ---------------------------------------------------------------------------------

#[test]
fn max_body_with_content_length_is_refused_on_the_header() {
    let l = limits(|l| l.max_body = 10);
    assert!(run(l, b"SEND\ncontent-length:10\n\n0123456789\0").is_ok());
    let mut d = Decoder::new(l);
    d.feed(b"SEND\ncontent-length:11\n\n");
    assert_eq!(d.decode(), Err(DecodeError::BodyTooLarge { limit: 10 }));
}

#[test]
fn max_body_without_content_length() {
    let l = limits(|l| l.max_body = 10);
    assert!(run(l, b"SEND\n\n0123456789\0").is_ok());
    // Whole in one chunk, NUL included.
    assert_eq!(
        run(l, b"SEND\n\n0123456789A\0"),
        Err(DecodeError::BodyTooLarge { limit: 10 })
    );
    // Growing, before the NUL.
    let mut d = Decoder::new(l);
    d.feed(b"SEND\n\n0123456789");
    assert_eq!(d.decode(), Ok(None));
    d.feed(b"A");
    assert_eq!(d.decode(), Err(DecodeError::BodyTooLarge { limit: 10 }));
}

#[test]
fn huge_content_lengths_do_not_overflow() {
    let wire = b"SEND\ncontent-length:9999999999999999999\n\n";
    assert_eq!(
        run(Limits::default(), wire),
        Err(DecodeError::BodyTooLarge {
            limit: Limits::default().max_body
        })
    );
    // Without limits it is a (very) incomplete frame, or a number this platform cannot hold.
    match run(Limits::unlimited(), wire) {
        Ok(items) => assert!(items.is_empty()),
        Err(e) => assert!(matches!(e, DecodeError::InvalidContentLength(_)), "{e}"),
    }
}

#[test]
fn when_two_limits_are_crossed_the_first_one_crossed_is_reported_however_the_bytes_came() {
    // Body limit crossed at body byte 21, frame limit at frame byte 31 (body byte 25).
    let l = limits(|l| {
        l.max_frame_size = 30;
        l.max_body = 20;
    });
    let wire = b"SEND\n\n0123456789012345678901234567890123456789\0";
    assert_eq!(run(l, wire), Err(DecodeError::BodyTooLarge { limit: 20 }));
    assert_eq!(
        run_bytewise(l, wire),
        Err(DecodeError::BodyTooLarge { limit: 20 })
    );
    // Frame limit crossed first.
    let l = limits(|l| {
        l.max_frame_size = 20;
        l.max_body = 20;
    });
    assert_eq!(run(l, wire), Err(DecodeError::FrameTooLarge { limit: 20 }));
    assert_eq!(
        run_bytewise(l, wire),
        Err(DecodeError::FrameTooLarge { limit: 20 })
    );
    // A header line and the frame: the line is too long from its 12th byte (frame byte 17); a
    // tie goes to the line.
    let wire = b"SEND\na:0123456789012345678901234567890\n\n\0";
    for (frame, expected) in [
        (15, DecodeError::FrameTooLarge { limit: 15 }),
        (16, DecodeError::HeaderLineTooLong { limit: 10 }),
        (18, DecodeError::HeaderLineTooLong { limit: 10 }),
    ] {
        let l = limits(|l| {
            l.max_frame_size = frame;
            l.max_header_line = 10;
        });
        assert_eq!(run(l, wire), Err(expected.clone()), "frame limit {frame}");
        assert_eq!(run_bytewise(l, wire), Err(expected), "frame limit {frame}");
    }
}

#[test]
fn limits_can_be_changed() {
    let mut d = Decoder::default();
    assert_eq!(d.limits(), &Limits::default());
    let small = limits(|l| l.max_body = 1);
    d.set_limits(small);
    assert_eq!(d.limits(), &small);
    d.feed(b"SEND\n\nab\0");
    assert_eq!(d.decode(), Err(DecodeError::BodyTooLarge { limit: 1 }));
}

#[test]
fn default_limits_fit_a_one_megabyte_body() {
    let l = Limits::default();
    assert!(l.max_body >= 1024 * 1024);
    assert!(l.max_frame_size > l.max_body);
    let mut wire = b"SEND\ndestination:/q\n\n".to_vec();
    wire.extend(std::iter::repeat_n(b'x', l.max_body));
    wire.push(0);
    let items = run(l, &wire).unwrap();
    let [Decoded::Frame(f)] = items.as_slice() else {
        panic!()
    };
    assert_eq!(f.body.len(), l.max_body);
}

// --- State after an error ---------------------------------------------------------------------

/// One bad input per error kind, with the limits that make it bad.
fn bad_inputs() -> Vec<(Limits, &'static [u8], DecodeError)> {
    let small = Limits {
        max_frame_size: 64,
        max_headers: 2,
        max_header_line: 16,
        max_body: 8,
    };
    vec![
        (
            small,
            b"BOGUS\n\n\0",
            DecodeError::UnknownCommand("BOGUS".into()),
        ),
        (
            small,
            b"SEND\nnocolon\n\n\0",
            DecodeError::MalformedHeader("nocolon".into()),
        ),
        (
            small,
            b"SEND\na:1\nb:2\nc:3\n\n\0",
            DecodeError::TooManyHeaders { limit: 2 },
        ),
        (
            small,
            b"SEND\na:0123456789abcdef\n\n\0",
            DecodeError::HeaderLineTooLong { limit: 16 },
        ),
        (
            Limits {
                max_frame_size: 30,
                ..small
            },
            b"SEND\na:0123456789\nb:0123456789\n\n\0",
            DecodeError::FrameTooLarge { limit: 30 },
        ),
        (
            small,
            b"SEND\n\n012345678\0",
            DecodeError::BodyTooLarge { limit: 8 },
        ),
        (
            small,
            b"SEND\ncontent-length:x\n\n\0",
            DecodeError::InvalidContentLength("x".into()),
        ),
        (
            small,
            b"SEND\ncontent-length:1\n\nab\0",
            DecodeError::MissingNul(1),
        ),
        (small, b"SEND\na:\xc3\x28\n\n\0", DecodeError::InvalidUtf8),
        (
            small,
            b"SEND\na:\\x\n\n\0",
            DecodeError::UndefinedEscape(stomp_wasm::codec::escape::UndefinedEscape(Some('x'))),
        ),
    ]
}

#[test]
fn after_any_error_the_decoder_is_empty_and_reads_the_next_frame() {
    for (limits, bad, expected) in bad_inputs() {
        let mut d = Decoder::new(limits);
        d.set_version(Version::V1_1);
        // Valid items before the bad frame come out first.
        d.feed(b"\nRECEIPT\nreceipt-id:1\n\n\0");
        d.feed(bad);
        assert_eq!(d.decode(), Ok(Some(Decoded::Heartbeat)));
        assert!(matches!(d.decode(), Ok(Some(Decoded::Frame(_)))));
        assert_eq!(d.decode(), Err(expected.clone()), "{expected}");
        assert_eq!(d.buffered(), 0, "{expected}");
        assert_eq!(d.decode(), Ok(None), "{expected}");
        // Version and limits survive; the next valid frame decodes, fed in two parts.
        assert_eq!(d.version(), Version::V1_1);
        assert_eq!(d.limits(), &limits);
        d.feed(b"MESSAGE\ndest:/a\\cb\n");
        assert_eq!(d.decode(), Ok(None));
        d.feed(b"\nok\0");
        let Ok(Some(Decoded::Frame(f))) = d.decode() else {
            panic!("after {expected}")
        };
        assert_eq!(f.command, Command::Message);
        assert_eq!(f.get("dest"), Some("/a:b"));
        assert_eq!(f.body_str(), Some("ok"));
    }
}

#[test]
fn an_error_drops_what_was_buffered_after_the_bad_frame() {
    let mut d = Decoder::default();
    d.feed(b"BOGUS\n\n\0SEND\n\n\0");
    assert!(matches!(d.decode(), Err(DecodeError::UnknownCommand(_))));
    assert_eq!(d.decode(), Ok(None));
    assert_eq!(d.buffered(), 0);
}

#[test]
fn an_error_found_mid_frame_resets_the_progress_too() {
    // The error comes while the frame is still arriving: what follows must not be read as the
    // rest of the old frame.
    let l = limits(|l| l.max_headers = 1);
    let mut d = Decoder::new(l);
    d.feed(b"SEND\na:1\nb:2\n");
    assert_eq!(d.decode(), Err(DecodeError::TooManyHeaders { limit: 1 }));
    d.feed(b"ACK\nid:3\n\n\0");
    let Ok(Some(Decoded::Frame(f))) = d.decode() else {
        panic!()
    };
    assert_eq!(f.command, Command::Ack);
    assert_eq!(f.get("id"), Some("3"));
    assert_eq!(f.headers.len(), 1);
}

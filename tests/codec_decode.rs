//! Decoder rules, one test per rule: framing, heart-beats, line endings, bodies, escaping per
//! version, repeated headers, the frames given as examples in the STOMP 1.2 specification, and
//! what happens on bad input.

use stomp_wasm::codec::escape::UndefinedEscape;
use stomp_wasm::{Command, DecodeError, Decoded, Decoder, Frame, Version};

/// Everything `decoder` yields for `wire` fed in one piece, stopping at the first error.
fn decode_with(decoder: &mut Decoder, wire: &[u8]) -> Result<Vec<Decoded>, DecodeError> {
    decoder.feed(wire);
    let mut items = Vec::new();
    while let Some(item) = decoder.decode()? {
        items.push(item);
    }
    Ok(items)
}

fn decode(version: Version, wire: &[u8]) -> Result<Vec<Decoded>, DecodeError> {
    let mut decoder = Decoder::default();
    decoder.set_version(version);
    decode_with(&mut decoder, wire)
}

/// The single frame `wire` holds (1.2 framing).
fn one_frame(wire: &[u8]) -> Frame {
    one_frame_v(Version::V1_2, wire)
}

fn one_frame_v(version: Version, wire: &[u8]) -> Frame {
    match decode(version, wire).expect("valid frame").as_slice() {
        [Decoded::Frame(frame)] => frame.clone(),
        other => panic!("expected one frame, got {other:?}"),
    }
}

fn first_error(version: Version, wire: &[u8]) -> DecodeError {
    decode(version, wire).expect_err("decoding should fail")
}

fn headers(frame: &Frame) -> Vec<(&str, &str)> {
    frame.headers.iter().collect()
}

// --- The specification's own example frames (STOMP 1.2) -------------------------------------

#[test]
fn spec_example_connect() {
    let f = one_frame(b"CONNECT\naccept-version:1.2\nhost:stomp.github.org\n\n\0");
    assert_eq!(f.command, Command::Connect);
    assert_eq!(
        headers(&f),
        [("accept-version", "1.2"), ("host", "stomp.github.org")]
    );
    assert!(f.body.is_empty());
}

#[test]
fn spec_example_connected() {
    let f = one_frame(b"CONNECTED\nversion:1.2\n\n\0");
    assert_eq!(f.command, Command::Connected);
    assert_eq!(f.get("version"), Some("1.2"));
}

#[test]
fn spec_example_send() {
    let f = one_frame(b"SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\0");
    assert_eq!(f.command, Command::Send);
    assert_eq!(
        headers(&f),
        [("destination", "/queue/a"), ("content-type", "text/plain")]
    );
    assert_eq!(f.body_str(), Some("hello queue a"));
}

#[test]
fn spec_example_subscribe_and_unsubscribe() {
    let f = one_frame(b"SUBSCRIBE\nid:0\ndestination:/queue/foo\nack:client\n\n\0");
    assert_eq!(f.command, Command::Subscribe);
    assert_eq!(
        headers(&f),
        [
            ("id", "0"),
            ("destination", "/queue/foo"),
            ("ack", "client")
        ]
    );
    let f = one_frame(b"UNSUBSCRIBE\nid:0\n\n\0");
    assert_eq!(f.command, Command::Unsubscribe);
    assert_eq!(f.get("id"), Some("0"));
}

#[test]
fn spec_example_ack_nack_and_transactions() {
    let f = one_frame(b"ACK\nid:12345\ntransaction:tx1\n\n\0");
    assert_eq!(f.command, Command::Ack);
    assert_eq!(headers(&f), [("id", "12345"), ("transaction", "tx1")]);
    assert_eq!(one_frame(b"NACK\nid:12345\n\n\0").command, Command::Nack);
    for (wire, command) in [
        (&b"BEGIN\ntransaction:tx1\n\n\0"[..], Command::Begin),
        (b"COMMIT\ntransaction:tx1\n\n\0", Command::Commit),
        (b"ABORT\ntransaction:tx1\n\n\0", Command::Abort),
    ] {
        let f = one_frame(wire);
        assert_eq!(f.command, command);
        assert_eq!(f.get("transaction"), Some("tx1"));
    }
}

#[test]
fn spec_example_disconnect_and_receipt() {
    let f = one_frame(b"DISCONNECT\nreceipt:77\n\n\0");
    assert_eq!(f.command, Command::Disconnect);
    assert_eq!(f.get("receipt"), Some("77"));
    let f = one_frame(b"RECEIPT\nreceipt-id:77\n\n\0");
    assert_eq!(f.command, Command::Receipt);
    assert_eq!(f.get("receipt-id"), Some("77"));
}

#[test]
fn spec_example_message() {
    let f = one_frame(
        b"MESSAGE\nsubscription:0\nmessage-id:007\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\0",
    );
    assert_eq!(f.command, Command::Message);
    assert_eq!(f.get("message-id"), Some("007"));
    assert_eq!(f.get("subscription"), Some("0"));
    assert_eq!(f.body_str(), Some("hello queue a"));
}

#[test]
fn spec_example_error_with_content_length() {
    let body = "The message:\n-----\nMESSAGE\ndestined:/queue/a\nreceipt:message-12345\n\n\
                Hello queue a!\n-----\nDid not contain a destination header, which is REQUIRED\n\
                for message propagation.\n";
    let wire = format!(
        "ERROR\nreceipt-id:message-12345\ncontent-type:text/plain\ncontent-length:170\n\
         message:malformed frame received\n\n{body}\0"
    );
    let f = one_frame(wire.as_bytes());
    assert_eq!(f.command, Command::Error);
    assert_eq!(f.get("message"), Some("malformed frame received"));
    assert_eq!(f.get("content-length"), Some("170"));
    assert_eq!(f.body.len(), 170);
    assert_eq!(f.body_str(), Some(body));
}

#[test]
fn spec_example_repeated_header_first_wins() {
    let f = one_frame(b"MESSAGE\nfoo:World\nfoo:Hello\n\n\0");
    assert_eq!(f.get("foo"), Some("World"));
    // Both are kept, in wire order.
    assert_eq!(headers(&f), [("foo", "World"), ("foo", "Hello")]);
}

#[test]
fn stomp_command_is_a_connect_synonym_and_not_unescaped() {
    let f = one_frame(b"STOMP\naccept-version:1.2\nhost:h\\cx\n\n\0");
    assert_eq!(f.command, Command::Stomp);
    assert_eq!(f.get("host"), Some("h\\cx"));
}

#[test]
fn every_command_decodes() {
    for command in Command::ALL {
        let wire = format!("{command}\n\n\0");
        assert_eq!(one_frame(wire.as_bytes()).command, command);
    }
}

// --- Incremental decoding ---------------------------------------------------------------------

const TWO_FRAMES_AND_HEARTBEATS: &[u8] = b"\nSEND\r\ndestination:/a\\cb\r\ncontent-length:3\r\n\r\na\0b\0\r\n\nMESSAGE\nx:y\n\nhello\0\n";

fn collect_chunked(wire: &[u8], chunks: &[usize]) -> Vec<Decoded> {
    let mut decoder = Decoder::default();
    let mut items = Vec::new();
    let mut rest = wire;
    for &size in chunks.iter().chain(std::iter::once(&usize::MAX)) {
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        rest = tail;
        decoder.feed(chunk);
        while let Some(item) = decoder.decode().expect("valid input") {
            items.push(item);
        }
    }
    assert_eq!(decoder.buffered(), 0);
    items
}

#[test]
fn the_same_items_come_out_whatever_the_split_point() {
    let whole = collect_chunked(TWO_FRAMES_AND_HEARTBEATS, &[]);
    assert_eq!(whole.len(), 6, "{whole:?}");
    for split in 0..=TWO_FRAMES_AND_HEARTBEATS.len() {
        assert_eq!(
            collect_chunked(TWO_FRAMES_AND_HEARTBEATS, &[split]),
            whole,
            "split at {split}"
        );
    }
    for a in 0..TWO_FRAMES_AND_HEARTBEATS.len() {
        for b in 0..TWO_FRAMES_AND_HEARTBEATS.len() - a {
            assert_eq!(collect_chunked(TWO_FRAMES_AND_HEARTBEATS, &[a, b]), whole);
        }
    }
}

#[test]
fn one_byte_at_a_time() {
    let ones = vec![1; TWO_FRAMES_AND_HEARTBEATS.len()];
    let items = collect_chunked(TWO_FRAMES_AND_HEARTBEATS, &ones);
    assert_eq!(items, collect_chunked(TWO_FRAMES_AND_HEARTBEATS, &[]));
    let Decoded::Frame(send) = &items[1] else {
        panic!("{items:?}")
    };
    assert_eq!(send.command, Command::Send);
    assert_eq!(send.get("destination"), Some("/a:b"));
    assert_eq!(&send.body[..], b"a\0b");
}

#[test]
fn many_frames_in_one_chunk() {
    let mut wire = Vec::new();
    for i in 0..100 {
        wire.extend_from_slice(format!("SEND\nn:{i}\n\nbody {i}\0").as_bytes());
    }
    let items = decode(Version::V1_2, &wire).unwrap();
    assert_eq!(items.len(), 100);
    for (i, item) in items.iter().enumerate() {
        let Decoded::Frame(f) = item else {
            panic!("{item:?}")
        };
        assert_eq!(f.get("n"), Some(i.to_string().as_str()));
        assert_eq!(f.body_str(), Some(format!("body {i}").as_str()));
    }
}

#[test]
fn incomplete_input_waits_and_keeps_its_bytes() {
    let mut d = Decoder::default();
    d.feed(b"SEND\ndestination:/q\n\nhal");
    assert_eq!(d.decode(), Ok(None));
    assert_eq!(d.buffered(), 24);
    d.feed(b"f");
    assert_eq!(d.decode(), Ok(None));
    d.feed(b"\0SE");
    let Ok(Some(Decoded::Frame(f))) = d.decode() else {
        panic!()
    };
    assert_eq!(f.body_str(), Some("half"));
    assert_eq!(d.decode(), Ok(None));
    assert_eq!(d.buffered(), 2);
}

#[test]
fn content_length_body_waits_for_all_its_bytes() {
    let mut d = Decoder::default();
    d.feed(b"SEND\ncontent-length:4\n\n\0\0");
    assert_eq!(d.decode(), Ok(None));
    d.feed(b"\0");
    assert_eq!(d.decode(), Ok(None));
    d.feed(b"\0\0");
    let Ok(Some(Decoded::Frame(f))) = d.decode() else {
        panic!()
    };
    assert_eq!(&f.body[..], [0, 0, 0, 0]);
}

#[test]
fn reset_drops_a_partial_frame() {
    let mut d = Decoder::default();
    d.feed(b"MESSAGE\ndestination:/a\n\npartial bo");
    assert_eq!(d.decode(), Ok(None));
    d.reset();
    assert_eq!(d.buffered(), 0);
    d.feed(b"RECEIPT\nreceipt-id:1\n\n\0");
    let Ok(Some(Decoded::Frame(f))) = d.decode() else {
        panic!()
    };
    assert_eq!(f.command, Command::Receipt);
}

// --- Heart-beats and line endings -------------------------------------------------------------

#[test]
fn eols_between_frames_are_heartbeats() {
    let items = decode(Version::V1_2, b"\n\r\n\n\r\nSEND\n\n\0\n\r\n").unwrap();
    use Decoded::Heartbeat;
    assert_eq!(items.len(), 7);
    assert_eq!(&items[..4], [Heartbeat, Heartbeat, Heartbeat, Heartbeat]);
    assert!(matches!(items[4], Decoded::Frame(_)));
    assert_eq!(&items[5..], [Heartbeat, Heartbeat]);
}

#[test]
fn a_cr_waits_for_its_lf() {
    let mut d = Decoder::default();
    d.feed(b"\r");
    assert_eq!(d.decode(), Ok(None));
    assert_eq!(d.buffered(), 1);
    d.feed(b"\n");
    assert_eq!(d.decode(), Ok(Some(Decoded::Heartbeat)));
    assert_eq!(d.buffered(), 0);
}

#[test]
fn a_cr_not_followed_by_lf_is_not_a_heartbeat() {
    assert_eq!(
        first_error(Version::V1_2, b"\rSEND\n\n\0"),
        DecodeError::UnknownCommand("\rSEND".into())
    );
}

#[test]
fn nuls_where_a_command_would_start_are_skipped() {
    // An empty frame between frames, as some clients send after a heart-beat: no item at all,
    // whatever the split.
    let wire = b"\n\0SEND\n\none\0\0\0\r\n\0SEND\n\ntwo\0\0";
    let items = decode(Version::V1_2, wire).unwrap();
    assert_eq!(items.len(), 4, "{items:?}");
    assert_eq!(items[0], Decoded::Heartbeat);
    assert!(matches!(&items[1], Decoded::Frame(f) if f.body_str() == Some("one")));
    assert_eq!(items[2], Decoded::Heartbeat);
    assert!(matches!(&items[3], Decoded::Frame(f) if f.body_str() == Some("two")));
    for split in 0..=wire.len() {
        assert_eq!(collect_chunked(wire, &[split]), items, "split at {split}");
    }
    let mut d = Decoder::default();
    d.feed(b"\0\0");
    assert_eq!(d.decode(), Ok(None));
    assert_eq!(d.buffered(), 0);
}

#[test]
fn nul_in_a_command_or_header_line_is_an_error() {
    for wire in [
        &b"SEND\nx:x\0MESSAGE\ndestination:/q\n\nforged\0"[..],
        b"SEND\nx\0:y\n\n\0",
        b"SEND\ndestination:/q\nx:\0\n\n\0",
        b"SE\0ND\n\n\0",
        b"SEND\0",
        b"\rSEND\0",
        b"CONNECT\naccept-version:1.2\0",
    ] {
        for v in Version::ALL {
            assert_eq!(first_error(v, wire), DecodeError::NulInHeader, "{wire:?}");
        }
        // Seen as soon as the NUL arrives, without waiting for the end of the line.
        let nul = wire.iter().position(|&b| b == 0).unwrap();
        let mut d = Decoder::default();
        d.feed(&wire[..=nul]);
        assert_eq!(d.decode(), Err(DecodeError::NulInHeader), "{wire:?}");
        assert_eq!(d.buffered(), 0);
    }
    assert_eq!(
        DecodeError::NulInHeader.to_string(),
        "NUL byte in a command or header line"
    );
}

#[test]
fn crlf_line_endings_everywhere() {
    let f = one_frame(b"MESSAGE\r\ndestination:/q\r\nmessage-id:1\r\n\r\nbody\0");
    assert_eq!(f.command, Command::Message);
    assert_eq!(headers(&f), [("destination", "/q"), ("message-id", "1")]);
    assert_eq!(f.body_str(), Some("body"));
    // CRLF is read in every version, not only 1.2 where it became official.
    for v in Version::ALL {
        let f = one_frame_v(v, b"SEND\r\na:b\r\n\r\n\0");
        assert_eq!(headers(&f), [("a", "b")]);
    }
}

#[test]
fn only_one_cr_is_part_of_the_eol() {
    let f = one_frame_v(Version::V1_1, b"SEND\na:b\r\r\nc:d\re\n\n\0");
    assert_eq!(headers(&f), [("a", "b\r"), ("c", "d\re")]);
}

// --- Bodies -----------------------------------------------------------------------------------

#[test]
fn without_content_length_the_body_ends_at_the_first_nul() {
    let mut d = Decoder::default();
    d.feed(b"SEND\n\nab\0cd\0");
    let Ok(Some(Decoded::Frame(f))) = d.decode() else {
        panic!()
    };
    assert_eq!(&f.body[..], b"ab");
    // What follows is the start of the next frame (here not a valid one).
    assert_eq!(d.buffered(), 3);
}

#[test]
fn content_length_bodies_may_hold_nul_bytes() {
    let f = one_frame(b"SEND\ncontent-length:5\n\n\0a\0b\0\0");
    assert_eq!(&f.body[..], b"\0a\0b\0");
}

#[test]
fn binary_bodies_are_kept_byte_for_byte() {
    let body: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let mut wire = b"SEND\ncontent-type:application/octet-stream\ncontent-length:1000\n\n".to_vec();
    wire.extend_from_slice(&body);
    wire.push(0);
    let f = one_frame(&wire);
    assert_eq!(&f.body[..], &body[..]);
    // A body that is not UTF-8 is fine without content-length too, as long as it has no NUL.
    let f = one_frame(b"SEND\n\n\xff\xfe\x80\0");
    assert_eq!(&f.body[..], b"\xff\xfe\x80");
    assert_eq!(f.body_str(), None);
}

#[test]
fn content_length_zero_and_empty_bodies() {
    assert!(one_frame(b"SEND\ncontent-length:0\n\n\0").body.is_empty());
    assert!(one_frame(b"SEND\n\n\0").body.is_empty());
}

#[test]
fn first_content_length_wins() {
    let f = one_frame(b"SEND\ncontent-length:2\ncontent-length:5\n\n\0\0\0");
    assert_eq!(&f.body[..], b"\0\0");
}

#[test]
fn content_length_not_followed_by_nul_is_an_error() {
    assert_eq!(
        first_error(Version::V1_2, b"SEND\ncontent-length:2\n\nabc\0"),
        DecodeError::MissingNul(2)
    );
}

#[test]
fn invalid_content_lengths_are_errors() {
    for bad in [
        "",
        "-1",
        "+1",
        " 1",
        "1 ",
        "0x10",
        "abc",
        "1.5",
        "99999999999999999999",
    ] {
        let wire = format!("SEND\ncontent-length:{bad}\n\n\0");
        assert_eq!(
            first_error(Version::V1_2, wire.as_bytes()),
            DecodeError::InvalidContentLength(bad.into()),
            "{bad:?}"
        );
    }
}

#[test]
fn frames_are_slices_of_the_input_not_copies() {
    let wire = b"MESSAGE\ndestination:/q\nmessage-id:7\n\nbody\0";
    let f = one_frame(wire);
    let value = f.headers.get("destination").unwrap().as_bytes();
    // Offsets in the frame equal offsets on the wire: one buffer, no copy per header.
    let offset = |s: &[u8]| s.as_ptr() as usize - value.as_ptr() as usize;
    assert_eq!(offset(&f.body), 37 - 20);
    let id = f.headers.get("message-id").unwrap().as_bytes();
    assert_eq!(offset(id), 34 - 20);
}

// --- Header escaping per version --------------------------------------------------------------

const ESCAPED: &[u8] = b"MESSAGE\na\\cb:c\\\\d\\ne\\rf\n\n\0";

#[test]
fn v1_2_decodes_all_four_escapes() {
    let f = one_frame_v(Version::V1_2, ESCAPED);
    assert_eq!(headers(&f), [("a:b", "c\\d\ne\rf")]);
}

#[test]
fn v1_1_has_no_cr_escape() {
    assert_eq!(
        first_error(Version::V1_1, ESCAPED),
        DecodeError::UndefinedEscape(UndefinedEscape(Some('r')))
    );
    let f = one_frame_v(Version::V1_1, b"MESSAGE\na\\cb:c\\\\d\\ne\n\n\0");
    assert_eq!(headers(&f), [("a:b", "c\\d\ne")]);
}

#[test]
fn v1_0_has_no_escaping_at_all() {
    let f = one_frame_v(Version::V1_0, ESCAPED);
    assert_eq!(headers(&f), [("a\\cb", "c\\\\d\\ne\\rf")]);
    // Undefined in 1.1/1.2, but plain text in 1.0.
    let f = one_frame_v(Version::V1_0, b"SEND\npath:C:\\temp\\x\n\n\0");
    assert_eq!(f.get("path"), Some("C:\\temp\\x"));
}

#[test]
fn connect_frames_are_never_unescaped() {
    for v in Version::ALL {
        for command in ["CONNECT", "STOMP", "CONNECTED"] {
            let wire = format!("{command}\nlogin:a\\cb\npasscode:p\\t\\\n\n\0");
            let f = one_frame_v(v, wire.as_bytes());
            assert_eq!(headers(&f), [("login", "a\\cb"), ("passcode", "p\\t\\")]);
        }
    }
}

#[test]
fn undefined_escapes_are_errors_in_1_1_and_1_2() {
    for v in [Version::V1_1, Version::V1_2] {
        assert_eq!(
            first_error(v, b"SEND\ndestination:a\\tb\n\n\0"),
            DecodeError::UndefinedEscape(UndefinedEscape(Some('t')))
        );
        assert_eq!(
            first_error(v, b"SEND\ndestination:ab\\\n\n\0"),
            DecodeError::UndefinedEscape(UndefinedEscape(None))
        );
        // In names too.
        assert_eq!(
            first_error(v, b"SEND\nna\\me:x\n\n\0"),
            DecodeError::UndefinedEscape(UndefinedEscape(Some('m')))
        );
    }
}

#[test]
fn set_version_applies_to_the_next_frames() {
    let mut d = Decoder::default();
    d.set_version(Version::V1_0);
    d.feed(b"SEND\na:x\\cy\n\n\0");
    let Ok(Some(Decoded::Frame(f))) = d.decode() else {
        panic!()
    };
    assert_eq!(f.get("a"), Some("x\\cy"));
    d.set_version(Version::V1_2);
    assert_eq!(d.version(), Version::V1_2);
    d.feed(b"SEND\na:x\\cy\n\n\0");
    let Ok(Some(Decoded::Frame(f))) = d.decode() else {
        panic!()
    };
    assert_eq!(f.get("a"), Some("x:y"));
}

// --- Header lines -----------------------------------------------------------------------------

#[test]
fn header_lines_split_at_the_first_colon() {
    let f = one_frame_v(
        Version::V1_0,
        b"SEND\nurl:http://h:1/x\nempty:\n:no-name\n\n\0",
    );
    assert_eq!(
        headers(&f),
        [("url", "http://h:1/x"), ("empty", ""), ("", "no-name")]
    );
}

#[test]
fn header_values_keep_their_blanks() {
    let f = one_frame(b"SEND\n key : value \n\n\0");
    assert_eq!(headers(&f), [(" key ", " value ")]);
}

#[test]
fn utf8_headers_are_read() {
    let f = one_frame("SEND\ndestination:/q/ünïcødé/日本\n\n\0".as_bytes());
    assert_eq!(f.get("destination"), Some("/q/ünïcødé/日本"));
}

#[test]
fn non_utf8_headers_are_errors() {
    assert_eq!(
        first_error(Version::V1_2, b"SEND\nname:\xff\xfe\n\n\0"),
        DecodeError::InvalidUtf8
    );
}

#[test]
fn header_line_without_colon_is_an_error() {
    assert_eq!(
        first_error(Version::V1_2, b"SEND\ndestination\n\n\0"),
        DecodeError::MalformedHeader("destination".into())
    );
}

#[test]
fn unknown_commands_are_errors() {
    for bad in ["send", "FOO", "SEND ", " SEND", "MESSAGES"] {
        let wire = format!("{bad}\n\n\0");
        assert_eq!(
            first_error(Version::V1_2, wire.as_bytes()),
            DecodeError::UnknownCommand(bad.into()),
            "{bad:?}"
        );
    }
}

#[test]
fn errors_have_messages_for_an_error_frame() {
    let e = first_error(Version::V1_2, b"HELLO\n\n\0");
    assert_eq!(e.to_string(), "unknown command \"HELLO\"");
    let e = first_error(Version::V1_2, b"SEND\na:\\t\n\n\0");
    assert_eq!(e.to_string(), "undefined escape sequence `\\t` in header");
}

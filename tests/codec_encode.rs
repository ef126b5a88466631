//! Encoder rules: exact bytes, `content-length`, escaping per version, the buffer it writes
//! into, and the head/tail split used for fan-out.

use bytes::BytesMut;
use stomp_wasm::{Command, Decoded, Decoder, Encoder, Frame, Limits, Version};

fn encode(encoder: Encoder, frame: &Frame) -> Vec<u8> {
    let mut out = BytesMut::new();
    encoder.encode(frame, &mut out);
    out.to_vec()
}

fn decode_one(version: Version, wire: &[u8]) -> Frame {
    let mut d = Decoder::new(Limits::default());
    d.set_version(version);
    d.feed(wire);
    let Ok(Some(Decoded::Frame(f))) = d.decode() else {
        panic!("not one frame: {:?}", String::from_utf8_lossy(wire))
    };
    assert_eq!(d.buffered(), 0);
    f
}

fn send(body: &[u8]) -> Frame {
    Frame::new(Command::Send)
        .header("destination", "/queue/a")
        .header("content-type", "text/plain")
        .body(body.to_vec())
}

#[test]
fn writes_content_length_by_default() {
    assert_eq!(
        encode(Encoder::default(), &send(b"hello")),
        b"SEND\ndestination:/queue/a\ncontent-type:text/plain\ncontent-length:5\n\nhello\0"
    );
}

#[test]
fn content_length_can_be_left_out() {
    let enc = Encoder::new(Version::V1_2).with_content_length(false);
    assert_eq!(
        encode(enc, &send(b"hello")),
        b"SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello\0"
    );
    assert_eq!(
        encode(enc, &Frame::new(Command::Disconnect)),
        b"DISCONNECT\n\n\0"
    );
}

#[test]
fn a_body_with_nul_always_gets_content_length() {
    let enc = Encoder::new(Version::V1_2).with_content_length(false);
    let wire = encode(enc, &send(b"a\0b"));
    assert_eq!(
        wire,
        b"SEND\ndestination:/queue/a\ncontent-type:text/plain\ncontent-length:3\n\na\0b\0"
    );
    assert_eq!(&decode_one(Version::V1_2, &wire).body[..], b"a\0b");
}

#[test]
fn a_frames_own_content_length_is_replaced_by_the_true_one() {
    let frame = send(b"hello").header("content-length", "999");
    let wire = encode(Encoder::default(), &frame);
    assert_eq!(
        wire,
        b"SEND\ndestination:/queue/a\ncontent-type:text/plain\ncontent-length:5\n\nhello\0"
    );
    let off = Encoder::default().with_content_length(false);
    assert_eq!(
        encode(off, &frame),
        b"SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello\0"
    );
}

#[test]
fn binary_bodies_round_trip() {
    let body: Vec<u8> = (0..=255u8).collect();
    let frame = Frame::new(Command::Message)
        .header("content-type", "application/octet-stream")
        .body(body.clone());
    for v in Version::ALL {
        let wire = encode(Encoder::new(v), &frame);
        let back = decode_one(v, &wire);
        assert_eq!(&back.body[..], &body[..]);
        assert_eq!(back.get("content-length"), Some("256"));
    }
}

#[test]
fn repeated_headers_are_written_in_order() {
    let frame = Frame::new(Command::Message)
        .header("foo", "World")
        .header("foo", "Hello");
    let enc = Encoder::default().with_content_length(false);
    assert_eq!(encode(enc, &frame), b"MESSAGE\nfoo:World\nfoo:Hello\n\n\0");
}

// --- Escaping per version ---------------------------------------------------------------------

fn tricky() -> Frame {
    Frame::new(Command::Message).header("a:b\\c", "x\ny\rz:w\\")
}

#[test]
fn v1_2_escapes_backslash_lf_cr_and_colon() {
    let enc = Encoder::new(Version::V1_2).with_content_length(false);
    let wire = encode(enc, &tricky());
    assert_eq!(wire, b"MESSAGE\na\\cb\\\\c:x\\ny\\rz\\cw\\\\\n\n\0");
    assert_eq!(decode_one(Version::V1_2, &wire), tricky());
}

#[test]
fn v1_1_has_no_cr_escape_and_writes_cr_as_is() {
    let enc = Encoder::new(Version::V1_1).with_content_length(false);
    let wire = encode(enc, &tricky());
    assert_eq!(wire, b"MESSAGE\na\\cb\\\\c:x\\ny\rz\\cw\\\\\n\n\0");
    assert_eq!(decode_one(Version::V1_1, &wire), tricky());
}

#[test]
fn a_cr_ending_a_value_survives_in_1_1() {
    let frame = Frame::new(Command::Send).header("k", "v\r");
    let enc = Encoder::new(Version::V1_1).with_content_length(false);
    let wire = encode(enc, &frame);
    // The decoder strips exactly one CR before the LF: the value's own CR stays.
    assert_eq!(wire, b"SEND\nk:v\r\r\n\n\0");
    assert_eq!(decode_one(Version::V1_1, &wire), frame);
}

#[test]
fn v1_0_does_not_escape_and_makes_what_it_cannot_carry_harmless() {
    let enc = Encoder::new(Version::V1_0).with_content_length(false);
    let wire = encode(enc, &tricky());
    // LF becomes a space, the colon in the name is dropped, the rest is written as is.
    assert_eq!(wire, b"MESSAGE\nab\\c:x y\rz:w\\\n\n\0");
    let back = decode_one(Version::V1_0, &wire);
    assert_eq!(back.get("ab\\c"), Some("x y\rz:w\\"));
    // What 1.0 can carry round-trips: colons and backslashes in values, CR anywhere.
    let ok = Frame::new(Command::Send)
        .header("url", "http://h:1/a\\b")
        .header("cr", "a\rb\r");
    let wire = encode(enc, &ok);
    assert_eq!(decode_one(Version::V1_0, &wire), ok);
}

#[test]
fn connect_and_connected_are_never_escaped() {
    for v in Version::ALL {
        let enc = Encoder::new(v).with_content_length(false);
        for command in [Command::Connect, Command::Stomp, Command::Connected] {
            let frame = Frame::new(command)
                .header("login", "a:b\\c")
                .header("host", "h");
            let wire = encode(enc, &frame);
            let expected = format!("{command}\nlogin:a:b\\c\nhost:h\n\n\0");
            assert_eq!(String::from_utf8(wire.clone()).unwrap(), expected, "{v}");
            assert_eq!(decode_one(v, &wire), frame);
        }
    }
}

#[test]
fn set_version_changes_the_escaping() {
    let mut enc = Encoder::new(Version::V1_0).with_content_length(false);
    let frame = Frame::new(Command::Send).header("a", "b:c");
    assert_eq!(encode(enc, &frame), b"SEND\na:b:c\n\n\0");
    enc.set_version(Version::V1_2);
    assert_eq!(enc.version(), Version::V1_2);
    assert_eq!(encode(enc, &frame), b"SEND\na:b\\cc\n\n\0");
}

// --- Buffers ----------------------------------------------------------------------------------

#[test]
fn encodes_into_a_reusable_buffer() {
    let enc = Encoder::default();
    let frame = send(b"hello");
    let mut out = BytesMut::with_capacity(1024);
    enc.encode(&frame, &mut out);
    let one = out.len();
    // Appends.
    enc.encode(&frame, &mut out);
    assert_eq!(out.len(), 2 * one);
    assert_eq!(out[..one], out[one..]);
    // Reused without reallocating once cleared.
    let ptr = out.as_ptr();
    out.clear();
    enc.encode(&frame, &mut out);
    assert_eq!(out.as_ptr(), ptr);
    assert_eq!(out.len(), one);
}

#[test]
fn encode_to_bytes_equals_encode() {
    for v in Version::ALL {
        let enc = Encoder::new(v);
        assert_eq!(
            &enc.encode_to_bytes(&tricky())[..],
            &encode(enc, &tricky())[..]
        );
    }
}

#[test]
fn heartbeat_is_one_lf() {
    let mut out = BytesMut::new();
    Encoder::encode_heartbeat(&mut out);
    assert_eq!(&out[..], b"\n");
}

#[test]
fn head_plus_tail_equals_encode_for_every_split() {
    let frame = Frame::new(Command::Message)
        .header("subscription", "sub-1")
        .header("message-id", "m:1")
        .header("destination", "/topic/a\\b")
        .header("content-length", "3")
        .header("x", "line\nbreak\r")
        .body(&b"a\0c"[..]);
    let entries: Vec<(&str, &str)> = frame.headers.iter().collect();
    for v in Version::ALL {
        for cl in [true, false] {
            let enc = Encoder::new(v).with_content_length(cl);
            let whole = encode(enc, &frame);
            for k in 0..=entries.len() {
                let mut out = BytesMut::new();
                enc.encode_head(frame.command, entries[..k].iter().copied(), &mut out);
                let tail = enc.encode_tail(entries[k..].iter().copied(), &frame.body);
                out.extend_from_slice(&tail);
                assert_eq!(&out[..], &whole[..], "{v} content-length {cl} split {k}");
            }
        }
    }
}

#[test]
fn one_tail_serves_many_heads() {
    let enc = Encoder::default();
    let tail = enc.encode_tail([("destination", "/topic/t")], b"shared body");
    let mut wire = BytesMut::new();
    for sub in ["s1", "s2", "s3"] {
        enc.encode_head(Command::Message, [("subscription", sub)], &mut wire);
        wire.extend_from_slice(&tail);
    }
    let mut d = Decoder::default();
    d.feed(&wire);
    for sub in ["s1", "s2", "s3"] {
        let Ok(Some(Decoded::Frame(f))) = d.decode() else {
            panic!()
        };
        assert_eq!(f.get("subscription"), Some(sub));
        assert_eq!(f.get("destination"), Some("/topic/t"));
        assert_eq!(f.body_str(), Some("shared body"));
    }
    assert_eq!(d.buffered(), 0);
}

use stomp_wasm::*;

#[test]
fn smoke() {
    let mut d = Decoder::default();
    d.feed(b"\n\r\nMESSAGE\r\ndestination:/a\\cb\nfoo:1\nfoo:2\ncontent-length:3\n\na\0b\0SEND\ndestination:x\n\nhello\0");
    assert_eq!(d.decode().unwrap(), Some(Decoded::Heartbeat));
    assert_eq!(d.decode().unwrap(), Some(Decoded::Heartbeat));
    let Some(Decoded::Frame(f)) = d.decode().unwrap() else {
        panic!()
    };
    assert_eq!(f.command, Command::Message);
    assert_eq!(f.get("destination"), Some("/a:b"));
    assert_eq!(f.get("foo"), Some("1"));
    assert_eq!(&f.body[..], b"a\0b");
    let Some(Decoded::Frame(g)) = d.decode().unwrap() else {
        panic!()
    };
    assert_eq!(&g.body[..], b"hello");
    assert_eq!(d.decode().unwrap(), None);
    let bytes = Encoder::default().encode_to_bytes(&f);
    let mut d2 = Decoder::default();
    for b in bytes.iter() {
        d2.feed(&[*b]);
    }
    let mut got = None;
    while let Some(x) = d2.decode().unwrap() {
        got = Some(x);
    }
    assert_eq!(got, Some(Decoded::Frame(f)));
}

//! The STOMP frame as data: a command, ordered headers and a body.
//!
//! Frames coming out of the [`Decoder`](crate::codec::Decoder) share the buffer they were read
//! from: the body is a [`Bytes`] slice of it, and the headers keep one handle on it and store
//! each name and value as offsets into it (well-known names as static strings), so decoding a
//! frame does not copy, allocate or take a reference count per header (only a header that
//! contained an escape sequence gets its own buffer).

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;

/// A STOMP command. Unknown commands are a decode error, never a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    // client → server
    Connect,
    Stomp,
    Send,
    Subscribe,
    Unsubscribe,
    Ack,
    Nack,
    Begin,
    Commit,
    Abort,
    Disconnect,
    // server → client
    Connected,
    Message,
    Receipt,
    Error,
}

impl Command {
    /// Every command, in the order of the specification.
    pub const ALL: [Command; 15] = [
        Command::Connect,
        Command::Stomp,
        Command::Send,
        Command::Subscribe,
        Command::Unsubscribe,
        Command::Ack,
        Command::Nack,
        Command::Begin,
        Command::Commit,
        Command::Abort,
        Command::Disconnect,
        Command::Connected,
        Command::Message,
        Command::Receipt,
        Command::Error,
    ];

    /// The command as it appears on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Command::Connect => "CONNECT",
            Command::Stomp => "STOMP",
            Command::Send => "SEND",
            Command::Subscribe => "SUBSCRIBE",
            Command::Unsubscribe => "UNSUBSCRIBE",
            Command::Ack => "ACK",
            Command::Nack => "NACK",
            Command::Begin => "BEGIN",
            Command::Commit => "COMMIT",
            Command::Abort => "ABORT",
            Command::Disconnect => "DISCONNECT",
            Command::Connected => "CONNECTED",
            Command::Message => "MESSAGE",
            Command::Receipt => "RECEIPT",
            Command::Error => "ERROR",
        }
    }

    /// Parses a command line (without its EOL). Case-sensitive, as the specification says.
    pub fn from_bytes(line: &[u8]) -> Option<Command> {
        Some(match line {
            b"CONNECT" => Command::Connect,
            b"STOMP" => Command::Stomp,
            b"SEND" => Command::Send,
            b"SUBSCRIBE" => Command::Subscribe,
            b"UNSUBSCRIBE" => Command::Unsubscribe,
            b"ACK" => Command::Ack,
            b"NACK" => Command::Nack,
            b"BEGIN" => Command::Begin,
            b"COMMIT" => Command::Commit,
            b"ABORT" => Command::Abort,
            b"DISCONNECT" => Command::Disconnect,
            b"CONNECTED" => Command::Connected,
            b"MESSAGE" => Command::Message,
            b"RECEIPT" => Command::Receipt,
            b"ERROR" => Command::Error,
            _ => return None,
        })
    }

    /// CONNECT, STOMP and CONNECTED never escape their headers: the version that would define the
    /// escaping is what they are negotiating.
    pub const fn escapes_headers(self) -> bool {
        !matches!(self, Command::Connect | Command::Stomp | Command::Connected)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A protocol version. Ordered, so `version >= Version::V1_1` reads naturally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    V1_0,
    V1_1,
    V1_2,
}

impl Version {
    /// All versions, oldest first.
    pub const ALL: [Version; 3] = [Version::V1_0, Version::V1_1, Version::V1_2];

    /// The version as written in `accept-version` and `version` headers.
    pub const fn as_str(self) -> &'static str {
        match self {
            Version::V1_0 => "1.0",
            Version::V1_1 => "1.1",
            Version::V1_2 => "1.2",
        }
    }

    /// The WebSocket subprotocol name for this version (`v12.stomp`).
    pub const fn subprotocol(self) -> &'static str {
        match self {
            Version::V1_0 => "v10.stomp",
            Version::V1_1 => "v11.stomp",
            Version::V1_2 => "v12.stomp",
        }
    }

    pub fn parse(s: &str) -> Option<Version> {
        match s.trim() {
            "1.0" => Some(Version::V1_0),
            "1.1" => Some(Version::V1_1),
            "1.2" => Some(Version::V1_2),
            _ => None,
        }
    }

    /// Parses a WebSocket subprotocol name (`v10.stomp`, `v11.stomp`, `v12.stomp`).
    pub fn from_subprotocol(s: &str) -> Option<Version> {
        Version::ALL.into_iter().find(|v| v.subprotocol() == s)
    }

    /// The highest version in a comma-separated `accept-version` list that `supported` contains.
    /// A CONNECT with no `accept-version` header speaks 1.0.
    pub fn negotiate(accept_version: Option<&str>, supported: &[Version]) -> Option<Version> {
        match accept_version {
            None => supported.contains(&Version::V1_0).then_some(Version::V1_0),
            Some(list) => list
                .split(',')
                .filter_map(Version::parse)
                .filter(|v| supported.contains(v))
                .max(),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An immutable UTF-8 string backed by [`Bytes`]: cloning and slicing never copy.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ByteStr(Bytes);

impl ByteStr {
    pub const fn from_static(s: &'static str) -> ByteStr {
        ByteStr(Bytes::from_static(s.as_bytes()))
    }

    /// Wraps bytes after checking they are UTF-8.
    pub fn from_utf8(bytes: Bytes) -> Result<ByteStr, std::str::Utf8Error> {
        std::str::from_utf8(&bytes)?;
        Ok(ByteStr(bytes))
    }

    /// Wraps bytes that the caller has already checked are UTF-8.
    ///
    /// # Safety
    /// `bytes` must be valid UTF-8.
    pub(crate) unsafe fn from_utf8_unchecked(bytes: Bytes) -> ByteStr {
        ByteStr(bytes)
    }

    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor checks (or is given checked) UTF-8.
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    pub fn as_bytes(&self) -> &Bytes {
        &self.0
    }

    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl Deref for ByteStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ByteStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&'static str> for ByteStr {
    fn from(s: &'static str) -> ByteStr {
        ByteStr::from_static(s)
    }
}

impl From<String> for ByteStr {
    fn from(s: String) -> ByteStr {
        ByteStr(Bytes::from(s))
    }
}

impl From<&String> for ByteStr {
    fn from(s: &String) -> ByteStr {
        ByteStr(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl PartialEq<str> for ByteStr {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ByteStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for ByteStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for ByteStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One header name or value inside [`Headers`].
#[derive(Clone)]
pub(crate) enum Text {
    /// Bytes `start..end` of the frame the headers were decoded from ([`Headers::raw`]): what the
    /// decoder stores, so a decoded header costs no reference count and no allocation.
    Span { start: usize, end: usize },
    /// Text of its own: a well-known name (static), an unescaped value, or a header added later.
    Shared(ByteStr),
}

/// The text of `t`, read from `raw` when it is a span of it.
#[inline]
fn resolve<'a>(raw: &'a Bytes, t: &'a Text) -> &'a str {
    match t {
        Text::Span { start, end } => {
            let bytes = &raw[*start..*end];
            // SAFETY: spans are only created by `Headers::push_decoded`, whose contract is that
            // `start..end` lies in `raw`, is valid UTF-8 and starts and ends on char boundaries;
            // `raw` is only ever set together with the spans into it (`Headers::decoded`) and
            // is never modified afterwards (it is private and `Bytes` is immutable).
            unsafe { std::str::from_utf8_unchecked(bytes) }
        }
        Text::Shared(s) => s.as_str(),
    }
}

/// `t` as a shareable string: a slice of `raw` (one reference count, no copy) or a clone.
fn to_bytestr(raw: &Bytes, t: &Text) -> ByteStr {
    match t {
        Text::Span { start, end } => {
            // SAFETY: as in `resolve`: the span is UTF-8 on char boundaries within `raw`.
            unsafe { ByteStr::from_utf8_unchecked(raw.slice(*start..*end)) }
        }
        Text::Shared(s) => s.clone(),
    }
}

/// Frame headers in wire order. Repeated names are kept; lookups return the first, as the
/// specification requires.
///
/// Headers decoded from a frame are stored as offsets into the frame's bytes, which the headers
/// share: decoding a frame's headers allocates at most one small vector, and lookups hand out
/// `&str` borrowed from the frame. Equality compares names and values, not storage.
#[derive(Clone, Default)]
pub struct Headers {
    /// The frame the decoder read these headers from (empty for headers built by hand).
    raw: Bytes,
    entries: Vec<(Text, Text)>,
}

impl Headers {
    pub fn new() -> Headers {
        Headers::default()
    }

    pub fn with_capacity(n: usize) -> Headers {
        Headers {
            raw: Bytes::new(),
            entries: Vec::with_capacity(n),
        }
    }

    /// Headers whose spans will point into `raw` (see [`push_decoded`](Self::push_decoded)).
    pub(crate) fn decoded(raw: Bytes, capacity: usize) -> Headers {
        Headers {
            raw,
            entries: Vec::with_capacity(capacity),
        }
    }

    /// Appends a decoded header.
    ///
    /// # Safety
    /// Every [`Text::Span`] in `name` and `value` must lie within the `raw` bytes these headers
    /// were made with (by [`decoded`](Self::decoded)), be valid UTF-8, and start and end on char
    /// boundaries.
    pub(crate) unsafe fn push_decoded(&mut self, name: Text, value: Text) {
        self.entries.push((name, value));
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|(n, _)| resolve(&self.raw, n) == name)
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| resolve(&self.raw, n) == name)
            .map(|(_, v)| resolve(&self.raw, v))
    }

    /// The first value of `name`, as a shareable string (a slice of the frame, made on demand:
    /// no copy).
    pub fn get_bytestr(&self, name: &str) -> Option<ByteStr> {
        self.entries
            .iter()
            .find(|(n, _)| resolve(&self.raw, n) == name)
            .map(|(_, v)| to_bytestr(&self.raw, v))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// Appends a header, keeping any earlier one of the same name (which then wins on lookup).
    pub fn push(&mut self, name: impl Into<ByteStr>, value: impl Into<ByteStr>) {
        self.entries
            .push((Text::Shared(name.into()), Text::Shared(value.into())));
    }

    /// Sets `name` to `value`: replaces the first header of that name and drops the repeats, or
    /// appends when there is none.
    pub fn set(&mut self, name: impl Into<ByteStr>, value: impl Into<ByteStr>) {
        let name = name.into();
        let value = Text::Shared(value.into());
        match self.position(&name) {
            Some(i) => {
                self.entries[i].1 = value;
                let raw = &self.raw;
                let mut j = 0;
                self.entries.retain(|(n, _)| {
                    let keep = j <= i || resolve(raw, n) != name.as_str();
                    j += 1;
                    keep
                });
            }
            None => self.entries.push((Text::Shared(name), value)),
        }
    }

    /// Removes every header of that name; returns the first removed value.
    pub fn remove(&mut self, name: &str) -> Option<ByteStr> {
        let first = self.get_bytestr(name);
        let raw = &self.raw;
        self.entries.retain(|(n, _)| resolve(raw, n) != name);
        first
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|(n, v)| (resolve(&self.raw, n), resolve(&self.raw, v)))
    }

    /// Every header as shareable strings (slices of the frame, made on demand: no copy).
    pub fn entries(&self) -> impl ExactSizeIterator<Item = (ByteStr, ByteStr)> + '_ {
        self.entries
            .iter()
            .map(|(n, v)| (to_bytestr(&self.raw, n), to_bytestr(&self.raw, v)))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl PartialEq for Headers {
    fn eq(&self, other: &Headers) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Headers {}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<N: Into<ByteStr>, V: Into<ByteStr>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Headers {
        Headers {
            raw: Bytes::new(),
            entries: iter
                .into_iter()
                .map(|(n, v)| (Text::Shared(n.into()), Text::Shared(v.into())))
                .collect(),
        }
    }
}

/// One STOMP frame.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    pub command: Command,
    pub headers: Headers,
    pub body: Bytes,
}

impl Frame {
    pub fn new(command: Command) -> Frame {
        Frame {
            command,
            headers: Headers::new(),
            body: Bytes::new(),
        }
    }

    /// Builder-style header append.
    pub fn header(mut self, name: impl Into<ByteStr>, value: impl Into<ByteStr>) -> Frame {
        self.headers.push(name, value);
        self
    }

    /// Builder-style body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Frame {
        self.body = body.into();
        self
    }

    /// The first value of a header.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The body as text, if it is UTF-8.
    pub fn body_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// An ERROR frame with a `message` header and the detail as a text body.
    pub fn error(message: impl Into<ByteStr>, detail: impl Into<Bytes>) -> Frame {
        let detail = detail.into();
        let mut frame = Frame::new(Command::Error).header("message", message);
        if !detail.is_empty() {
            frame.headers.push("content-type", "text/plain");
        }
        frame.body = detail;
        frame
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Frame");
        d.field("command", &self.command)
            .field("headers", &self.headers);
        match self.body_str() {
            Some(s) => d.field("body", &s),
            None => d.field("body", &self.body),
        };
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_round_trips_through_its_name() {
        for c in Command::ALL {
            assert_eq!(Command::from_bytes(c.as_str().as_bytes()), Some(c));
        }
        assert_eq!(Command::from_bytes(b"send"), None);
        assert_eq!(Command::from_bytes(b""), None);
    }

    #[test]
    fn version_negotiation_picks_the_highest_common_version() {
        let all = &Version::ALL;
        assert_eq!(Version::negotiate(None, all), Some(Version::V1_0));
        assert_eq!(
            Version::negotiate(Some("1.0,1.1,1.2"), all),
            Some(Version::V1_2)
        );
        assert_eq!(
            Version::negotiate(Some("1.1, 1.0"), all),
            Some(Version::V1_1)
        );
        assert_eq!(
            Version::negotiate(Some("1.2"), &[Version::V1_0, Version::V1_1]),
            None
        );
        assert_eq!(Version::negotiate(Some("2.0"), all), None);
        assert_eq!(Version::from_subprotocol("v11.stomp"), Some(Version::V1_1));
    }

    #[test]
    fn repeated_headers_first_wins_and_set_replaces_all() {
        let mut h = Headers::new();
        h.push("foo", "1");
        h.push("bar", "x");
        h.push("foo", "2");
        assert_eq!(h.get("foo"), Some("1"));
        assert_eq!(h.len(), 3);
        h.set("foo", "3");
        assert_eq!(h.get("foo"), Some("3"));
        assert_eq!(
            h.iter().collect::<Vec<_>>(),
            vec![("foo", "3"), ("bar", "x")]
        );
        assert_eq!(h.remove("bar").as_deref(), Some("x"));
        assert!(!h.contains("bar"));
        h.set("new", "v");
        assert_eq!(h.get("new"), Some("v"));
    }
}

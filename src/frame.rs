//! The STOMP frame as data: a command, ordered headers and a body.
//!
//! Frames coming out of the [`Decoder`](crate::codec::Decoder) share the buffer they were read
//! from: header values and the body are [`Bytes`] slices of it, and well-known header names are
//! static strings, so decoding a frame does not copy or allocate per header (only a header that
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

/// Frame headers in wire order. Repeated names are kept; lookups return the first, as the
/// specification requires.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(ByteStr, ByteStr)>);

impl Headers {
    pub fn new() -> Headers {
        Headers(Vec::new())
    }

    pub fn with_capacity(n: usize) -> Headers {
        Headers(Vec::with_capacity(n))
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, as a shareable string.
    pub fn get_bytestr(&self, name: &str) -> Option<&ByteStr> {
        self.0
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n.as_str() == name)
    }

    /// Appends a header, keeping any earlier one of the same name (which then wins on lookup).
    pub fn push(&mut self, name: impl Into<ByteStr>, value: impl Into<ByteStr>) {
        self.0.push((name.into(), value.into()));
    }

    /// Sets `name` to `value`: replaces the first header of that name and drops the repeats, or
    /// appends when there is none.
    pub fn set(&mut self, name: impl Into<ByteStr>, value: impl Into<ByteStr>) {
        let name = name.into();
        let value = value.into();
        match self.0.iter().position(|(n, _)| *n == name) {
            Some(i) => {
                self.0[i].1 = value;
                let mut j = 0;
                self.0.retain(|(n, _)| {
                    let keep = j <= i || *n != name;
                    j += 1;
                    keep
                });
            }
            None => self.0.push((name, value)),
        }
    }

    /// Removes every header of that name; returns the first removed value.
    pub fn remove(&mut self, name: &str) -> Option<ByteStr> {
        let first = self.get_bytestr(name).cloned();
        self.0.retain(|(n, _)| n.as_str() != name);
        first
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    pub fn entries(&self) -> &[(ByteStr, ByteStr)] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn push_raw(&mut self, name: ByteStr, value: ByteStr) {
        self.0.push((name, value));
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<N: Into<ByteStr>, V: Into<ByteStr>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Headers {
        Headers(
            iter.into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        )
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

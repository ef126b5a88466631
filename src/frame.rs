//! The STOMP frame as data: a command, ordered headers and a body.
//!
//! Frames coming out of the [`Decoder`](crate::codec::Decoder) share the buffer they were read
//! from: the body is a [`Bytes`] slice of it, and the headers keep one handle on it and store
//! each name and value as offsets into it (well-known names as static strings), so decoding a
//! frame does not copy, allocate or take a reference count per header (only a header that
//! contained an escape sequence gets its own buffer).

use crate::prelude::*;
use core::fmt;
use core::ops::Deref;

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
        // A scan of the table rather than a `match` on byte strings, which the compiler unrolls
        // into a kilobyte of comparisons in the Wasm build; lengths are compared first, so a
        // line is compared byte by byte with one to three names at most.
        // Found where the table lies: `iter().copied().find()` left a `Copied::try_fold` of its
        // own in the browser core, a loop by value copied the table.
        Command::ALL
            .iter()
            .find(|c| c.as_str().len() == line.len() && c.as_str().as_bytes() == line)
            .copied()
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
        // Byte by byte, the minor digit as the place in `ALL`: a string match compared each
        // name in turn (three calls to `memcmp` in the browser core).
        match *s.trim_ascii().as_bytes() {
            [b'1', b'.', minor] => Version::ALL
                .get(usize::from(minor.wrapping_sub(b'0')))
                .copied(),
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
    pub fn from_utf8(bytes: Bytes) -> Result<ByteStr, core::str::Utf8Error> {
        core::str::from_utf8(&bytes)?;
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
        unsafe { core::str::from_utf8_unchecked(&self.0) }
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

/// The header names STOMP and its brokers use. A decoded header with one of these names stores
/// its index (one byte) instead of a span or a string.
const KNOWN_NAMES: [&str; 26] = [
    "destination",
    "message-id",
    "subscription",
    "content-type",
    "content-length",
    "ack",
    "id",
    "receipt",
    "receipt-id",
    "transaction",
    "message",
    "version",
    "accept-version",
    "heart-beat",
    "host",
    "login",
    "passcode",
    "server",
    "session",
    "persistent",
    "redelivered",
    "reply-to",
    "expires",
    "priority",
    "timestamp",
    "correlation-id",
];

/// The index of `name` in the table of well-known header names (exact, case-sensitive match).
pub(crate) fn known_name(name: &[u8]) -> Option<KnownName> {
    // One comparison per candidate of the same length; the match compiles to a switch on length.
    let index = match name {
        b"destination" => 0,
        b"message-id" => 1,
        b"subscription" => 2,
        b"content-type" => 3,
        b"content-length" => 4,
        b"ack" => 5,
        b"id" => 6,
        b"receipt" => 7,
        b"receipt-id" => 8,
        b"transaction" => 9,
        b"message" => 10,
        b"version" => 11,
        b"accept-version" => 12,
        b"heart-beat" => 13,
        b"host" => 14,
        b"login" => 15,
        b"passcode" => 16,
        b"server" => 17,
        b"session" => 18,
        b"persistent" => 19,
        b"redelivered" => 20,
        b"reply-to" => 21,
        b"expires" => 22,
        b"priority" => 23,
        b"timestamp" => 24,
        b"correlation-id" => 25,
        _ => return None,
    };
    Some(KnownName(index))
}

/// A well-known header name: an index into [`KNOWN_NAMES`], only made by [`known_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KnownName(u8);

impl KnownName {
    pub(crate) fn as_str(self) -> &'static str {
        // `known_name` only makes indices below `KNOWN_NAMES.len()`; `get` keeps this total.
        KNOWN_NAMES.get(usize::from(self.0)).copied().unwrap_or("")
    }
}

/// A header name or value as the decoder hands it to [`Headers::push_decoded`].
pub(crate) enum Part {
    /// Bytes `start..end` of the frame the headers were made with.
    Span(core::ops::Range<usize>),
    Known(KnownName),
    /// Text of its own (an unescaped name or value).
    Owned(ByteStr),
}

/// One header name or value inside [`Headers`], packed in one word so a header is 16 bytes and
/// is built in registers and stored whole (an enum's tag byte written apart from its fields
/// stalled the reload of the entry).
///
/// Bit 63 clear: a span of [`Headers::raw`], the frame the headers were decoded from, with its
/// start in bits 32..63 and its end in bits 0..32 (both below 2^31). Bit 63 set: bits 0..32 are
/// an index, into the well-known names (bit 62 clear) or into `Headers::owned` (bit 62 set).
#[derive(Clone, Copy)]
struct Text(u64);

const NOT_SPAN: u64 = 1 << 63;
const OWNED: u64 = 1 << 62;
/// Spans must start and end below this to be packed.
const SPAN_LIMIT: usize = 1 << 31;

/// A [`Text`] unpacked.
enum TextKind {
    Span { start: usize, end: usize },
    Known(KnownName),
    Owned(usize),
}

impl Text {
    /// Bytes `start..end` of the frame. Both must be below [`SPAN_LIMIT`].
    #[inline(always)]
    fn span(start: usize, end: usize) -> Text {
        Text(((start as u64) << 32) | end as u64)
    }

    #[inline(always)]
    fn known(k: KnownName) -> Text {
        Text(NOT_SPAN | u64::from(k.0))
    }

    fn owned(index: u32) -> Text {
        Text(NOT_SPAN | OWNED | u64::from(index))
    }

    #[inline(always)]
    fn kind(self) -> TextKind {
        let low = (self.0 & 0xffff_ffff) as usize;
        if self.0 & NOT_SPAN == 0 {
            TextKind::Span {
                start: (self.0 >> 32) as usize,
                end: low,
            }
        } else if self.0 & OWNED == 0 {
            // Only `Text::known` makes this kind, from a `KnownName`, whose index fits a u8.
            TextKind::Known(KnownName(low as u8))
        } else {
            TextKind::Owned(low)
        }
    }
}

/// The text of `t`, read from `raw` or `owned`.
#[inline]
fn resolve<'a>(raw: &'a Bytes, owned: &'a [ByteStr], t: Text) -> &'a str {
    match t.kind() {
        TextKind::Span { start, end } => {
            let bytes = raw.get(start..end).unwrap_or_default();
            // SAFETY: spans are only created by `Headers::push_decoded`, whose contract is that
            // `start..end` lies in `raw`, is valid UTF-8 and starts and ends on char boundaries;
            // `raw` is only ever set together with the spans into it (`Headers::decoded`) and
            // is never modified afterwards (it is private and `Bytes` is immutable). Were the
            // range out of bounds anyway, `get` yields the empty slice, which is UTF-8 too.
            unsafe { core::str::from_utf8_unchecked(bytes) }
        }
        TextKind::Known(k) => k.as_str(),
        TextKind::Owned(i) => owned.get(i).map_or("", ByteStr::as_str),
    }
}

/// `t` as a shareable string: a slice of `raw` (one reference count, no copy) or a clone.
fn to_bytestr(raw: &Bytes, owned: &[ByteStr], t: Text) -> ByteStr {
    match t.kind() {
        TextKind::Span { start, end } => {
            let range = start..end;
            if raw.get(range.clone()).is_none() {
                return ByteStr::default();
            }
            // SAFETY: as in `resolve`: the span is UTF-8 on char boundaries within `raw` (just
            // checked to be in bounds, so `slice` does not panic).
            unsafe { ByteStr::from_utf8_unchecked(raw.slice(range)) }
        }
        TextKind::Known(k) => ByteStr::from_static(k.as_str()),
        TextKind::Owned(i) => owned.get(i).cloned().unwrap_or_default(),
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
    /// Text that is not a span of `raw` nor a well-known name, referenced by owned `Text`s.
    owned: Vec<ByteStr>,
}

impl Headers {
    pub fn new() -> Headers {
        Headers::default()
    }

    pub fn with_capacity(n: usize) -> Headers {
        Headers {
            raw: Bytes::new(),
            entries: Vec::with_capacity(n),
            owned: Vec::with_capacity(n * 2),
        }
    }

    /// Headers whose spans will point into `raw` (see [`push_decoded`](Self::push_decoded)).
    pub(crate) fn decoded(raw: Bytes, capacity: usize) -> Headers {
        Headers {
            raw,
            entries: Vec::with_capacity(capacity),
            owned: Vec::new(),
        }
    }

    /// Stores `s` among the owned strings and refers to it.
    fn own(&mut self, s: ByteStr) -> Text {
        // More than 2^32 owned strings would take over 128 GiB for the strings alone: the
        // allocation fails long before the index could wrap.
        let index = self.owned.len() as u32;
        self.owned.push(s);
        Text::owned(index)
    }

    /// Turns a decoded part into stored text: spans and well-known names (nearly every header)
    /// inline, the rest out of line.
    ///
    /// # Safety
    /// As for [`push_decoded`](Self::push_decoded).
    #[inline(always)]
    unsafe fn decoded_text(&mut self, part: Part) -> Text {
        match part {
            // `start <= end < SPAN_LIMIT`: both ends pack losslessly.
            Part::Span(range) if range.start <= range.end && range.end < SPAN_LIMIT => {
                Text::span(range.start, range.end)
            }
            Part::Known(k) => Text::known(k),
            // SAFETY: our caller's contract is the one `decoded_text_cold` needs.
            other => unsafe { self.decoded_text_cold(other) },
        }
    }

    /// [`decoded_text`](Self::decoded_text) for an unescaped part, or a span reaching past the first
    /// 2 GiB of a frame (possible only with unlimited limits), kept as a string of its own.
    ///
    /// # Safety
    /// As for [`push_decoded`](Self::push_decoded).
    #[cold]
    #[inline(never)]
    unsafe fn decoded_text_cold(&mut self, part: Part) -> Text {
        match part {
            Part::Span(range) => match self.raw.get(range.clone()) {
                // SAFETY: the caller guarantees the range is UTF-8 on char boundaries in `raw`
                // (and `get` just checked it is in bounds, so `slice` does not panic).
                Some(_) => self.own(unsafe { ByteStr::from_utf8_unchecked(self.raw.slice(range)) }),
                None => self.own(ByteStr::default()),
            },
            Part::Known(k) => Text::known(k),
            Part::Owned(s) => self.own(s),
        }
    }

    /// Appends a decoded header.
    ///
    /// # Safety
    /// Every [`Part::Span`] in `name` and `value` must lie within the `raw` bytes these headers
    /// were made with (by [`decoded`](Self::decoded)), be valid UTF-8, and start and end on char
    /// boundaries.
    #[inline]
    pub(crate) unsafe fn push_decoded(&mut self, name: Part, value: Part) {
        // SAFETY: our caller's contract is the one `decoded_text` needs.
        let entry = unsafe { (self.decoded_text(name), self.decoded_text(value)) };
        self.entries.push(entry);
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|&(n, _)| resolve(&self.raw, &self.owned, n) == name)
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|&&(n, _)| resolve(&self.raw, &self.owned, n) == name)
            .map(|&(_, v)| resolve(&self.raw, &self.owned, v))
    }

    /// The first value of `name`, as a shareable string (a slice of the frame, made on demand:
    /// no copy).
    pub fn get_bytestr(&self, name: &str) -> Option<ByteStr> {
        self.entries
            .iter()
            .find(|&&(n, _)| resolve(&self.raw, &self.owned, n) == name)
            .map(|&(_, v)| to_bytestr(&self.raw, &self.owned, v))
    }

    pub fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// Appends a header, keeping any earlier one of the same name (which then wins on lookup).
    pub fn push(&mut self, name: impl Into<ByteStr>, value: impl Into<ByteStr>) {
        let name = self.own(name.into());
        let value = self.own(value.into());
        self.entries.push((name, value));
    }

    /// Sets `name` to `value`: replaces the first header of that name and drops the repeats, or
    /// appends when there is none.
    pub fn set(&mut self, name: impl Into<ByteStr>, value: impl Into<ByteStr>) {
        let name = name.into();
        let value = value.into();
        match self.position(&name) {
            Some(i) => {
                let old = self.entries[i].1;
                let text = match old.kind() {
                    // Reuse the old value's slot, so setting a header repeatedly stays bounded.
                    TextKind::Owned(slot) if slot < self.owned.len() => {
                        self.owned[slot] = value;
                        old
                    }
                    _ => self.own(value),
                };
                self.entries[i].1 = text;
                let before = self.entries.len();
                let (raw, owned) = (&self.raw, &self.owned);
                let mut j = 0;
                self.entries.retain(|&(n, _)| {
                    let keep = j <= i || resolve(raw, owned, n) != name.as_str();
                    j += 1;
                    keep
                });
                if self.entries.len() != before {
                    self.compact_owned();
                }
            }
            None => {
                let name = self.own(name);
                let value = self.own(value);
                self.entries.push((name, value));
            }
        }
    }

    /// Removes every header of that name; returns the first removed value.
    pub fn remove(&mut self, name: &str) -> Option<ByteStr> {
        let first = self.get_bytestr(name);
        let before = self.entries.len();
        let (raw, owned) = (&self.raw, &self.owned);
        self.entries
            .retain(|&(n, _)| resolve(raw, owned, n) != name);
        if self.entries.len() != before {
            self.compact_owned();
        }
        first
    }

    /// Drops owned strings no header refers to any more (after headers were removed), so a
    /// long-lived `Headers` edited many times does not grow without bound.
    fn compact_owned(&mut self) {
        let mut kept = Vec::with_capacity(self.owned.len());
        for (n, v) in &mut self.entries {
            for t in [n, v] {
                if let TextKind::Owned(i) = t.kind() {
                    let s = self
                        .owned
                        .get_mut(i)
                        .map(core::mem::take)
                        .unwrap_or_default();
                    // Fewer than before, so the index fits as the old one did.
                    *t = Text::owned(kept.len() as u32);
                    kept.push(s);
                }
            }
        }
        self.owned = kept;
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.entries.iter().map(|&(n, v)| {
            (
                resolve(&self.raw, &self.owned, n),
                resolve(&self.raw, &self.owned, v),
            )
        })
    }

    /// Every header as shareable strings (slices of the frame, made on demand: no copy).
    pub fn entries(&self) -> impl ExactSizeIterator<Item = (ByteStr, ByteStr)> + '_ {
        self.entries.iter().map(|&(n, v)| {
            (
                to_bytestr(&self.raw, &self.owned, n),
                to_bytestr(&self.raw, &self.owned, v),
            )
        })
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
        let mut headers = Headers::new();
        for (n, v) in iter {
            headers.push(n, v);
        }
        headers
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
        core::str::from_utf8(&self.body).ok()
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
        for &c in &Command::ALL {
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

    #[test]
    fn editing_headers_keeps_owned_text_bounded_and_lookups_right() {
        let mut h = Headers::new();
        h.push("a", "1");
        h.push("b", "2");
        for n in 0..1000 {
            h.set("a", n.to_string());
            h.push("tmp", "x");
            h.push("tmp", "y");
            assert_eq!(h.remove("tmp").as_deref(), Some("x"));
        }
        assert_eq!(h.get("a"), Some("999"));
        assert_eq!(h.get("b"), Some("2"));
        assert_eq!(h.len(), 2);
        assert_eq!(h.owned.len(), 4, "one owned string per name and value left");
    }
}

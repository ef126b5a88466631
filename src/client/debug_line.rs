//! The session's debug lines (stompjs `debug`): each a [`DebugLine`] and its arguments.
//!
//! The std build writes a line's words with its arguments where the `#`s are
//! ([`DebugLine::words`]), as [`Event::Debug`](super::Event::Debug) shows it. The browser
//! build writes no words: the record's `which` is the line's number (3 on, after the other
//! texts) and its text the arguments, each followed by a NUL; `pkg-core/js/client.js`
//! (`DEBUG_LINES`, in this order) writes the line (the words cost the core more than the
//! page). The test below holds the two tables together, the page's node tests check the lines
//! it writes.

use crate::codec::push_decimal;
use crate::prelude::*;

#[cfg(feature = "std")]
use super::records::Text;

/// A debug line of the session's, in the order of `DEBUG_LINES` in `pkg-core/js/client.js`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum DebugLine {
    /// `>>> ` and the command of a frame sent. Numbered after the record's other texts
    /// ([`Text`](super::records::Text)): the browser build's `which` is the line's number.
    Sent = 3,
    /// `<<< ` and the command of a frame received.
    Received,
    AlreadyActive,
    /// maxReconnectDelay, reconnectDelay.
    MaxBelowDelay,
    NotConnecting,
    /// The transport's protocol (`-` for none).
    TransportOpen,
    ConnectTimeout,
    DisconnectTimeout,
    OpeningTransport,
    /// The version, the outgoing and incoming heart-beats.
    Connected,
    NotReconnecting,
    /// The delay (whole ms).
    SchedulingReconnection,
}

impl DebugLine {
    /// Every line, in order.
    #[cfg(all(test, feature = "std"))]
    pub const ALL: [DebugLine; 12] = [
        DebugLine::Sent,
        DebugLine::Received,
        DebugLine::AlreadyActive,
        DebugLine::MaxBelowDelay,
        DebugLine::NotConnecting,
        DebugLine::TransportOpen,
        DebugLine::ConnectTimeout,
        DebugLine::DisconnectTimeout,
        DebugLine::OpeningTransport,
        DebugLine::Connected,
        DebugLine::NotReconnecting,
        DebugLine::SchedulingReconnection,
    ];

    /// The line's words, with a `#` for each argument.
    #[cfg(feature = "std")]
    pub fn words(self) -> &'static str {
        match self {
            DebugLine::Sent => ">>> #",
            DebugLine::Received => "<<< #",
            DebugLine::AlreadyActive => "already ACTIVE, ignoring activate",
            DebugLine::MaxBelowDelay => {
                "maxReconnectDelay #ms is below reconnectDelay #ms: reconnectDelay caps the backoff"
            }
            DebugLine::NotConnecting => "deactivated during beforeConnect, not connecting",
            DebugLine::TransportOpen => "transport open, protocol #",
            DebugLine::ConnectTimeout => "connection not established in time, closing",
            DebugLine::DisconnectTimeout => "no RECEIPT for DISCONNECT in time, closing",
            DebugLine::OpeningTransport => "opening transport",
            DebugLine::Connected => "connected: version #, heart-beats out # in #",
            DebugLine::NotReconnecting => "reconnectDelay is 0: not reconnecting",
            DebugLine::SchedulingReconnection => "scheduling reconnection in #ms",
        }
    }
}

/// An argument of a debug line.
pub enum Arg<'a> {
    Text(&'a str),
    Number(u64),
}

impl Arg<'_> {
    fn push_to(&self, out: &mut String) {
        match *self {
            Arg::Text(text) => out.push_str(text),
            Arg::Number(n) => push_decimal(out, n),
        }
    }
}

/// The record's `which` of a line: [`Text::Debug`] in the std build (the text is the line).
#[cfg(feature = "std")]
pub fn which(_line: DebugLine) -> u8 {
    Text::Debug as u8
}

/// The record's `which` of a line in the browser build: its number (3 on, after the other
/// texts; no addition in the core).
#[cfg(not(feature = "std"))]
pub fn which(line: DebugLine) -> u8 {
    line as u8
}

/// The line's text: its words with the arguments in place.
#[cfg(feature = "std")]
pub fn write(line: DebugLine, args: &[Arg]) -> String {
    let mut out = String::new();
    let mut parts = line.words().split('#');
    out.push_str(parts.next().unwrap_or_default());
    for (part, arg) in parts.zip(args) {
        arg.push_to(&mut out);
        out.push_str(part);
    }
    out
}

/// The browser build's text: the arguments, each followed by a NUL (the page writes the words).
/// The NUL pushed as a `str`: `push(char)`'s encoding cost the core 4 B gzip.
#[cfg(not(feature = "std"))]
#[allow(clippy::single_char_add_str)]
pub fn write(_line: DebugLine, args: &[Arg]) -> String {
    let mut out = String::new();
    for arg in args {
        arg.push_to(&mut out);
        out.push_str("\0");
    }
    out
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    /// `DEBUG_LINES` in client.js: the same words in the same order.
    #[test]
    fn the_page_has_the_same_words() {
        let js = include_str!("../../pkg-core/js/client.js");
        let table = js
            .split_once("const DEBUG_LINES = [")
            .and_then(|(_, rest)| rest.split_once("];"))
            .expect("DEBUG_LINES in client.js")
            .0;
        let page: Vec<String> = table
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with('\''))
            .map(|l| {
                l.trim_end_matches(',')
                    .trim_matches('\'')
                    .replace("\\'", "'")
            })
            .collect();
        let ours: Vec<&str> = DebugLine::ALL.iter().map(|l| l.words()).collect();
        assert_eq!(page, ours);
        assert_eq!(
            DebugLine::ALL
                .iter()
                .map(|&l| l as usize - 3)
                .collect::<Vec<_>>(),
            (0..DebugLine::ALL.len()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn arguments_go_where_the_words_say() {
        assert_eq!(
            write(
                DebugLine::Connected,
                &[Arg::Text("1.2"), Arg::Number(10), Arg::Number(0)]
            ),
            "connected: version 1.2, heart-beats out 10 in 0"
        );
        assert_eq!(write(DebugLine::OpeningTransport, &[]), "opening transport");
    }
}

//! Heart-beat negotiation (STOMP 1.1+).
//!
//! The client offers `heart-beat:cx,cy` (cx = what it can send, cy = what it wants to receive);
//! the server answers `sx,sy`. Client→server beats every `max(cx, sy)` unless either is 0;
//! server→client every `max(sx, cy)` unless either is 0.

/// The negotiated intervals in ms; 0 = none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Heartbeats {
    /// How often the client must send something.
    pub outgoing: u32,
    /// How often the server promised to send something.
    pub incoming: u32,
}

/// Negotiates from the client's offer and the server's `heart-beat` header (absent or
/// malformed = no heart-beats from the server and none wanted by it).
pub(crate) fn negotiate(client_out: u32, client_in: u32, server: Option<&str>) -> Heartbeats {
    let (sx, sy) = server.and_then(parse).unwrap_or((0, 0));
    Heartbeats {
        outgoing: pick(client_out, sy),
        incoming: pick(client_in, sx),
    }
}

fn pick(ours: u32, theirs: u32) -> u32 {
    if ours == 0 || theirs == 0 {
        0
    } else {
        ours.max(theirs)
    }
}

fn parse(value: &str) -> Option<(u32, u32)> {
    // Split at the byte: `str::split_once` brings a char searcher of its own to the Wasm build.
    let value = value.as_bytes();
    let comma = value.iter().position(|&b| b == b',')?;
    let (x, y) = (value.get(..comma)?, value.get(comma + 1..)?);
    let number = |s: &[u8]| {
        let n = crate::codec::parse_decimal(s.trim_ascii())?;
        u32::try_from(n).ok()
    };
    Some((number(x)?, number(y)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_larger_interval_unless_either_side_is_zero() {
        assert_eq!(
            negotiate(10_000, 10_000, Some("5000,20000")),
            Heartbeats {
                outgoing: 20_000,
                incoming: 10_000
            }
        );
        assert_eq!(
            negotiate(0, 10_000, Some("5000,20000")),
            Heartbeats {
                outgoing: 0,
                incoming: 10_000
            }
        );
        assert_eq!(negotiate(4000, 4000, Some("0,0")), Heartbeats::default());
        assert_eq!(negotiate(4000, 4000, None), Heartbeats::default());
        assert_eq!(negotiate(4000, 4000, Some("junk")), Heartbeats::default());
        assert_eq!(
            negotiate(4000, 4000, Some(" 1000 , 1000 ")),
            Heartbeats {
                outgoing: 4000,
                incoming: 4000
            }
        );
    }
}

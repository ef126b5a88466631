//! Our destinations as the external broker (RabbitMQ's STOMP plugin) names them, and back.
//!
//! RabbitMQ gives a destination its meaning by prefix: `/topic/<routing key>` publishes to the
//! `amq.topic` exchange (pub-sub, AMQP topic patterns with `.`-separated words, `*` = one word,
//! `#` = any number of words), `/queue/<name>` and `/amq/queue/<name>` are queues (each message
//! once), `/exchange/<name>/<key>` any exchange. It refuses `/` inside a topic key or a queue
//! name and percent-decodes names. So:
//!
//! - `/topic/a/b` and `/topic/a.b` both become the routing key `a.b`: `/` and `.` are word
//!   separators. Ant-style `*` and `{name}` segments become `*`, `**` becomes `#`; globs inside a
//!   word (`ch*t`, `?`) have no AMQP equivalent and are refused.
//! - `/queue/a/b` becomes the queue `a/b` (`/queue/a%2Fb`): queue names are kept whole.
//! - Other bytes outside `[A-Za-z0-9._~:@-]` are percent-encoded, `%` included, so a name
//!   reaches the broker unchanged.
//! - `/exchange/...` passes through verbatim: it is RabbitMQ's own syntax.
//! - `/user` destinations become one routing key per user and destination on `amq.direct`
//!   ([`user_destination`]), so every session of a user on every node subscribed to it gets a
//!   copy, without a registry of our own. A direct exchange matches keys exactly, and clients
//!   cannot name it (unless `/exchange` is made a broker prefix): no `/topic/#` subscription
//!   can read other users' messages.

use std::fmt::Write;

use crate::broker::destination::Route;

/// Why a destination cannot be relayed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error("destination {0:?} has no name after its prefix")]
    Empty(String),
    #[error("pattern {0:?} cannot be expressed on the message broker: use whole-word `*` and `**` (globs inside a word and `?` are not supported)")]
    Pattern(String),
    #[error("wildcard subscriptions are only allowed on pub-sub destinations: {0:?}")]
    PatternOnQueue(String),
    #[error("destination {0:?} is not a broker destination")]
    NotBroker(String),
    #[error("malformed user destination {0:?}")]
    BadUser(String),
    #[error("destination {0:?} is reserved for `/user` destinations")]
    Reserved(String),
}

/// Bytes kept as they are in names sent to the broker.
fn plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b':' | b'@' | b'-')
}

fn percent_encode(text: &str, out: &mut String) {
    for &b in text.as_bytes() {
        if plain(b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The prefix RabbitMQ knows that `destination` starts with, and the rest (without the `/`).
fn split_native(destination: &str) -> Option<(&'static str, &str)> {
    ["/amq/queue/", "/queue/", "/topic/", "/exchange/"]
        .into_iter()
        .find_map(|p| destination.strip_prefix(p).map(|rest| (p, rest)))
}

/// A broker (`/topic`, `/queue`, `/amq/queue`, `/exchange`) destination of ours as the broker
/// names it (wildcards only on pub-sub destinations).
pub fn broker_destination(destination: &str, route: Route<'_>) -> Result<String, MapError> {
    if !matches!(route, Route::Topic | Route::Queue) {
        return Err(MapError::NotBroker(destination.to_owned()));
    }
    let (prefix, name) =
        split_native(destination).ok_or_else(|| MapError::NotBroker(destination.to_owned()))?;
    if name.is_empty() {
        return Err(MapError::Empty(destination.to_owned()));
    }
    let wild = name.contains(['*', '?']);
    let mut out = String::with_capacity(destination.len() + 8);
    out.push_str(prefix);
    match prefix {
        // The broker percent-decodes names: `amq%2Edirect` is `amq.direct` too.
        "/exchange/" if percent_decode(name).starts_with(USER_EXCHANGE_KEY) => {
            return Err(MapError::Reserved(destination.to_owned()))
        }
        "/exchange/" => out.push_str(name),
        "/topic/" => {
            for (i, word) in name.split(['/', '.']).enumerate() {
                if i > 0 {
                    out.push('.');
                }
                match word {
                    "**" => out.push('#'),
                    "*" => out.push('*'),
                    w if w.len() > 2 && w.starts_with('{') && w.ends_with('}') => out.push('*'),
                    w if w.contains(['*', '?']) => {
                        return Err(MapError::Pattern(destination.to_owned()))
                    }
                    w => percent_encode(w, &mut out),
                }
            }
        }
        _ => {
            if wild || route == Route::Queue && name.contains('{') {
                return Err(MapError::PatternOnQueue(destination.to_owned()));
            }
            percent_encode(name, &mut out);
        }
    }
    Ok(out)
}

/// A destination the broker reports (a MESSAGE's) as our clients name it: percent-decoded.
pub fn client_destination(broker: &str) -> String {
    match split_native(broker) {
        Some(("/exchange/", _)) | None => broker.to_owned(),
        Some((prefix, name)) => format!("{prefix}{}", percent_decode(name)),
    }
}

/// One AMQP word for any text: `[A-Za-z0-9_-]` kept, every other byte `~XX` (the broker passes
/// `~` through untouched, so no decoding can split the word).
fn word(text: &str, out: &mut String) {
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "~{b:02X}");
        }
    }
}

/// The broker destination of `target` (e.g. `/queue/errors`) of user `key` (a login name, or a
/// session id for a session without one): a routing key on `amq.direct` that every session of
/// that user subscribes to and every node publishes to.
pub fn user_destination(key: &str, target: &str) -> String {
    let mut out = String::with_capacity(32 + key.len() + target.len() * 2);
    out.push_str("/exchange/");
    out.push_str(USER_EXCHANGE_KEY);
    word(key, &mut out);
    out.push('.');
    word(target, &mut out);
    out
}

/// Exchange and routing-key start of every resolved `/user` destination: clients may not name
/// it (when `/exchange` is made a broker prefix), or they could read another user's messages.
const USER_EXCHANGE_KEY: &str = "amq.direct/stomp-user.";

/// `/bob/queue/x` (what follows the user prefix in a SEND) → (`bob`, `/queue/x`).
pub fn split_user_send(rest: &str) -> Result<(&str, &str), MapError> {
    let bad = || MapError::BadUser(rest.to_owned());
    let inner = rest.strip_prefix('/').ok_or_else(bad)?;
    let slash = inner.find('/').ok_or_else(bad)?;
    let (name, target) = inner.split_at(slash);
    if name.is_empty() || target.len() < 2 {
        return Err(bad());
    }
    Ok((name, target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_use_dots_and_amqp_wildcards() {
        let t = |d| broker_destination(d, Route::Topic);
        assert_eq!(t("/topic/chat.room").unwrap(), "/topic/chat.room");
        assert_eq!(t("/topic/chat/room").unwrap(), "/topic/chat.room");
        assert_eq!(t("/topic/chat.*").unwrap(), "/topic/chat.*");
        assert_eq!(t("/topic/chat/**").unwrap(), "/topic/chat.#");
        assert_eq!(t("/topic/{room}/x").unwrap(), "/topic/*.x");
        assert_eq!(t("/topic/a b%").unwrap(), "/topic/a%20b%25");
        assert!(matches!(t("/topic/ch*t"), Err(MapError::Pattern(_))));
        assert!(matches!(t("/topic/a?"), Err(MapError::Pattern(_))));
        assert!(matches!(t("/topic/"), Err(MapError::Empty(_))));
    }

    #[test]
    fn user_destinations_are_not_for_clients() {
        let own = user_destination("bob", "/queue/errors");
        let e = |d: &str| broker_destination(d, Route::Topic);
        assert!(matches!(e(&own), Err(MapError::Reserved(_))));
        let encoded = "/exchange/amq%2Edirect/stomp%2Duser.bob.~2Fqueue~2Ferrors";
        assert!(matches!(e(encoded), Err(MapError::Reserved(_))));
        assert_eq!(
            e("/exchange/amq.direct/jobs").unwrap(),
            "/exchange/amq.direct/jobs"
        );
    }

    #[test]
    fn queue_names_stay_whole() {
        let q = |d| broker_destination(d, Route::Queue);
        assert_eq!(q("/queue/jobs").unwrap(), "/queue/jobs");
        assert_eq!(q("/queue/a/b").unwrap(), "/queue/a%2Fb");
        assert_eq!(q("/amq/queue/x.y").unwrap(), "/amq/queue/x.y");
        assert!(matches!(q("/queue/*"), Err(MapError::PatternOnQueue(_))));
        assert_eq!(client_destination("/queue/a%2Fb"), "/queue/a/b");
        assert_eq!(client_destination("/topic/a%20b%25"), "/topic/a b%");
    }

    #[test]
    fn exchanges_pass_through() {
        assert_eq!(
            broker_destination("/exchange/amq.fanout/k", Route::Topic).unwrap(),
            "/exchange/amq.fanout/k"
        );
        assert_eq!(
            client_destination("/exchange/amq.fanout/k%20"),
            "/exchange/amq.fanout/k%20"
        );
    }

    #[test]
    fn non_broker_routes_are_refused() {
        assert!(broker_destination("/app/x", Route::App("/x")).is_err());
        assert!(broker_destination("/foo/x", Route::Topic).is_err());
    }

    #[test]
    fn user_destinations_are_one_word_per_part() {
        assert_eq!(
            user_destination("bob", "/queue/errors"),
            "/exchange/amq.direct/stomp-user.bob.~2Fqueue~2Ferrors"
        );
        assert_eq!(
            user_destination("a.b*#", "/q"),
            "/exchange/amq.direct/stomp-user.a~2Eb~2A~23.~2Fq"
        );
        assert_eq!(
            split_user_send("/bob/queue/x").unwrap(),
            ("bob", "/queue/x")
        );
        assert!(split_user_send("/bob").is_err());
        assert!(split_user_send("//queue/x").is_err());
        assert!(split_user_send("/bob/").is_err());
    }
}

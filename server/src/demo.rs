//! The chat application behind the demo page (`www/`), written with the [`app`](crate::app)
//! handler API the way a Spring application would be with `@MessageMapping`:
//!
//! | frame from the page | handler | what goes out |
//! | --- | --- | --- |
//! | `SEND /app/chat/room/{id}` `{"nick","text","cid"}` | [`post`] | the message stamped (server time, sanitized nickname, sender's member tag, sequence number, the sender's own id `cid` echoed) to `/topic/chat/room/{id}`, and kept in the room's recent history |
//! | `SEND /app/chat/room/{id}/join` `{"nick"}` | [`join`] | a `join` (or `rename`) event with the room's roster to `/topic/chat/room/{id}/presence` |
//! | `SEND /app/chat/room/{id}/leave` | [`leave`] | a `leave` event with the roster |
//! | `SUBSCRIBE /app/welcome` | [`welcome`] | once, to that subscriber: greeting, rooms with their head counts, the subscriber's member tag (never a session id: see [`MemberTags`]) |
//! | `SUBSCRIBE /app/chat/room/{id}/members` | [`members`] | once: the room's roster |
//! | `SUBSCRIBE /app/chat/room/{id}/history` | [`history`] | once: the room's last [`HISTORY_PER_ROOM`] messages |
//! | (a session ends) | the disconnect hook | a `leave` event in every room it was in |
//!
//! The server clock on `/topic/clock` comes from the example application
//! ([`demo_app`](crate::app::examples::demo_app)) the binary composes this with.
//!
//! Bodies are JSON; a `SEND` whose body is not JSON is taken as plain text (the message, or the
//! nickname for `join`), so a terminal STOMP client can chat too. Everything a peer controls is
//! bounded: nickname and message lengths, rooms per session, rooms in total, members per room,
//! history kept.
//!
//! Why a history: a topic delivers only to those subscribed at the time. A page that was
//! reconnecting (a dropped network, a server restart) asks for the room's history after
//! subscribing again and fills the gap, telling duplicates apart by the `cid` it chose for each
//! of its messages (its offline queue sends what was typed meanwhile, exactly once).

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::app::{App, BrokerHandle, HandlerError, HandlerResult, Reply, Request, SessionEvent};

/// Rooms the page lists before anyone is in them.
pub const DEFAULT_ROOMS: &[&str] = &["general", "rust", "wasm", "random"];
/// Longest nickname kept, in characters.
pub const MAX_NICK_CHARS: usize = 24;
/// Longest message kept, in characters.
pub const MAX_TEXT_CHARS: usize = 1000;
/// Longest room name (`[a-z0-9][a-z0-9-]*`).
pub const MAX_ROOM_CHARS: usize = 32;
/// Rooms one session may be in at once.
pub const MAX_ROOMS_PER_SESSION: usize = 16;
/// Rooms with members at once, over all sessions.
pub const MAX_ROOMS: usize = 1024;
/// Members of one room.
pub const MAX_MEMBERS: usize = 1000;
/// Messages kept per room for [`history`].
pub const HISTORY_PER_ROOM: usize = 50;
/// Longest client message id (`cid`) kept, in ASCII characters.
pub const MAX_CID_CHARS: usize = 64;

const GREETING: &str = "Welcome! Messages are stamped by the server's /app handlers; \
                        the clock above is pushed on /topic/clock every second.";

/// Adds the chat handlers to `app` (whose other routes stay as they are) with fresh state.
///
/// Sets the app's disconnect hook (presence needs to know who left).
pub fn install(app: App) -> App {
    let chat = Arc::new(Chat::default());
    let on_disconnect = chat.clone();
    // More specific routes first: the first matching route handles a frame.
    app.message("/chat/room/{id}/join", handler(&chat, join))
        .message("/chat/room/{id}/leave", handler(&chat, leave))
        .message("/chat/room/{id}", handler(&chat, post))
        .subscribe("/welcome", handler(&chat, welcome))
        .subscribe("/chat/room/{id}/members", handler(&chat, members))
        .subscribe("/chat/room/{id}/history", handler(&chat, history))
        .on_disconnect(move |event, broker| {
            session_ended(&on_disconnect, &event, &broker);
            std::future::ready(())
        })
}

/// Adapts a synchronous handler over the shared state to the app's handler shape. The chat's
/// handlers only touch memory, so they never wait.
fn handler(
    chat: &Arc<Chat>,
    f: fn(&Chat, &Request) -> HandlerResult,
) -> impl Fn(Request) -> std::future::Ready<HandlerResult> + Send + Sync + 'static {
    let chat = chat.clone();
    move |req| std::future::ready(f(&chat, &req))
}

/// The chat's state: who is in which room under which nickname, and what was said lately.
#[derive(Debug, Default)]
pub struct Chat {
    rooms: Mutex<BTreeMap<String, Room>>,
    /// Recent messages per room, kept even while a room is empty (its members may be
    /// reconnecting); at most [`MAX_ROOMS`] rooms, the longest quiet one forgotten first.
    histories: Mutex<BTreeMap<String, VecDeque<ChatMessage>>>,
    next_id: AtomicU64,
    tags: MemberTags,
}

/// What the chat shows of a session: an opaque tag, never its id. A session id names the
/// session's `/user` destinations (`/user/{id}/queue/...` reaches a session without a login), so
/// it stays between the session and the server; the tag only lets a page tell its own messages
/// and members apart. A keyed hash: stable for a session, not reversible, not guessable.
#[derive(Debug, Default)]
struct MemberTags(std::collections::hash_map::RandomState);

impl MemberTags {
    fn of(&self, session_id: &str) -> String {
        use std::hash::BuildHasher;
        format!("m{:016x}", self.0.hash_one(session_id))
    }
}

/// A room's members: session id → nickname.
type Room = BTreeMap<Arc<str>, String>;

impl Chat {
    fn rooms(&self) -> MutexGuard<'_, BTreeMap<String, Room>> {
        // A handler that panicked cannot have left a half-made change: every change is one
        // insert or remove.
        self.rooms.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn histories(&self) -> MutexGuard<'_, BTreeMap<String, VecDeque<ChatMessage>>> {
        // Same reasoning: one push or one eviction per change.
        self.histories
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `message` in its room's history (bounded both ways).
    fn remember(&self, message: &ChatMessage) {
        let mut histories = self.histories();
        if !histories.contains_key(&message.room) && histories.len() >= MAX_ROOMS {
            let quietest = histories
                .iter()
                .min_by_key(|(_, h)| h.back().map_or(0, |m| m.id))
                .map(|(room, _)| room.clone());
            if let Some(room) = quietest {
                histories.remove(&room);
            }
        }
        let history = histories.entry(message.room.clone()).or_default();
        if history.len() >= HISTORY_PER_ROOM {
            history.pop_front();
        }
        history.push_back(message.clone());
    }
}

/// A stamped chat message, as broadcast on `/topic/chat/room/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: u64,
    pub room: String,
    pub nick: String,
    pub text: String,
    /// Server time, milliseconds since the Unix epoch.
    pub ts: u64,
    /// The sender's member tag (lets a page tell its own messages; not its session id).
    pub session: String,
    /// The id the sender gave the message, if any: lets pages drop a message they got twice
    /// (live and through [`history`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
}

/// The one-time answer to `SUBSCRIBE /app/chat/room/{id}/history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub room: String,
    /// Oldest first.
    pub messages: Vec<ChatMessage>,
}

/// A presence event on `/topic/chat/room/{id}/presence`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// `join`, `rename` or `leave`.
    #[serde(rename = "type")]
    pub kind: String,
    pub room: String,
    pub nick: String,
    /// The former nickname, for `rename`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// A member tag (see [`MemberTags`]), not a session id.
    pub session: String,
    pub members: Vec<Member>,
    pub ts: u64,
}

/// One member of a roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub nick: String,
    /// A member tag (see [`MemberTags`]), not a session id.
    pub session: String,
}

/// The one-time answer to `SUBSCRIBE /app/welcome`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Welcome {
    pub motd: String,
    pub rooms: Vec<RoomInfo>,
    /// A member tag (see [`MemberTags`]), not a session id.
    pub session: String,
    pub ts: u64,
}

/// A room and how many are in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomInfo {
    pub id: String,
    pub members: usize,
}

/// What the page sends: every field optional, unknown ones ignored.
#[derive(Debug, Default, Deserialize)]
struct Incoming {
    nick: Option<String>,
    text: Option<String>,
    cid: Option<String>,
}

impl Incoming {
    /// A JSON object, or else the whole body as `plain` (text or nickname).
    fn parse(req: &Request, plain: fn(String) -> Incoming) -> Result<Incoming, HandlerError> {
        if let Ok(parsed) = serde_json::from_slice::<Incoming>(&req.body) {
            return Ok(parsed);
        }
        let text = req
            .body_str()
            .ok_or_else(|| HandlerError::new("the body is not UTF-8 text"))?;
        Ok(plain(text.to_owned()))
    }
}

/// `SEND /app/chat/room/{id}`: stamps and broadcasts a message.
pub fn post(chat: &Chat, req: &Request) -> HandlerResult {
    let room = room_of(req)?;
    let incoming = Incoming::parse(req, |text| Incoming {
        text: Some(text),
        ..Incoming::default()
    })?;
    let text = sanitize_text(incoming.text.as_deref().unwrap_or(""));
    if text.is_empty() {
        return Err(HandlerError::new("empty message"));
    }
    // A member speaks under the nickname it joined with; others under the one they give.
    let joined = chat
        .rooms()
        .get(&room)
        .and_then(|r| r.get(&req.session_id).cloned());
    let tag = chat.tags.of(&req.session_id);
    let nick = joined.unwrap_or_else(|| nickname(incoming.nick.as_deref(), &tag));
    let message = ChatMessage {
        kind: "message".to_owned(),
        id: chat.next_id.fetch_add(1, Ordering::Relaxed) + 1,
        room: room.clone(),
        nick,
        text,
        ts: now_ms(),
        session: tag,
        cid: incoming.cid.as_deref().and_then(client_id),
    };
    chat.remember(&message);
    Ok(Some(
        Reply::json(&message)?.with_destination(format!("/topic/chat/room/{room}")),
    ))
}

/// `SEND /app/chat/room/{id}/join`: enters the room (or changes nickname in it).
pub fn join(chat: &Chat, req: &Request) -> HandlerResult {
    let room = room_of(req)?;
    let incoming = Incoming::parse(req, |nick| Incoming {
        nick: Some(nick),
        ..Incoming::default()
    })?;
    let tag = chat.tags.of(&req.session_id);
    let nick = nickname(incoming.nick.as_deref(), &tag);
    let session = req.session_id.clone();
    let (previous, members) = {
        let mut rooms = chat.rooms();
        if !rooms.contains_key(&room) && rooms.len() >= MAX_ROOMS {
            return Err(HandlerError::new(
                "too many rooms are open; try an existing one",
            ));
        }
        let in_rooms = rooms.values().filter(|r| r.contains_key(&session)).count();
        let members = rooms.entry(room.clone()).or_default();
        if !members.contains_key(&session) {
            if in_rooms >= MAX_ROOMS_PER_SESSION {
                drop_if_empty(&mut rooms, &room);
                return Err(HandlerError::new(format!(
                    "a session may be in {MAX_ROOMS_PER_SESSION} rooms at most"
                )));
            }
            if members.len() >= MAX_MEMBERS {
                return Err(HandlerError::new(format!("#{room} is full")));
            }
        }
        let previous = members.insert(session.clone(), nick.clone());
        (previous, roster(&chat.tags, members))
    };
    let (kind, previous) = match previous {
        Some(p) if p != nick => ("rename", Some(p)),
        _ => ("join", None),
    };
    let event = Presence {
        kind: kind.to_owned(),
        room: room.clone(),
        nick,
        previous,
        session: tag,
        members,
        ts: now_ms(),
    };
    Ok(Some(
        Reply::json(&event)?.with_destination(presence_topic(&room)),
    ))
}

/// `SEND /app/chat/room/{id}/leave`: leaves the room; nothing is sent if the session was not in
/// it.
pub fn leave(chat: &Chat, req: &Request) -> HandlerResult {
    let room = room_of(req)?;
    match remove_member(chat, &room, &req.session_id) {
        Some(event) => Ok(Some(
            Reply::json(&event)?.with_destination(presence_topic(&room)),
        )),
        None => Ok(None),
    }
}

/// `SUBSCRIBE /app/welcome`: the greeting, the rooms (the default ones and every room with
/// members) and the subscriber's member tag.
pub fn welcome(chat: &Chat, req: &Request) -> HandlerResult {
    let rooms = {
        let rooms = chat.rooms();
        let mut list: BTreeMap<&str, usize> = DEFAULT_ROOMS.iter().map(|r| (*r, 0)).collect();
        for (id, members) in rooms.iter() {
            list.insert(id, members.len());
        }
        // Default rooms first, in their order, then the others by name.
        let mut out: Vec<RoomInfo> = DEFAULT_ROOMS
            .iter()
            .map(|id| RoomInfo {
                id: (*id).to_owned(),
                members: list.get(id).copied().unwrap_or(0),
            })
            .collect();
        out.extend(
            list.iter()
                .filter(|(id, _)| !DEFAULT_ROOMS.contains(id))
                .map(|(id, n)| RoomInfo {
                    id: (*id).to_owned(),
                    members: *n,
                }),
        );
        out
    };
    let welcome = Welcome {
        motd: GREETING.to_owned(),
        rooms,
        session: chat.tags.of(&req.session_id),
        ts: now_ms(),
    };
    Ok(Some(Reply::json(&welcome)?))
}

/// `SUBSCRIBE /app/chat/room/{id}/members`: the roster, once.
pub fn members(chat: &Chat, req: &Request) -> HandlerResult {
    let room = room_of(req)?;
    let members = chat
        .rooms()
        .get(&room)
        .map(|m| roster(&chat.tags, m))
        .unwrap_or_default();
    Ok(Some(Reply::json(&members)?))
}

/// `SUBSCRIBE /app/chat/room/{id}/history`: the room's recent messages, once.
pub fn history(chat: &Chat, req: &Request) -> HandlerResult {
    let room = room_of(req)?;
    let messages = chat
        .histories()
        .get(&room)
        .map(|h| h.iter().cloned().collect())
        .unwrap_or_default();
    Ok(Some(Reply::json(&History { room, messages })?))
}

/// A session ended: it leaves every room it was in, and each hears about it.
fn session_ended(chat: &Chat, event: &SessionEvent, broker: &BrokerHandle) {
    let rooms: Vec<String> = chat
        .rooms()
        .iter()
        .filter(|(_, members)| members.contains_key(&event.session_id))
        .map(|(id, _)| id.clone())
        .collect();
    for room in rooms {
        let Some(presence) = remove_member(chat, &room, &event.session_id) else {
            continue;
        };
        match serde_json::to_vec(&presence) {
            Ok(body) => {
                let mut headers = stomp_wasm::Headers::new();
                headers.push("content-type", "application/json");
                if let Err(e) = broker.send_with_headers(&presence_topic(&room), &headers, body) {
                    tracing::warn!(error = %e, room, "leave announcement refused");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot encode a leave announcement"),
        }
    }
}

/// Removes a member; the `leave` event if it was in the room.
fn remove_member(chat: &Chat, room: &str, session: &Arc<str>) -> Option<Presence> {
    let mut rooms = chat.rooms();
    let members = rooms.get_mut(room)?;
    let nick = members.remove(session)?;
    let roster = roster(&chat.tags, members);
    drop_if_empty(&mut rooms, room);
    Some(Presence {
        kind: "leave".to_owned(),
        room: room.to_owned(),
        nick,
        previous: None,
        session: chat.tags.of(session),
        members: roster,
        ts: now_ms(),
    })
}

fn drop_if_empty(rooms: &mut BTreeMap<String, Room>, room: &str) {
    if rooms.get(room).is_some_and(BTreeMap::is_empty) {
        rooms.remove(room);
    }
}

/// The roster sorted by nickname (case-insensitively), then member tag.
fn roster(tags: &MemberTags, members: &Room) -> Vec<Member> {
    let mut list: Vec<Member> = members
        .iter()
        .map(|(session, nick)| Member {
            nick: nick.clone(),
            session: tags.of(session),
        })
        .collect();
    list.sort_by(|a, b| {
        (a.nick.to_lowercase(), &a.session).cmp(&(b.nick.to_lowercase(), &b.session))
    });
    list
}

fn presence_topic(room: &str) -> String {
    format!("/topic/chat/room/{room}/presence")
}

/// A client message id as given, if it is one: up to [`MAX_CID_CHARS`] of `[A-Za-z0-9_-]`.
/// Anything else is dropped rather than echoed to every member of the room.
fn client_id(cid: &str) -> Option<String> {
    let ok = !cid.is_empty()
        && cid.len() <= MAX_CID_CHARS
        && cid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| cid.to_owned())
}

/// The `{id}` of the route, if it is a valid room name.
fn room_of(req: &Request) -> Result<String, HandlerError> {
    let id = req.var("id").unwrap_or("");
    if is_room_name(id) {
        Ok(id.to_owned())
    } else {
        Err(HandlerError::new(format!(
            "invalid room name {:?}: 1 to {MAX_ROOM_CHARS} of a-z, 0-9 and '-', not starting with '-'",
            truncate_chars(id, MAX_ROOM_CHARS + 1)
        )))
    }
}

/// `[a-z0-9][a-z0-9-]{0,31}`.
pub fn is_room_name(id: &str) -> bool {
    let mut chars = id.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && id.len() <= MAX_ROOM_CHARS
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The nickname to show: `given` sanitized, or `guest-` and the member tag's last characters
/// when that leaves nothing.
pub fn nickname(given: Option<&str>, member: &str) -> String {
    let nick = sanitize_nick(given.unwrap_or(""));
    if !nick.is_empty() {
        return nick;
    }
    let tail: String = member
        .chars()
        .rev()
        .filter(char::is_ascii_alphanumeric)
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("guest-{tail}")
}

/// One line, no control or invisible formatting characters (which could fake another user's
/// name), whitespace runs collapsed, at most [`MAX_NICK_CHARS`].
pub fn sanitize_nick(raw: &str) -> String {
    let visible: String = raw
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .collect();
    let collapsed = visible
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    truncate_chars(&collapsed, MAX_NICK_CHARS)
        .trim_end()
        .to_owned()
}

/// Line breaks and tabs kept, other control and invisible formatting characters dropped,
/// trimmed, at most [`MAX_TEXT_CHARS`].
pub fn sanitize_text(raw: &str) -> String {
    let kept: String = raw
        .chars()
        .filter(|c| (*c == '\n' || *c == '\t' || !c.is_control()) && !is_invisible_format(*c))
        .collect();
    truncate_chars(kept.trim(), MAX_TEXT_CHARS)
        .trim_end()
        .to_owned()
}

/// Bidirectional overrides and isolates, zero-width characters, the BOM.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
    )
}

fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names() {
        assert!(is_room_name("general"));
        assert!(is_room_name("a-1"));
        assert!(is_room_name(&"a".repeat(MAX_ROOM_CHARS)));
        assert!(!is_room_name(&"a".repeat(MAX_ROOM_CHARS + 1)));
        assert!(!is_room_name(""));
        assert!(!is_room_name("-a"));
        assert!(!is_room_name("General"));
        assert!(!is_room_name("a/b"));
        assert!(!is_room_name("é"));
    }

    #[test]
    fn nicknames_are_sanitized() {
        assert_eq!(sanitize_nick("  ada \n lovelace\t"), "ada lovelace");
        assert_eq!(sanitize_nick("ev\u{202E}il\u{200B}"), "evil");
        assert_eq!(sanitize_nick("bell\u{7}"), "bell");
        let long = "x".repeat(100);
        assert_eq!(sanitize_nick(&long).chars().count(), MAX_NICK_CHARS);
        // Multi-byte characters are cut on character boundaries.
        assert_eq!(sanitize_nick(&"é".repeat(30)), "é".repeat(MAX_NICK_CHARS));
    }

    #[test]
    fn empty_nickname_becomes_a_guest_name() {
        assert_eq!(nickname(Some(" \u{200B} "), "session-12ab"), "guest-12ab");
        assert_eq!(nickname(None, "7"), "guest-7");
        assert_eq!(nickname(Some("bob"), "7"), "bob");
    }

    #[test]
    fn text_keeps_lines_and_drops_controls() {
        assert_eq!(
            sanitize_text("  hi\nthere\u{0}\u{1b}[31m  "),
            "hi\nthere[31m"
        );
        assert_eq!(sanitize_text(&"y".repeat(5000)).len(), MAX_TEXT_CHARS);
        assert_eq!(sanitize_text(" \n\t "), "");
    }
}

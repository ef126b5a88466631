//! Session tests, quinn-proto style: the session is driven with bytes and simulated time, and a
//! broker is played in memory with the codec (it decodes what the client sends and encodes what
//! the server answers). No I/O, no real clock.

mod connect;
mod delivery;
mod heartbeat;
mod lifecycle;
mod offline;
mod random;
mod reconnect;
mod text_only;

use bytes::BytesMut;

use super::{Action, Event, Millis, Session, SessionConfig};
use crate::codec::{Decoded, Decoder, Encoder};
use crate::frame::{Command, Frame, Version};

/// A session wired to an in-memory broker.
pub(super) struct Harness {
    pub session: Session,
    pub now: Millis,
    /// Decodes the bytes the client sends on the current transport.
    broker: Decoder,
    server_encoder: Encoder,
    /// Frames the broker received, not yet taken.
    received: Vec<Frame>,
    /// Heart-beat EOLs the broker received, with the time they were sent.
    pub heartbeats_at: Vec<Millis>,
    /// Raw `Action::Send`s, in order.
    pub sends: Vec<Action>,
    pub events: Vec<Event>,
    /// Transports opened (`OpenTransport` actions), with their protocols.
    pub opens: Vec<(Millis, String, Vec<String>)>,
    /// `CloseTransport` actions (`discard` flag).
    pub closes: Vec<bool>,
    pub before_connect_runs: usize,
}

impl Harness {
    pub fn new(config: SessionConfig) -> Harness {
        Harness {
            session: Session::new(config),
            now: 0.0,
            broker: Decoder::default(),
            server_encoder: Encoder::default(),
            received: Vec::new(),
            heartbeats_at: Vec::new(),
            sends: Vec::new(),
            events: Vec::new(),
            opens: Vec::new(),
            closes: Vec::new(),
            before_connect_runs: 0,
        }
    }

    /// Polls every action and event out of the session.
    pub fn drain(&mut self) {
        while let Some(action) = self.session.poll_action() {
            match &action {
                Action::OpenTransport { url, protocols } => {
                    self.broker = Decoder::default();
                    self.server_encoder = Encoder::default();
                    self.opens.push((self.now, url.clone(), protocols.clone()));
                }
                Action::Send { data, .. } => {
                    self.broker.feed(data);
                    loop {
                        match self.broker.decode() {
                            Ok(Some(Decoded::Frame(f))) => self.received.push(f),
                            Ok(Some(Decoded::Heartbeat)) => self.heartbeats_at.push(self.now),
                            Ok(None) => break,
                            Err(e) => panic!("client sent undecodable bytes: {e}"),
                        }
                    }
                    self.sends.push(action.clone());
                }
                Action::CloseTransport { discard } => self.closes.push(*discard),
                Action::RunBeforeConnect => self.before_connect_runs += 1,
            }
        }
        while let Some(event) = self.session.poll_event() {
            self.events.push(event);
        }
    }

    /// Moves simulated time to `t`, firing every timeout due on the way.
    pub fn advance_to(&mut self, t: Millis) {
        let mut fired = 0;
        while let Some(at) = self.session.poll_timeout() {
            if at > t {
                break;
            }
            fired += 1;
            assert!(
                fired < 100_000,
                "a timeout at {at} does not go away when handled"
            );
            self.now = self.now.max(at);
            self.session.handle_timeout(self.now);
            self.drain();
        }
        self.now = t;
    }

    pub fn advance(&mut self, by: Millis) {
        self.advance_to(self.now + by);
    }

    /// Frames the broker received since the last call.
    pub fn take_frames(&mut self) -> Vec<Frame> {
        std::mem::take(&mut self.received)
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// The broker sends a frame on the current transport.
    pub fn server_send(&mut self, frame: &Frame) {
        let mut out = BytesMut::new();
        self.server_encoder.encode(frame, &mut out);
        self.session.transport_data(self.now, &out);
        self.drain();
    }

    pub fn server_bytes(&mut self, bytes: &[u8]) {
        self.session.transport_data(self.now, bytes);
        self.drain();
    }

    /// The transport opens and the broker answers CONNECT with CONNECTED.
    pub fn open_and_connect(&mut self, version: Version, heart_beat: &str) -> Frame {
        self.session
            .transport_opened(self.now, Some(version.subprotocol()));
        self.drain();
        let frames = self.take_frames();
        let connect = frames
            .iter()
            .find(|f| f.command == Command::Connect)
            .cloned()
            .expect("client sent CONNECT");
        let connected = Frame::new(Command::Connected)
            .header("version", version.as_str())
            .header("heart-beat", heart_beat.to_owned());
        self.server_send(&connected);
        self.broker.set_version(version);
        self.server_encoder.set_version(version);
        connect
    }

    /// activate + open + CONNECTED.
    pub fn connect(&mut self, version: Version, heart_beat: &str) -> Frame {
        self.session.activate(self.now).expect("activate");
        self.drain();
        self.open_and_connect(version, heart_beat)
    }

    /// The transport closes (as the browser reports it).
    pub fn transport_closed(&mut self, code: u16) {
        self.session.transport_closed(self.now, code, "");
        self.drain();
    }

    pub fn count_events(&self, pred: impl Fn(&Event) -> bool) -> usize {
        self.events.iter().filter(|e| pred(e)).count()
    }
}

/// A config with no heart-beats and no reconnection delay surprises: tests opt in to what they
/// exercise.
pub(super) fn quiet_config() -> SessionConfig {
    SessionConfig {
        broker_url: "ws://broker.test/ws".into(),
        heartbeat_incoming: 0,
        heartbeat_outgoing: 0,
        ..SessionConfig::default()
    }
}

pub(super) fn message(subscription: &str, id: &str, body: &'static str) -> Frame {
    Frame::new(Command::Message)
        .header("destination", "/topic/t")
        .header("subscription", subscription.to_owned())
        .header("message-id", id.to_owned())
        .header("ack", format!("ack-{id}"))
        .body(body)
}

pub(super) fn receipt(id: &str) -> Frame {
    Frame::new(Command::Receipt).header("receipt-id", id.to_owned())
}

//! A published message and its encoding for subscribers.
//!
//! The body and the forwarded headers are encoded once per protocol version that actually
//! receives the message (the escaping differs between 1.0, 1.1 and 1.2) and shared as [`Bytes`];
//! each delivery only encodes its own short head.

use std::sync::OnceLock;

use bytes::{Bytes, BytesMut};
use stomp_wasm::codec::decimal;
use stomp_wasm::{ByteStr, Command, Encoder, Headers, Version};

use crate::outbox::OutFrame;

/// Headers of a SEND that the broker sets itself on MESSAGE (or that only concern the SEND).
const NOT_FORWARDED: [&str; 8] = [
    "destination",
    "receipt",
    "transaction",
    "content-length",
    "message-id",
    "subscription",
    "ack",
    "redelivered",
];

/// One message on its way through the broker.
#[derive(Debug)]
pub struct Message {
    pub id: u64,
    /// Where it was sent.
    pub destination: ByteStr,
    pub headers: Headers,
    pub body: Bytes,
    tails: [OnceLock<Bytes>; 3],
}

impl Message {
    /// A message from a SEND's headers (filtered) and body.
    pub fn from_send(
        id: u64,
        destination: ByteStr,
        send_headers: &Headers,
        body: Bytes,
    ) -> Message {
        let headers = send_headers
            .entries()
            .filter(|(n, _)| !NOT_FORWARDED.contains(&n.as_str()))
            .collect();
        Message::new(id, destination, headers, body)
    }

    pub fn new(id: u64, destination: ByteStr, headers: Headers, body: Bytes) -> Message {
        Message {
            id,
            destination,
            headers,
            body,
            tails: Default::default(),
        }
    }

    /// The shared part of every MESSAGE frame for receivers speaking `version`.
    pub fn tail(&self, version: Version) -> &Bytes {
        let slot = match version {
            Version::V1_0 => &self.tails[0],
            Version::V1_1 => &self.tails[1],
            Version::V1_2 => &self.tails[2],
        };
        slot.get_or_init(|| Encoder::new(version).encode_tail(self.headers.iter(), &self.body))
    }

    /// The whole MESSAGE frame for one subscription.
    pub fn frame_for(&self, delivery: &Delivery<'_>) -> OutFrame {
        let mut head =
            BytesMut::with_capacity(64 + delivery.destination.len() + delivery.subscription.len());
        let mut id_buf = [0u8; 20];
        let id = decimal(self.id, &mut id_buf);
        let ack = delivery.with_ack_header.then_some(("ack", id));
        let redelivered = delivery.redelivered.then_some(("redelivered", "true"));
        let headers = [
            ("destination", delivery.destination),
            ("message-id", id),
            ("subscription", delivery.subscription),
        ]
        .into_iter()
        .chain(ack)
        .chain(redelivered);
        Encoder::new(delivery.version).encode_head(Command::Message, headers, &mut head);
        OutFrame::Split {
            head: head.freeze(),
            tail: self.tail(delivery.version).clone(),
        }
    }
}

/// What differs per receiver of a message.
#[derive(Debug)]
pub struct Delivery<'a> {
    pub version: Version,
    /// The destination reported to this subscriber (a user destination reports the
    /// `/user/...` name it subscribed to).
    pub destination: &'a str,
    pub subscription: &'a str,
    pub with_ack_header: bool,
    pub redelivered: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use stomp_wasm::{Decoded, Decoder};

    #[test]
    fn a_delivery_decodes_as_one_message_frame() {
        let mut send = Headers::new();
        send.push("destination", "/topic/a");
        send.push("receipt", "r1");
        send.push("x-custom", "a:b");
        let m = Message::from_send(42, "/topic/a".into(), &send, Bytes::from_static(b"hi"));
        let frame = m.frame_for(&Delivery {
            version: Version::V1_2,
            destination: "/topic/a",
            subscription: "sub-0",
            with_ack_header: true,
            redelivered: true,
        });
        let mut d = Decoder::default();
        d.feed(&frame.to_bytes());
        let Ok(Some(Decoded::Frame(f))) = d.decode() else {
            panic!("no frame");
        };
        assert_eq!(f.command, Command::Message);
        assert_eq!(f.get("message-id"), Some("42"));
        assert_eq!(f.get("ack"), Some("42"));
        assert_eq!(f.get("subscription"), Some("sub-0"));
        assert_eq!(f.get("redelivered"), Some("true"));
        assert_eq!(f.get("x-custom"), Some("a:b"));
        assert_eq!(f.get("receipt"), None);
        assert_eq!(&f.body[..], b"hi");
    }
}

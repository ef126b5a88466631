//! Frames as JavaScript objects for user callbacks (see `frame.js` beside this file).
//!
//! A frame crosses into JavaScript in one call and without any string decoding: its headers,
//! flattened to `name\0value\0…` (NUL cannot occur in a decoded STOMP header), and its body are
//! laid out in one reusable buffer, passed as a view of Wasm memory that the JS side copies at
//! once. JavaScript decodes the headers and the body text only if the callback reads them.

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::frame::{Command, Frame, Headers};

#[wasm_bindgen(module = "/src/wasm/frame.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeFrame)]
    fn make_frame(command: u8, wire: &[u8], headers_length: u32) -> JsValue;

    #[wasm_bindgen(js_name = deliverMessage, catch)]
    fn deliver_message(
        callback: &Function,
        wire: &[u8],
        headers_length: u32,
        v12: bool,
        acker: &Function,
    ) -> Result<(), JsValue>;
}

/// Reusable scratch for laying out frames, so delivering one does not allocate.
#[derive(Default)]
pub(crate) struct FrameWriter {
    wire: Vec<u8>,
}

impl FrameWriter {
    /// Lays out headers then body; returns the length of the header part.
    fn lay_out(&mut self, headers: &Headers, body: &[u8]) -> u32 {
        let wire = &mut self.wire;
        wire.clear();
        for (name, value) in headers.iter() {
            push_without_nul(wire, name);
            wire.push(0);
            push_without_nul(wire, value);
            wire.push(0);
        }
        // Drop the trailing separator.
        wire.pop();
        let headers_length = wire.len() as u32;
        wire.extend_from_slice(body);
        headers_length
    }

    /// The frame as a stompjs `IFrame`.
    pub(crate) fn frame_to_js(&mut self, frame: &Frame) -> JsValue {
        let index = command_index(frame.command);
        let headers_length = self.lay_out(&frame.headers, &frame.body);
        make_frame(index, &self.wire, headers_length)
    }

    /// Calls `callback` with the MESSAGE as a stompjs `IMessage` whose `ack`/`nack` call `acker`
    /// (`acker(id, subscription, headers, isNack)`). A throw from the callback comes back as
    /// `Err`.
    pub(crate) fn deliver(
        &mut self,
        callback: &Function,
        frame: &Frame,
        v12: bool,
        acker: &Function,
    ) -> Result<(), JsValue> {
        let headers_length = self.lay_out(&frame.headers, &frame.body);
        deliver_message(callback, &self.wire, headers_length, v12, acker)
    }
}

fn push_without_nul(out: &mut Vec<u8>, s: &str) {
    if memchr::memchr(0, s.as_bytes()).is_none() {
        out.extend_from_slice(s.as_bytes());
    } else {
        out.extend(s.bytes().map(|b| if b == 0 { b' ' } else { b }));
    }
}

/// The command's index in `frame.js`'s COMMANDS table (the order of [`Command::ALL`]).
fn command_index(command: Command) -> u8 {
    Command::ALL.iter().position(|c| *c == command).unwrap_or(0) as u8
}

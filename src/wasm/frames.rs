//! Frames as JavaScript objects for user callbacks (see `frame.js` beside this file).
//!
//! A frame crosses into JavaScript in one call: its headers flattened into one NUL-separated
//! string (NUL cannot occur in a decoded STOMP header) and its body as a view of Wasm memory that
//! the JS side copies at once.

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::frame::{Command, Frame, Headers};

#[wasm_bindgen(module = "/src/wasm/frame.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeFrame)]
    fn make_frame(command: u8, raw_headers: &str, body: &[u8]) -> JsValue;

    #[wasm_bindgen(js_name = deliverMessage, catch)]
    fn deliver_message(
        callback: &Function,
        raw_headers: &str,
        body: &[u8],
        v12: bool,
        acker: &Function,
    ) -> Result<(), JsValue>;
}

/// Reusable scratch for flattening headers, so delivering a frame does not allocate in Rust.
#[derive(Default)]
pub(crate) struct FrameWriter {
    raw: String,
}

impl FrameWriter {
    fn flatten(&mut self, headers: &Headers) -> &str {
        self.raw.clear();
        for (name, value) in headers.iter() {
            push_without_nul(&mut self.raw, name);
            self.raw.push('\0');
            push_without_nul(&mut self.raw, value);
            self.raw.push('\0');
        }
        // Drop the trailing separator.
        self.raw.pop();
        &self.raw
    }

    /// The frame as a stompjs `IFrame`.
    pub(crate) fn frame_to_js(&mut self, frame: &Frame) -> JsValue {
        let index = command_index(frame.command);
        let raw = self.flatten(&frame.headers);
        make_frame(index, raw, &frame.body)
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
        let raw = self.flatten(&frame.headers);
        deliver_message(callback, raw, &frame.body, v12, acker)
    }
}

fn push_without_nul(out: &mut String, s: &str) {
    if s.contains('\0') {
        out.extend(s.chars().map(|c| if c == '\0' { '\u{fffd}' } else { c }));
    } else {
        out.push_str(s);
    }
}

/// The command's index in `frame.js`'s COMMANDS table (the order of [`Command::ALL`]).
fn command_index(command: Command) -> u8 {
    Command::ALL.iter().position(|c| *c == command).unwrap_or(0) as u8
}

//! Frames as JavaScript objects for user callbacks (see the frames section of `bridge.js` beside this file).
//!
//! A frame crosses into JavaScript in one call: its headers, flattened to `name\0value\0…`, and
//! its body are laid out in one reusable buffer, passed as a view of Wasm memory that the JS side
//! reads at once: decoded into one string when the body is UTF-8, copied out as bytes otherwise.

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::client::Received;
use crate::frame::Command;

#[wasm_bindgen(module = "/src/wasm/bridge.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeFrame)]
    fn make_frame(command: u8, wire: &[u8], split: u32, text: bool) -> JsValue;

    #[wasm_bindgen(js_name = deliverMessage, catch)]
    fn deliver_message(
        callback: &Function,
        wire: &[u8],
        split: u32,
        text: bool,
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
    /// Lays out headers then body. Returns where the body starts and whether JavaScript may
    /// decode the whole layout as text: for a UTF-8 body, the start as a UTF-16 index into that
    /// text; otherwise as a byte offset. Decoded headers hold no NUL, so the separators are
    /// unambiguous.
    fn lay_out(&mut self, frame: &Received) -> (u32, bool) {
        let wire = &mut self.wire;
        wire.clear();
        wire.extend_from_slice(frame.header_text());
        let headers_length = wire.len();
        let body = frame.body();
        wire.extend_from_slice(body);
        let text = std::str::from_utf8(body).is_ok();
        let split = if text {
            utf16_length(&wire[..headers_length])
        } else {
            headers_length
        };
        (split as u32, text)
    }

    /// The frame as a stompjs `IFrame`.
    pub(crate) fn frame_to_js(&mut self, frame: &Received) -> JsValue {
        let index = command_index(frame.command);
        let (split, text) = self.lay_out(frame);
        make_frame(index, &self.wire, split, text)
    }

    /// Calls `callback` with the MESSAGE as a stompjs `IMessage` whose `ack`/`nack` call `acker`
    /// (`acker(id, subscription, headers, isNack)`). A throw from the callback comes back as
    /// `Err`.
    pub(crate) fn deliver(
        &mut self,
        callback: &Function,
        frame: &Received,
        v12: bool,
        acker: &Function,
    ) -> Result<(), JsValue> {
        let (split, text) = self.lay_out(frame);
        deliver_message(callback, &self.wire, split, text, v12, acker)
    }
}

/// The length in UTF-16 code units of `utf8`, valid UTF-8 (headers are `str`): one unit per
/// character, two for those of four bytes.
fn utf16_length(utf8: &[u8]) -> usize {
    if utf8.is_ascii() {
        return utf8.len();
    }
    utf8.iter()
        .map(|&b| match b {
            0x80..=0xBF => 0,
            0xF0..=0xFF => 2,
            _ => 1,
        })
        .sum()
}

/// The command's index in `bridge.js`'s COMMANDS table (the order of [`Command::ALL`]).
fn command_index(command: Command) -> u8 {
    Command::ALL.iter().position(|c| *c == command).unwrap_or(0) as u8
}

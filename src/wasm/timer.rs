//! The one timer of a client: it wakes the session at its next deadline (`poll_timeout`).
//!
//! The sans-IO session keeps every deadline (connection timeout, reconnect delay, heart-beats)
//! and reports only the earliest, so the shell needs a single timer. Two backends:
//!
//! - [`TickerStrategy::Interval`]: the global `setTimeout` (window, worker and node all have it).
//! - [`TickerStrategy::Worker`]: a tiny inline Worker, created from a Blob URL, runs the
//!   `setTimeout` and posts a message back when it fires. Browsers throttle timers of background
//!   tabs (to once a minute after a while) but not workers' timers nor message delivery, so
//!   heart-beats keep flowing and the server does not drop a hidden tab. Falls back to
//!   `setTimeout` where `Worker`/`Blob`/`URL` are missing (node). The Worker is made and driven
//!   by `bridge.js` (three imports instead of one per Blob/URL/Worker call).
//!
//! Re-arming is lazy: when a deadline moves *later* (each received frame pushes the heart-beat
//! deadline), the armed timer is left alone; it fires early, the session finds nothing due, and
//! the timer is armed again. That keeps timer calls off the per-frame receive path.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::js;

#[wasm_bindgen(module = "/src/wasm/bridge.js")]
extern "C" {
    /// A Worker calling `fire` when its timeout runs out; `undefined` where there is none.
    #[wasm_bindgen(js_name = startWorker)]
    fn start_worker(fire: &JsValue) -> JsValue;

    /// Arms the worker's timeout (`ms < 0` disarms it).
    #[wasm_bindgen(js_name = armWorker)]
    fn arm_worker(worker: &JsValue, ms: f64);

    /// Unhooks and terminates the worker, and frees its Blob URL.
    #[wasm_bindgen(js_name = stopWorker)]
    fn stop_worker(worker: &JsValue);
}

/// How the timer runs (stompjs's `heartbeatStrategy`: `"interval"` or `"worker"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum TickerStrategy {
    #[default]
    Interval,
    Worker,
}

impl TickerStrategy {
    pub(crate) fn parse(value: &str) -> TickerStrategy {
        if value.eq_ignore_ascii_case("worker") {
            TickerStrategy::Worker
        } else {
            TickerStrategy::Interval
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TickerStrategy::Interval => "interval",
            TickerStrategy::Worker => "worker",
        }
    }
}

enum Backend {
    Timeout {
        handle: Option<JsValue>,
        callback: Closure<dyn FnMut()>,
    },
    Worker {
        worker: JsValue,
        _on_message: Closure<dyn FnMut(JsValue)>,
    },
}

/// A single re-armable timer calling `fire` when due.
pub(crate) struct Timer {
    backend: Backend,
    /// The deadline the timer is armed for (ms on the `performance.now()` clock).
    armed: Option<f64>,
}

impl Timer {
    pub(crate) fn new(strategy: TickerStrategy, fire: Rc<dyn Fn()>) -> Timer {
        let backend = match strategy {
            TickerStrategy::Worker => worker_backend(fire.clone()),
            TickerStrategy::Interval => None,
        };
        let backend = backend.unwrap_or_else(|| Backend::Timeout {
            handle: None,
            callback: Closure::new(move || fire()),
        });
        Timer {
            backend,
            armed: None,
        }
    }

    pub(crate) fn strategy(&self) -> TickerStrategy {
        match self.backend {
            Backend::Timeout { .. } => TickerStrategy::Interval,
            Backend::Worker { .. } => TickerStrategy::Worker,
        }
    }

    /// The timer fired: nothing is armed any more.
    pub(crate) fn fired(&mut self) {
        self.armed = None;
        if let Backend::Timeout { handle, .. } = &mut self.backend {
            *handle = None;
        }
    }

    /// Makes sure the timer fires no later than `deadline` (see the module docs on laziness);
    /// `None` disarms it.
    pub(crate) fn arm(&mut self, deadline: Option<f64>, now: f64) {
        match (deadline, self.armed) {
            (None, None) => {}
            (None, Some(_)) => {
                self.cancel();
            }
            (Some(d), Some(armed)) if armed <= d => {}
            (Some(d), _) => {
                self.cancel();
                let delay = (d - now).max(0.0);
                match &mut self.backend {
                    Backend::Timeout { handle, callback } => {
                        *handle = Some(js::set_timeout(callback.as_ref().unchecked_ref(), delay));
                    }
                    Backend::Worker { worker, .. } => arm_worker(worker, delay),
                }
                self.armed = Some(d);
            }
        }
    }

    fn cancel(&mut self) {
        self.armed = None;
        match &mut self.backend {
            Backend::Timeout { handle, .. } => {
                if let Some(h) = handle.take() {
                    js::clear_timeout(&h);
                }
            }
            Backend::Worker { worker, .. } => arm_worker(worker, -1.0),
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.cancel();
        if let Backend::Worker { worker, .. } = &self.backend {
            stop_worker(worker);
        }
    }
}

/// The inline Worker, or `None` where the platform has no Worker/Blob/URL.
fn worker_backend(fire: Rc<dyn Fn()>) -> Option<Backend> {
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |_ev: JsValue| fire());
    let worker = start_worker(on_message.as_ref());
    if worker.is_undefined() {
        return None;
    }
    Some(Backend::Worker {
        worker,
        _on_message: on_message,
    })
}

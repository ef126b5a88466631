// Node entry of stomp-wasm: the same client as in browsers, with its core instantiated
// synchronously from the .wasm file next to it on import, so the first activate() does not wait
// for a compile (browsers and bundlers compile it on first use).
//
// Node has no global WebSocket before v22: pass `webSocketFactory: () => new WebSocket(url)`
// with the `ws` package.
import { readFileSync } from 'node:fs';
import { initSync } from '../stomp_wasm.js';

initSync(readFileSync(new URL('../stomp_wasm_core.wasm', import.meta.url)));

export * from '../stomp_wasm.js';
export { default } from '../stomp_wasm.js';

// Node entry of stomp-wasm: the same module as in browsers, instantiated synchronously from the
// .wasm file next to it, so `await init()` is optional here (it resolves at once).
//
// Node has no global WebSocket before v22: pass `webSocketFactory: () => new WebSocket(url)`
// with the `ws` package.
import { readFileSync } from 'node:fs';
import { initSync } from '../stomp_wasm.js';

const wasm = initSync({ module: readFileSync(new URL('../stomp_wasm_bg.wasm', import.meta.url)) });

export * from '../stomp_wasm.js';

/** Already done on import; kept so code written for browsers (`await init()`) runs unchanged. */
export default async function init() {
  return wasm;
}

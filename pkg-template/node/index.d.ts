export * from '../stomp_wasm.js';
import type { InitOutput } from '../stomp_wasm.js';

/** Already done on import in node; resolves at once. */
export default function init(moduleOrPath?: unknown): Promise<InitOutput>;

export * from '../stomp_wasm.js';
export { default } from '../stomp_wasm.js';

// The stompjs config keys as properties of `Client` (see `properties!` in client.rs).
//
// Defined once on the prototype, each accessor reading and writing through the two hidden
// exports `__getOption(index)` / `__setOption(index, value)`, so that wasm-bindgen does not emit
// an exported getter and setter (and their glue) per key. Like wasm-bindgen's own class
// accessors they are configurable and not enumerable.

export function defineOptionProperties(client, names) {
  const proto = Object.getPrototypeOf(client);
  // `client` was made only to reach the prototype: release its hold on the Rust state now
  // rather than whenever it is garbage-collected.
  client.free();
  names.forEach((name, index) => {
    Object.defineProperty(proto, name, {
      configurable: true,
      get() {
        return this.__getOption(index);
      },
      set(value) {
        this.__setOption(index, value);
      },
    });
  });
}

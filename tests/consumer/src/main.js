// What a Vite user writes: the bare package name, the stompjs API, `await init()` first.
import init, { Client } from 'stomp-wasm';

await init();
const client = new Client({ brokerURL: 'ws://127.0.0.1:8080/ws', reconnectDelay: 0 });
document.getElementById('out').textContent =
  `stomp-wasm loaded: active=${client.active}, reconnectDelay=${client.reconnectDelay}`;

// What a Vite user writes: the bare package name, the stompjs API, `await init()` first.
import init, { Client } from 'stomp-wasm';

const out = document.getElementById('out');
await init();
const client = new Client({
  brokerURL: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
  reconnectDelay: 0,
  onConnect: () => {
    out.textContent = `connected, STOMP ${client.connectedVersion}`;
    client.subscribe('/topic/consumer-vite', (message) => {
      out.textContent = `echo: ${message.body}`;
    });
    client.publish({ destination: '/topic/consumer-vite', body: 'hello from a Vite build' });
  },
  onWebSocketError: () => {
    out.textContent = 'cannot connect';
  },
});
out.textContent = 'stomp-wasm loaded';
client.activate();

// Type-checks the generated .d.ts against stompjs-style code (not run by cargo):
//   scripts/size.sh   (or wasm-pack build --target web into pkg/), then
//   npx -p typescript@5 tsc --noEmit --strict --lib esnext,dom tests/types/usage.ts
import { Client, Stomp, ActivationState, ReconnectionTimeMode, Versions, TickerStrategy, IMessage, IFrame } from '../../pkg/stomp_wasm';
const client = new Client({
  brokerURL: 'ws://localhost/ws',
  connectHeaders: { login: 'a' },
  reconnectTimeMode: ReconnectionTimeMode.EXPONENTIAL,
  heartbeatStrategy: 'worker',
  stompVersions: new Versions(['1.2']),
  onConnect: (frame: IFrame) => {
    const sub = client.subscribe('/topic/x', (m: IMessage) => { m.ack(); console.log(m.body, m.headers['message-id'], m.binaryBody.length); });
    sub.unsubscribe();
    client.publish({ destination: '/topic/x', body: 'hi' });
    const tx = client.begin();
    tx.commit();
  },
  beforeConnect: async () => {},
  offlineQueue: { maxFrames: 10 },
});
client.activate();
client.deactivate().then(() => {});
client.deactivate({ force: true });
const s: ActivationState = client.state;
const c = Stomp.client('ws://x');
c.connect({}, (f: IFrame) => {});
c.send('/q', {}, 'body');
c.disconnect();
client.ack('id', 'sub');
client.watchForReceipt('r', (f) => f.headers['receipt-id']);
client.debug = (msg: string) => {};
client.onWebSocketClose = (evt) => {};
// Config keys as typed properties (declared by an interface merged into the Client class).
client.reconnectDelay = 0;
client.onConnect = (frame: IFrame) => {};
client.brokerURL = undefined;
client.heartbeatStrategy = 'interval';
client.transports = ['websocket', 'xhr-polling'];
client.maxReconnectAttempts = undefined;
client.offlineQueue = { maxBytes: 1024 };
client.reconnectTimeMode = ReconnectionTimeMode.LINEAR;
const delay: number = client.reconnectDelay;
const url: string | undefined = client.brokerURL;
const headers: { [key: string]: string } = client.connectHeaders;

// Type-checks the package's .d.ts against stompjs-style code: `bash scripts/test-types.sh`
// (stage `types` of scripts/test.sh, after `pkg` built pkg/). Each `@ts-expect-error` line is
// a misuse the types must refuse: the check fails if one of them compiles.
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
// Misuses the types must refuse.
// @ts-expect-error a delay is a number
client.reconnectDelay = 'soon';
// @ts-expect-error publish needs a destination
client.publish({ body: 'x' });
// @ts-expect-error subscribe's callback takes a message, not a number
client.subscribe('/topic/x', (n: number) => {});
// @ts-expect-error connected is read-only
client.connected = true;
// @ts-expect-error not a SockJS transport name
client.transports = ['carrier-pigeon'];

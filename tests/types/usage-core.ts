// What the size-first client's types (pkg-core/js/client.d.ts) add to tests/types/usage.ts:
// stompjs names today's generated types spell differently. `bash scripts/test-types.sh --core`.
import {
  Client, CompatClient, Stomp, StompSubscription, ITransaction, TickerStrategy, StompSocketState,
  ActivationState, Versions, init, initSync, IFrame,
} from '../../pkg-core/js/client.js';

const client = new Client({ heartbeatStrategy: TickerStrategy.Worker, stompVersions: Versions.default });
const sub: StompSubscription = client.subscribe('/q', (m) => m.ack(), { ack: 'client' }, (f: IFrame) => f.body);
const tx: ITransaction = client.begin('t');
tx.abort();
sub.unsubscribe({ receipt: 'r' });
const open: boolean = client.webSocket?.readyState === StompSocketState.OPEN;
const inactive: boolean = client.state === ActivationState.INACTIVE;
const queued: number = client.offlineQueueLength;
const onConnect = client.onConnect; // undefined until set
onConnect?.({} as IFrame);
const compat: CompatClient = Stomp.over(() => new WebSocket('ws://x'));
compat.heartbeat = { incoming: 0, outgoing: 1000 };
compat.connect('login', 'passcode', () => {}, () => {}, () => {}, 'host');
void init(new URL('https://x/stomp_wasm_core.wasm')).then(() => initSync(new Uint8Array(0)));
// @ts-expect-error state is read-only
client.state = ActivationState.ACTIVE;
// @ts-expect-error a callback, not a string
client.onConnect = 'x';
console.log(open, inactive, queued);

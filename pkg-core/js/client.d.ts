// Types of the size-first client (pkg-core/js/client.js), named as in @stomp/stompjs v7 so typed
// code ports by changing the import.

export type StompHeaders = { [key: string]: string };

export interface IFrame {
  readonly command: string;
  readonly headers: StompHeaders;
  /** The body as text (decoded from `binaryBody` on first use). */
  readonly body: string;
  readonly binaryBody: Uint8Array;
  /** true when the received body was not UTF-8 text. */
  readonly isBinaryBody: boolean;
}

export interface IMessage extends IFrame {
  ack(headers?: StompHeaders): void;
  nack(headers?: StompHeaders): void;
}

export type Message = IMessage;

export interface IPublishParams {
  destination: string;
  headers?: StompHeaders;
  body?: string;
  binaryBody?: Uint8Array | ArrayBuffer;
  skipContentLengthHeader?: boolean;
}

export interface StompSubscription {
  id: string;
  unsubscribe(headers?: StompHeaders): void;
}

export interface ITransaction {
  id: string;
  commit(): void;
  abort(): void;
}

/** Anything with the WebSocket interface (a WebSocket, a SockJS instance, a test fake). */
export interface IStompSocket {
  url?: string;
  protocol?: string;
  readyState: number;
  binaryType?: string;
  onopen: ((ev?: any) => any) | null;
  /** Called with `{ data }`: a string or an ArrayBuffer (`any`, so a DOM WebSocket fits). */
  onmessage: ((ev: any) => any) | null;
  onclose: ((ev?: any) => any) | null;
  onerror: ((ev: any) => any) | null;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(): void;
}

export type debugFnType = (msg: string) => void;
export type frameCallbackType = (frame: IFrame) => void;
export type messageCallbackType = (message: IMessage) => void;
export type closeEventCallbackType = (evt: any) => void;
export type wsErrorCallbackType = (evt: any) => void;
export type emptyCallbackType = () => void;

/** stomp-wasm: the SockJS transports (`client.transport` names the one in use). */
export type SockJsTransportName = 'websocket' | 'xhr-streaming' | 'eventsource' | 'xhr-polling';

/**
 * stomp-wasm: publishes kept until the broker confirms them (a RECEIPT), sent again after a
 * reconnection if it had not; publishes made while disconnected wait for the next CONNECTED.
 */
export interface OfflineQueueOptions {
  maxFrames?: number;
  maxBytes?: number;
  /**
   * Publishes made while connected are kept until their RECEIPT too (default true), so one in
   * flight when the connection dies is not lost; false keeps only those made while disconnected.
   */
  whileConnected?: boolean;
}

export declare const ActivationState: { readonly ACTIVE: 0; readonly DEACTIVATING: 1; readonly INACTIVE: 2 };
export type ActivationState = (typeof ActivationState)[keyof typeof ActivationState];

export declare const ReconnectionTimeMode: { readonly LINEAR: 0; readonly EXPONENTIAL: 1 };
export type ReconnectionTimeMode = (typeof ReconnectionTimeMode)[keyof typeof ReconnectionTimeMode];

export declare const StompSocketState: {
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSING: 2;
  readonly CLOSED: 3;
};
export type StompSocketState = (typeof StompSocketState)[keyof typeof StompSocketState];

export declare const TickerStrategy: { readonly Interval: 'interval'; readonly Worker: 'worker' };
export type TickerStrategy = (typeof TickerStrategy)[keyof typeof TickerStrategy];

/** The STOMP versions to offer, in order of preference. */
export declare class Versions {
  static readonly V1_0: string;
  static readonly V1_1: string;
  static readonly V1_2: string;
  /** 1.2, 1.1 and 1.0. */
  static readonly default: Versions;
  constructor(versions: string[]);
  versions: string[];
  /** The `accept-version` header value (`"1.2,1.1,1.0"`). */
  supportedVersions(): string;
  /** The WebSocket subprotocols (`["v12.stomp", …]`). */
  protocolVersions(): string[];
}

export interface StompConfig {
  brokerURL?: string;
  webSocketFactory?: () => IStompSocket;
  connectHeaders?: StompHeaders;
  disconnectHeaders?: StompHeaders;
  stompVersions?: Versions | string[];
  connectionTimeout?: number;
  reconnectDelay?: number;
  maxReconnectDelay?: number;
  reconnectTimeMode?: ReconnectionTimeMode;
  heartbeatIncoming?: number;
  heartbeatOutgoing?: number;
  heartbeatToleranceMultiplier?: number;
  /** stompjs `TickerStrategy`: `'worker'` keeps heart-beats going in background tabs. */
  heartbeatStrategy?: TickerStrategy;
  splitLargeFrames?: boolean;
  maxWebSocketChunkSize?: number;
  forceBinaryWSFrames?: boolean;
  appendMissingNULLonIncoming?: boolean;
  discardWebsocketOnCommFailure?: boolean;
  logRawCommunication?: boolean;
  debug?: debugFnType;
  beforeConnect?: (client: Client) => void | Promise<void>;
  onConnect?: frameCallbackType;
  onDisconnect?: frameCallbackType;
  onStompError?: frameCallbackType;
  onWebSocketClose?: closeEventCallbackType;
  onWebSocketError?: wsErrorCallbackType;
  onUnhandledMessage?: messageCallbackType;
  onUnhandledReceipt?: frameCallbackType;
  onUnhandledFrame?: frameCallbackType;
  onChangeState?: (state: ActivationState) => void;
  onHeartbeatReceived?: emptyCallbackType;
  onHeartbeatLost?: emptyCallbackType;
  /** stomp-wasm: give up (go INACTIVE) after this many failed reconnection attempts in a row. */
  maxReconnectAttempts?: number;
  onReconnectGaveUp?: (attempts: number) => void;
  /** stomp-wasm: re-send subscriptions made outside onConnect after a reconnect (default true). */
  resubscribe?: boolean;
  /** stomp-wasm: queue publishes made while disconnected instead of throwing. */
  offlineQueue?: boolean | OfflineQueueOptions;
  /** stomp-wasm: how long a graceful deactivate waits for the DISCONNECT receipt (ms, 0 = for ever). */
  disconnectTimeout?: number;
  /** stomp-wasm: with an `http(s)://…` SockJS brokerURL, the transports allowed, in order. */
  transports?: SockJsTransportName | SockJsTransportName[];
}

/** The config keys that are callbacks: `undefined` until set. */
type CallbackKeys =
  | 'webSocketFactory' | 'debug' | 'beforeConnect' | 'onConnect' | 'onDisconnect' | 'onStompError'
  | 'onWebSocketClose' | 'onWebSocketError' | 'onUnhandledMessage' | 'onUnhandledReceipt'
  | 'onUnhandledFrame' | 'onChangeState' | 'onHeartbeatReceived' | 'onHeartbeatLost'
  | 'onReconnectGaveUp';
/** The config keys with no default value. */
type UnsetKeys = 'brokerURL' | 'maxReconnectAttempts' | 'transports';
type OptionalProperties = { [K in CallbackKeys | UnsetKeys]: StompConfig[K] };

/** Every config key is also a property. */
export interface Client extends Required<Omit<StompConfig, CallbackKeys | UnsetKeys>>, OptionalProperties {}

/** A STOMP client with the API of @stomp/stompjs v7's `Client`. */
export declare class Client {
  constructor(conf?: StompConfig);
  configure(conf: StompConfig): void;
  readonly connected: boolean;
  readonly active: boolean;
  readonly state: ActivationState;
  readonly connectedVersion: string | undefined;
  /** The socket in use (a WebSocket, what `webSocketFactory` returned, or a SockJS), or undefined. */
  readonly webSocket: IStompSocket | undefined;
  /** stomp-wasm: the transport carrying the session (`'websocket'` or the SockJS one), once open. */
  readonly transport: string | undefined;
  /** stomp-wasm: frames waiting in the offline queue. */
  readonly offlineQueueLength: number;
  /** Starts connecting, and reconnecting after every loss until `deactivate()`. */
  activate(): void;
  /** Disconnects (gracefully, or at once with `force`); resolves when INACTIVE. */
  deactivate(options?: { force?: boolean }): Promise<void>;
  forceDisconnect(): void;
  /** stomp-wasm: starts a waiting reconnection now (done by itself on the browser's `online` event). */
  reconnectNow(): void;
  publish(params: IPublishParams): void;
  /** stomp-wasm: `onError(frame)` is called if the server refuses this subscription. */
  subscribe(
    destination: string,
    callback: messageCallbackType,
    headers?: StompHeaders,
    onError?: frameCallbackType,
  ): StompSubscription;
  unsubscribe(id: string, headers?: StompHeaders): void;
  begin(transactionId?: string): ITransaction;
  commit(transactionId: string): void;
  abort(transactionId: string): void;
  ack(messageId: string, subscriptionId: string, headers?: StompHeaders): void;
  nack(messageId: string, subscriptionId: string, headers?: StompHeaders): void;
  watchForReceipt(receiptId: string, callback: frameCallbackType): void;
}

/** stompjs's compat client (the API before stompjs v5). */
export declare class CompatClient extends Client {
  constructor(webSocketFactory?: () => IStompSocket);
  heartbeat: { incoming: number; outgoing: number };
  connect(headers: StompHeaders, connectCallback?: frameCallbackType, errorCallback?: frameCallbackType | ((e: any) => void), closeEventCallback?: closeEventCallbackType): void;
  connect(login: string, passcode: string, connectCallback?: frameCallbackType, errorCallback?: frameCallbackType | ((e: any) => void), closeEventCallback?: closeEventCallbackType, host?: string): void;
  disconnect(disconnectCallback?: frameCallbackType, headers?: StompHeaders): Promise<void>;
  send(destination: string, headers?: { [key: string]: any }, body?: string): void;
}

export declare const Stomp: {
  client(url: string): CompatClient;
  over(ws: IStompSocket | (() => IStompSocket)): CompatClient;
};

/** Compiles the core module (a preload: the client does it itself on first use). */
export declare function init(source?: URL | string | BufferSource | Response | Promise<Response>): Promise<unknown>;
/** Instantiates the core at once from its bytes or a compiled module. */
export declare function initSync(bytes: BufferSource | WebAssembly.Module): unknown;

/** A preload of the core (`await init()` as in the wasm-bindgen package); never required. */
export default init;

//! TypeScript shapes that wasm-bindgen cannot derive: the config object, frames, headers and the
//! callback types, named as in @stomp/stompjs so typed code ports unchanged.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export type StompHeaders = { [key: string]: string };

export interface IFrame {
  command: string;
  headers: StompHeaders;
  /** The body as text (decoded from `binaryBody` on first use). */
  readonly body: string;
  readonly binaryBody: Uint8Array;
  isBinaryBody: boolean;
}

export interface IMessage extends IFrame {
  ack(headers?: StompHeaders): void;
  nack(headers?: StompHeaders): void;
}

export interface IPublishParams {
  destination: string;
  headers?: StompHeaders;
  body?: string;
  binaryBody?: Uint8Array | ArrayBuffer;
  skipContentLengthHeader?: boolean;
}

/** Anything with the WebSocket interface (a WebSocket, a SockJS instance, a test fake). */
export interface IStompSocket {
  url?: string;
  protocol?: string;
  readyState: number;
  binaryType?: string;
  onopen: ((ev?: any) => any) | null;
  onmessage: ((ev: { data: string | ArrayBuffer | Uint8Array }) => any) | null;
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

/** stomp-wasm: the SockJS transports the client speaks (`client.transport` names the one in use). */
export type SockJsTransportName = 'websocket' | 'xhr-streaming' | 'eventsource' | 'xhr-polling';

/** stomp-wasm: publishing while disconnected (sent after the next CONNECTED, at least once). */
export interface OfflineQueueOptions {
  maxFrames?: number;
  maxBytes?: number;
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
  heartbeatStrategy?: 'interval' | 'worker';
  splitLargeFrames?: boolean;
  maxWebSocketChunkSize?: number;
  forceBinaryWSFrames?: boolean;
  appendMissingNULLonIncoming?: boolean;
  discardWebsocketOnCommFailure?: boolean;
  logRawCommunication?: boolean;
  debug?: debugFnType;
  beforeConnect?: (client?: Client) => void | Promise<void>;
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
  /** stomp-wasm: re-send subscriptions after a reconnect (default true). Those made inside onConnect are left to onConnect, which makes them again, so nothing is subscribed twice. */
  resubscribe?: boolean;
  /** stomp-wasm: queue publishes made while disconnected instead of throwing. */
  offlineQueue?: boolean | OfflineQueueOptions;
  /** stomp-wasm: how long a graceful deactivate waits for the DISCONNECT receipt (ms, 0 = for ever). */
  disconnectTimeout?: number;
  /** stomp-wasm: with an `http(s)://…` SockJS brokerURL, the transports allowed, in order (default all four). */
  transports?: SockJsTransportName | SockJsTransportName[];
}
"#;

// stomp-wasm chat demo.
//
// Written against the @stomp/stompjs v7 API, which stomp-wasm implements: the only lines that
// know they run on WebAssembly are the import and the optional `await init()` (a preload) in
// loadClient().
//
// What it talks to (server/src/demo.rs):
//   SUBSCRIBE /app/welcome                 → one reply: motd, rooms, our member tag (the server never shows session ids)
//   SUBSCRIBE /topic/clock                 ← server time every second
//   SUBSCRIBE /topic/chat/room/{id}        ← stamped messages of the room
//   SUBSCRIBE /topic/chat/room/{id}/presence ← join / leave / rename, with the roster
//   SUBSCRIBE /user/queue/errors           ← what our handler calls got wrong
//   SUBSCRIBE /app/chat/room/{id}/history  → one reply: the room's recent messages
//   SEND /app/chat/room/{id}/join|leave    {nick}
//   SEND /app/chat/room/{id}               {nick, text, cid}
//
// Nothing typed is lost across a dropped connection or a server restart: the client's offline
// queue sends what was typed meanwhile once it is connected again (exactly once, confirmed by
// receipts), and on every (re)join the page asks for the room's history and adds what it missed
// while away, recognising messages it already shows by `cid`, the id it gave each of its own.

const DEFAULT_ROOMS = ['general', 'rust', 'wasm', 'random'];
const ROOM_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;
const MAX_HISTORY = 200; // messages and notices kept per room
const MAX_ROOMS_LISTED = 50;
const MAX_SEEN = 5000; // message keys remembered to drop duplicates

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const state = {
  Client: null,
  clientName: '',
  client: null,
  fallbackSupported: false,
  nick: '',
  session: '', // our member tag, from the welcome
  sessions: new Set(), // every member tag this page has had (one per connection)
  welcomed: false, // the greeting is shown once, not on every reconnect
  room: ROOM_RE.test(params.get('room') ?? '') ? params.get('room') : 'general',
  rooms: new Map(DEFAULT_ROOMS.map((r) => [r, null])), // room → member count (null: unknown)
  subs: {}, // name → subscription
  joined: null, // the room we sent a join for on this connection
  unread: new Map(), // room → messages since we last looked
  history: new Map(), // room → [{ msg } | { text, kind }]
  seen: new Set(), // keys of the messages shown (see messageKey), oldest first
  pending: new Map(), // cid → the bubble of a message typed but not yet back from the server
  requestedTransport: 'auto',
};

// ---------- theme ----------

function applyTheme(theme) {
  if (theme) document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}
applyTheme(params.get('theme') ?? localStorage.getItem('theme'));
$('theme').addEventListener('click', () => {
  const dark = document.documentElement.dataset.theme
    ? document.documentElement.dataset.theme === 'dark'
    : matchMedia('(prefers-color-scheme: dark)').matches;
  const next = dark ? 'light' : 'dark';
  localStorage.setItem('theme', next);
  applyTheme(next);
});

// ---------- loading the client ----------

async function loadClient() {
  // The package compiles its Wasm core on first use; the default export preloads it, so that
  // the first connection does not wait for the compile.
  const mod = await import('./pkg/stomp_wasm.js');
  if (typeof mod.default === 'function') await mod.default();
  state.Client = mod.Client;
  state.clientName = mod.clientName ?? 'stomp-wasm (WebAssembly)';
  // The fallback transports (SockJS-style) are a client option; builds without them still chat
  // over WebSocket, and the selector says so.
  const probe = new mod.Client({});
  state.fallbackSupported = 'transports' in probe;
  $('fact-client').textContent = state.clientName;
  if (!state.fallbackSupported) {
    for (const opt of $('transport').options) {
      if (opt.value !== 'auto' && opt.value !== 'websocket') {
        opt.disabled = true;
        opt.textContent += ' (not in this build)';
      }
    }
    $('transport-hint').textContent =
      'This build of the client connects over WebSocket only: the HTTP fallbacks need its transports option.';
  }
}

// ---------- connection ----------

function endpoints() {
  const ws = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const sockjs = `${location.origin}/stomp`;
  return { ws, sockjs };
}

function connect(nick, transport) {
  const { ws, sockjs } = endpoints();
  state.nick = nick;
  state.requestedTransport = transport;
  const config = {
    brokerURL: ws,
    reconnectDelay: 2000,
    // Messages typed while reconnecting wait in the client and go out once connected.
    offlineQueue: true,
    heartbeatIncoming: 10000,
    heartbeatOutgoing: 10000,
    onConnect: onConnect,
    onStompError: (frame) => {
      system(`Broker error: ${frame.headers.message ?? frame.body}`, 'bad');
    },
    onWebSocketClose: () => {
      if (state.client?.active) setStatus('connecting', 'reconnecting…');
    },
    onWebSocketError: () => setStatus('error', 'connection failed, retrying'),
    onDisconnect: () => setStatus('idle', 'disconnected'),
  };
  if (state.fallbackSupported && transport !== 'websocket') {
    // SockJS endpoint: the client tries the listed transports in order.
    config.brokerURL = sockjs;
    if (transport !== 'auto') config.transports = [transport];
  }
  $('fact-url').textContent = config.brokerURL;
  const client = new state.Client(config);
  state.client = client;
  window.chatClient = client; // for the console and the end-to-end tests
  setStatus('connecting', 'connecting…');
  $('app').dataset.state = 'connecting';
  client.activate();
}

function activeTransport() {
  const c = state.client;
  if (!c) return '—';
  const t = c.transport ?? c.activeTransport ?? c.webSocket?.transport;
  if (typeof t === 'string' && t) return t;
  if (t && typeof t === 'object' && t.transportName) return t.transportName;
  return c.webSocket ? 'websocket' : '—';
}

function refreshFacts() {
  const transport = activeTransport();
  $('fact-transport').textContent = transport;
  $('fact-version').textContent = state.client?.connectedVersion ?? '—';
  if (state.client?.connected) {
    setStatus('connected', `connected · ${transport} · STOMP ${state.client.connectedVersion ?? '?'}`);
  }
  document.body.dataset.transport = transport;
}

function onConnect(frame) {
  const client = state.client;
  $('app').dataset.state = 'connected';
  // After a reconnect the old subscriptions died with the old connection (the client does not
  // re-subscribe unless told to): start afresh rather than UNSUBSCRIBE ids the server never saw.
  state.subs = {};
  state.joined = null;
  state.subs.clock = client.subscribe('/topic/clock', (m) => showClock(m.body));
  state.subs.errors = client.subscribe('/user/queue/errors', (m) =>
    system(m.headers.message ?? m.body, 'bad'));
  state.subs.welcome = client.subscribe('/app/welcome', (m) => {
    onWelcome(parse(m.body));
    state.subs.welcome?.unsubscribe();
    delete state.subs.welcome;
  });
  // Every room at once (Ant-style wildcards: `*` is one path segment): the open room is shown,
  // the others count unread messages and heads.
  state.subs.messages = client.subscribe('/topic/chat/room/*', (m) => onRoomMessage(parse(m.body)));
  state.subs.presence = client.subscribe('/topic/chat/room/*/presence', (m) => onPresence(parse(m.body)));
  enterRoom(state.room);
  $('text').disabled = false;
  $('send').disabled = false;
  $('text').focus();
  refreshFacts();
}

function setSession(id) {
  if (typeof id !== 'string' || !id) return;
  state.session = id;
  state.sessions.add(id);
}

function onWelcome(w) {
  if (!w) return;
  setSession(w.session);
  for (const r of w.rooms ?? []) {
    // Presence events may already have told us more recent head counts.
    if (ROOM_RE.test(r.id) && state.rooms.get(r.id) == null && knowRoom(r.id)) {
      state.rooms.set(r.id, r.members);
    }
  }
  renderRooms();
  if (w.motd && !state.welcomed) system(w.motd, 'welcome');
  state.welcomed = true;
}

// ---------- rooms ----------

/** Adds a room to the list (bounded); false when the list is full. */
function knowRoom(room) {
  if (state.rooms.has(room)) return true;
  if (state.rooms.size >= MAX_ROOMS_LISTED) return false;
  state.rooms.set(room, null);
  return true;
}

function enterRoom(room) {
  const client = state.client;
  if (state.joined === room) return;
  if (state.joined) {
    client.publish({ destination: `/app/chat/room/${state.joined}/leave`, body: JSON.stringify({ nick: state.nick }) });
  }
  state.room = room;
  state.joined = room;
  knowRoom(room);
  state.unread.delete(room);
  const url = new URL(location.href);
  url.searchParams.set('room', room);
  history.replaceState(null, '', url);

  $('room-title').textContent = `#${room}`;
  $('roster-room').textContent = `#${room}`;
  $('room-sub').replaceChildren('Messages go to ', code(`/app/chat/room/${room}`), ', come back stamped on ', code(`/topic/chat/room/${room}`), '.');
  renderRoster([]);
  renderRooms();
  renderHistory();
  client.publish({ destination: `/app/chat/room/${room}/join`, body: JSON.stringify({ nick: state.nick }) });
  // What was said while we were not subscribed (before joining, or while reconnecting): asked
  // after the room's SUBSCRIBE, so nothing falls between the two.
  const sub = client.subscribe(`/app/chat/room/${room}/history`, (m) => {
    sub.unsubscribe();
    const h = parse(m.body);
    if (h && Array.isArray(h.messages)) h.messages.forEach(onRoomMessage);
  });
}

/** What identifies a message across connections and server restarts: the sender's own id when
 *  it gave one, else the server's stamp. */
function messageKey(msg) {
  return typeof msg.cid === 'string' ? `c:${msg.cid}` : `s:${msg.ts}:${msg.session}:${msg.id}`;
}

/** True the first time a message is seen. */
function firstSighting(msg) {
  const key = messageKey(msg);
  if (state.seen.has(key)) return false;
  state.seen.add(key);
  if (state.seen.size > MAX_SEEN) state.seen.delete(state.seen.values().next().value);
  return true;
}

function onRoomMessage(msg) {
  if (!msg || typeof msg.room !== 'string' || !ROOM_RE.test(msg.room)) return;
  if (!firstSighting(msg)) return;
  remember(msg.room, { msg });
  const pending = typeof msg.cid === 'string' && state.pending.get(msg.cid);
  if (pending) state.pending.delete(msg.cid);
  if (pending?.isConnected) {
    pending.replaceWith(renderMessage(msg));
    return;
  }
  if (msg.room === state.room) {
    append(renderMessage(msg));
  } else if (knowRoom(msg.room)) {
    state.unread.set(msg.room, (state.unread.get(msg.room) ?? 0) + 1);
    renderRooms();
  }
}

function onPresence(p) {
  if (!p || typeof p.room !== 'string' || !ROOM_RE.test(p.room)) return;
  if (Array.isArray(p.members) && knowRoom(p.room)) state.rooms.set(p.room, p.members.length);
  if (p.room === state.room) {
    const mine = p.session && p.session === state.session;
    if (p.type === 'join') system(mine ? `You joined #${p.room} as ${p.nick}` : `${p.nick} joined`);
    else if (p.type === 'leave' && !mine) system(`${p.nick} left`);
    else if (p.type === 'rename') system(`${p.previous} is now ${p.nick}`);
    if (mine && p.type !== 'leave' && p.nick) state.nick = p.nick; // the server's sanitized version
    if (Array.isArray(p.members)) renderRoster(p.members);
  }
  renderRooms();
}

function renderRooms() {
  const list = $('rooms');
  list.replaceChildren();
  for (const [room, members] of state.rooms) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.setAttribute('aria-current', String(room === state.room));
    const hash = document.createElement('span');
    hash.className = 'hash';
    hash.textContent = '#';
    const name = document.createElement('span');
    name.textContent = room;
    const heads = document.createElement('span');
    heads.className = 'heads';
    heads.title = 'online';
    heads.textContent = members ? String(members) : '';
    const unread = document.createElement('span');
    unread.className = 'badge';
    unread.title = 'unread';
    unread.textContent = state.unread.get(room) ? String(state.unread.get(room)) : '';
    b.append(hash, name, heads, unread);
    b.addEventListener('click', () => state.client?.connected && enterRoom(room));
    li.append(b);
    list.append(li);
  }
  // On narrow screens the rooms are a scrolling row: keep the open one in sight.
  list.querySelector('[aria-current="true"]')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
}

function renderRoster(members) {
  $('roster-count').textContent = String(members.length);
  const list = $('roster');
  list.replaceChildren();
  for (const m of members) {
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.textContent = m.nick;
    li.append(avatar(m.nick), name);
    if (m.session && m.session === state.session) {
      const me = document.createElement('span');
      me.className = 'me';
      me.textContent = '(you)';
      li.append(me);
    }
    const dot = document.createElement('span');
    dot.className = 'online';
    li.append(dot);
    list.append(li);
  }
}

// ---------- messages ----------

/** Keeps a bounded history per room, so switching back shows what was said. */
function remember(room, entry) {
  let list = state.history.get(room);
  if (!list) state.history.set(room, (list = []));
  list.push(entry);
  if (list.length > MAX_HISTORY) list.splice(0, list.length - MAX_HISTORY);
}

function renderHistory() {
  const nodes = (state.history.get(state.room) ?? []).map((e) =>
    e.msg ? renderMessage(e.msg) : renderSystem(e.text, e.kind));
  $('messages').replaceChildren(...nodes);
  $('messages').scrollTop = $('messages').scrollHeight;
}

function renderMessage(msg) {
  // Our messages from before a reconnect carry an earlier member tag: still ours.
  const mine = msg.session ? state.sessions.has(msg.session) : msg.nick === state.nick;
  const li = document.createElement('li');
  li.className = mine ? 'msg mine' : 'msg';
  li.dataset.nick = msg.nick;
  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  const meta = document.createElement('div');
  meta.className = 'meta';
  const nick = document.createElement('span');
  nick.className = 'nick';
  nick.textContent = msg.nick;
  const time = document.createElement('time');
  time.textContent = formatTime(msg.ts);
  if (Number.isFinite(msg.ts)) time.dateTime = new Date(msg.ts).toISOString();
  meta.append(nick, time);
  const text = document.createElement('div');
  text.className = 'text';
  text.textContent = msg.text;
  bubble.append(meta, text);
  li.append(avatar(msg.nick), bubble);
  return li;
}

/** A notice in the open room. */
function system(text, kind = '') {
  remember(state.room, { text, kind });
  append(renderSystem(text, kind));
}

function renderSystem(text, kind) {
  const li = document.createElement('li');
  li.className = `sys ${kind}`;
  li.textContent = text;
  return li;
}

function append(node) {
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.append(node);
  while (list.childElementCount > MAX_HISTORY) list.firstElementChild.remove();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function avatar(nick) {
  const span = document.createElement('span');
  span.className = 'avatar';
  span.textContent = [...(nick || '?')][0];
  let h = 0;
  for (const ch of nick || '') h = (h * 31 + ch.codePointAt(0)) % 360;
  span.style.background = `linear-gradient(135deg, hsl(${h} 70% 55%), hsl(${(h + 40) % 360} 70% 45%))`;
  return span;
}

function code(text) {
  const c = document.createElement('code');
  c.textContent = text;
  return c;
}

// ---------- clock and status ----------

function showClock(body) {
  // The server sends milliseconds since the epoch, as text or as {"now": ms}.
  let ms = Number(body);
  if (!Number.isFinite(ms)) ms = parse(body)?.now;
  if (!Number.isFinite(ms)) return;
  $('clock').textContent = formatTime(ms, true);
  refreshFacts();
}

function formatTime(ms, seconds = false) {
  if (!Number.isFinite(ms)) return '';
  return new Date(ms).toLocaleTimeString([], {
    hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}), hour12: false,
  });
}

function setStatus(kind, text) {
  $('status').dataset.state = kind;
  $('status-text').textContent = text;
}

function parse(body) {
  try { return JSON.parse(body); } catch { return null; }
}

// ---------- forms ----------

$('join').addEventListener('submit', (e) => {
  e.preventDefault();
  const nick = $('nick').value.trim();
  if (!nick) return;
  localStorage.setItem('nick', nick);
  $('join-error').textContent = '';
  if (!state.Client) {
    $('join-error').textContent = 'The client is still loading.';
    return;
  }
  try {
    connect(nick, $('transport').value);
  } catch (err) {
    $('join-error').textContent = String(err?.message ?? err);
  }
});

$('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('text').value;
  // Also while reconnecting: the offline queue holds it until the connection is back.
  if (!text.trim() || !state.client?.active) return;
  const cid = crypto.randomUUID();
  state.client.publish({
    destination: `/app/chat/room/${state.room}`,
    body: JSON.stringify({ nick: state.nick, text, cid }),
    headers: { 'content-type': 'application/json' },
  });
  // Shown at once, greyed until the server's stamped copy replaces it.
  const bubble = renderMessage({ nick: state.nick, text, ts: Date.now(), session: state.session });
  bubble.classList.add('pending');
  bubble.title = state.client.connected ? 'sending…' : 'will be sent when the connection is back';
  state.pending.set(cid, bubble);
  append(bubble);
  $('text').value = '';
});

$('new-room').addEventListener('submit', (e) => {
  e.preventDefault();
  const room = $('new-room-name').value.trim().toLowerCase();
  if (!ROOM_RE.test(room) || !state.client?.connected) return;
  $('new-room-name').value = '';
  enterRoom(room);
});

$('disconnect').addEventListener('click', async () => {
  const client = state.client;
  if (!client) return;
  if (client.connected) {
    client.publish({ destination: `/app/chat/room/${state.room}/leave`, body: JSON.stringify({ nick: state.nick }) });
  }
  state.subs = {};
  state.joined = null;
  await client.deactivate();
  state.client = null;
  $('app').dataset.state = 'idle';
  $('text').disabled = true;
  $('send').disabled = true;
  setStatus('idle', 'not connected');
  refreshFacts();
});

// ---------- start ----------

$('nick').value = params.get('nick') ?? localStorage.getItem('nick') ?? '';
const askedTransport = params.get('transport');
renderRooms();
try {
  await loadClient();
  if (askedTransport) {
    const opt = [...$('transport').options].find((o) => o.value === askedTransport && !o.disabled);
    if (opt) $('transport').value = askedTransport;
    else $('transport-hint').textContent += ` Asked for ${askedTransport}: not available in this build.`;
  }
  if (params.has('autoconnect') && $('nick').value.trim()) $('join').requestSubmit();
} catch (err) {
  console.error(err);
  $('join-btn').disabled = true;
  $('join-error').textContent =
    `Could not load the client from ./pkg/ (${err?.message ?? err}). Build it with scripts/build-pkg.sh and copy pkg/ to www/pkg/ (scripts/run.sh does both).`;
}

// HTTP proxies that treat WebSockets and streaming responses the way corporate proxies do, put in
// front of a broker by the test supervisor (tests/support/supervisor.mjs) and used by the
// fallback benchmark (scripts/bench-sockjs.sh).
//
//   const p = await proxy('127.0.0.1:8080', { upgrade: 'refuse', buffer: true });
//   p.url   // http://127.0.0.1:N, to be used in place of the broker's http://…
//   p.close()
//
// upgrade: what happens to a WebSocket upgrade request
//   'close'    the connection is destroyed at once (a proxy that drops what it does not know)
//   'swallow'  no answer ever; the socket stays open until the client gives up
//   'refuse'   an HTTP error status (403 by default, `refuseStatus`) and the connection ends,
//              as a proxy whose policy forbids WebSockets answers
// buffer: each response is held until the upstream response ends, then sent in one piece with
//   a content-length (as reverse proxies that buffer responses do): streaming responses
//   (xhr-streaming, eventsource) deliver nothing while they stay open, so only polling works.
//   Without it, responses stream through untouched.
// maxBuffer: the most a buffered response may hold (bytes, default 1 MiB); past it the
//   upstream response is dropped and the client gets a 502, so a response that never ends
//   cannot make the proxy eat memory.
import { createServer, request } from 'node:http';

const LOOPBACK = '127.0.0.1';

/** Headers that describe one hop's framing: a buffered response is re-framed by its length. */
const HOP_BY_HOP = new Set(['transfer-encoding', 'content-length', 'connection', 'keep-alive']);

const STATUS_TEXT = { 400: 'Bad Request', 403: 'Forbidden', 502: 'Bad Gateway' };

/** An HTTP proxy to `target` (host:port) on a free loopback port; see the top of this file. */
export async function proxy(target, { upgrade = 'close', buffer = false, maxBuffer = 1 << 20, refuseStatus = 403 } = {}) {
  if (!['close', 'swallow', 'refuse'].includes(upgrade)) throw new TypeError(`upgrade: 'close', 'swallow' or 'refuse', not ${upgrade}`);
  const colon = target.lastIndexOf(':');
  const host = target.slice(0, colon);
  const port = Number(target.slice(colon + 1));
  const held = new Set();

  const server = createServer((req, res) => {
    let failed = false;
    const fail = (e) => {
      if (failed) return;
      failed = true;
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy: ${e.message}`);
      } else {
        res.destroy();
      }
    };
    const upstream = request({ host, port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      if (!buffer) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      const chunks = [];
      let size = 0;
      up.on('data', (chunk) => {
        if (failed) return;
        size += chunk.length;
        if (size > maxBuffer) {
          // Dropped, not truncated: a cut response would look like a valid shorter one.
          chunks.length = 0;
          upstream.destroy();
          fail(new Error(`response over ${maxBuffer} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      up.on('end', () => {
        if (failed || res.headersSent || res.destroyed) return;
        const headers = {};
        for (const [name, value] of Object.entries(up.headers)) {
          if (!HOP_BY_HOP.has(name)) headers[name] = value;
        }
        headers['content-length'] = String(size);
        res.writeHead(up.statusCode ?? 502, headers);
        res.end(Buffer.concat(chunks, size));
      });
      up.on('error', fail);
    });
    upstream.on('error', fail);
    // The client went away (an abandoned stream): the upstream request goes too, and with it
    // whatever was buffered.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });

  server.on('upgrade', (req, socket) => {
    held.add(socket);
    socket.on('close', () => held.delete(socket));
    socket.on('error', () => {});
    if (upgrade === 'close') {
      socket.destroy();
    } else if (upgrade === 'refuse') {
      const body = 'WebSocket upgrades are not allowed\n';
      socket.end(
        `HTTP/1.1 ${refuseStatus} ${STATUS_TEXT[refuseStatus] ?? 'Refused'}\r\n` +
          `content-type: text/plain\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
      );
    }
    // 'swallow': nothing, until close() or the client ends it.
  });

  await new Promise((resolve) => server.listen(0, LOOPBACK, resolve));
  return {
    url: `http://${LOOPBACK}:${server.address().port}`,
    close() {
      for (const s of held) s.destroy();
      server.close();
      server.closeAllConnections?.();
    },
  };
}

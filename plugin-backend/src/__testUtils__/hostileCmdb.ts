/*
 * A hostile CMDB on loopback, in the test's own process: answers that would take a backend down if the
 * validator read them naively. Started and stopped by the test (`startHostileCmdb()` / `close()`).
 *
 *   /huge/...      200, `Content-Length: 2147483648` (2 GiB), then body bytes as fast as the socket takes them
 *   /endless/...   200, chunked, a body that never ends
 *   /drip/...      200, one byte every 250 ms, never finished
 *   /gateway/...   404 with an HTML page (a gateway or load balancer, not the CMDB's JSON API)
 *   /redirect/...  302 to the same path on ANOTHER origin (`otherUrl`, another port), which answers with
 *                  a valid-looking ServiceNow record
 *
 * Every request is recorded with its Authorization header (`seen`), so a test can tell what reached
 * which origin.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  origin: 'cmdb' | 'other';
  path: string;
  authorization: string | null;
}

export interface HostileCmdb {
  /** The hostile CMDB, e.g. http://127.0.0.1:PORT */
  url: string;
  /** The other origin `/redirect/` sends requests to. */
  otherUrl: string;
  seen: SeenRequest[];
  /** Bytes of body written so far, per route prefix (e.g. 'huge'). */
  sent: Record<string, number>;
  close(): Promise<void>;
}

const GIB = 1024 * 1024 * 1024;

function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}` });
    });
  });
}

/** Writes `chunk` until `total` bytes went out or the client went away, honouring back-pressure. */
function pump(res: http.ServerResponse, chunk: Buffer, total: number, count: (n: number) => void): void {
  let written = 0;
  const go = () => {
    while (!res.destroyed && written < total) {
      written += chunk.length;
      count(chunk.length);
      if (!res.write(chunk)) {
        res.once('drain', go);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  go();
}

export async function startHostileCmdb(): Promise<HostileCmdb> {
  const seen: SeenRequest[] = [];
  const sent: Record<string, number> = {};
  const timers = new Set<ReturnType<typeof setInterval>>();
  const record = (origin: SeenRequest['origin'], req: http.IncomingMessage) =>
    seen.push({ origin, path: req.url ?? '', authorization: req.headers.authorization ?? null });

  const other = await listen((req, res) => {
    record('other', req);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ result: [{ number: 'APM0001234', name: 'Not the CMDB', install_status: '1' }] }));
  });

  const cmdb = await listen((req, res) => {
    record('cmdb', req);
    const route = (req.url ?? '/').split('/')[1] ?? '';
    const count = (n: number) => {
      sent[route] = (sent[route] ?? 0) + n;
    };
    // Body bytes that are valid JSON so far: a reader that buffers "until the end" keeps buffering.
    const filler = Buffer.alloc(1024 * 1024, ' ');
    switch (route) {
      case 'huge':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(2 * GIB) });
        res.write('{"result":[');
        pump(res, filler, 2 * GIB - 11, count);
        return;
      case 'endless':
        res.writeHead(200, { 'content-type': 'application/json' }); // no length: chunked
        res.write('{"result":[');
        pump(res, filler, Number.POSITIVE_INFINITY, count);
        return;
      case 'drip': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const timer = setInterval(() => {
          if (res.destroyed) {
            clearInterval(timer);
            timers.delete(timer);
            return;
          }
          count(1);
          res.write(' ');
        }, 250);
        timers.add(timer);
        res.write('{');
        return;
      }
      case 'gateway':
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end('<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><hr>nginx</body></html>');
        return;
      case 'redirect':
        res.writeHead(302, { location: `${other.url}${req.url}` });
        res.end();
        return;
      default:
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`no such hostile route: ${req.url}`);
    }
  });

  const stop = (server: http.Server) =>
    new Promise<void>(resolve => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    url: cmdb.url,
    otherUrl: other.url,
    seen,
    sent,
    async close() {
      for (const t of timers) clearInterval(t);
      timers.clear();
      await Promise.all([stop(cmdb.server), stop(other.server)]);
    },
  };
}

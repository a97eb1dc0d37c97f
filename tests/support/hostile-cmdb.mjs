// Hostile CMDB answers, served by tests/support/fake-cmdb.mjs as scenarios (/scenario/<name>/...),
// so that every test target (WASM in Node and Chromium, the npm package, the CLI, the Backstage
// backend) reaches them through the one fake CMDB it already starts. Node 20, no dependencies.
//
//   huge            200 application/json, Content-Length: 2147483648 (2 GiB); sends 11 bytes, then nothing
//   endless         200 application/json, chunked, never ends: 64 KiB chunks as fast as the client
//                   reads, at most one chunk per millisecond (tens of MB/s, so that a client without a
//                   cap fails slowly rather than taking the test machine down)
//   drip            200 application/json, chunked, one byte per second, never ends
//   html404         404 text/html, a gateway's "404 Not Found" page (on every endpoint)
//   redirect-other  302 to the same path on ANOTHER origin (a second fake CMDB listener, another
//                   port), which answers normally: a client that follows it sees a valid answer
//   redirect-file   302 to file:///etc/passwd
//   redirect-same   302 to the same path without the scenario prefix on this origin (answers normally)
//   429-zero        429 with Retry-After: 0, always

export const HOSTILE = ['huge', 'endless', 'drip', 'html404', 'redirect-other', 'redirect-file', 'redirect-same', '429-zero'];

const GATEWAY_404 = `<html>
<head><title>404 Not Found</title></head>
<body>
<center><h1>404 Not Found</h1></center>
<hr><center>nginx</center>
</body>
</html>
`;

/**
 * Answer a hostile scenario. `ctx`: { scenario, res, path (without the scenario prefix), search
 * ('' or '?...'), other (the other origin's URL), timers (a Set cleared when the server closes) }.
 * Returns true when it answered.
 */
export function answerHostile({ scenario, res, path, search, other, timers }) {
  const json = { 'Content-Type': 'application/json; charset=utf-8' };
  const every = (ms, fn) => {
    const t = setInterval(fn, ms);
    timers.add(t);
    res.on('close', () => { clearInterval(t); timers.delete(t); });
  };
  switch (scenario) {
    case 'huge':
      res.writeHead(200, { ...json, 'Content-Length': String(2 ** 31) });
      res.write('{"result":[');
      return true;
    case 'endless': {
      res.writeHead(200, json);
      res.write('{"result":[');
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let waiting = false;
      every(1, () => {
        if (waiting || res.destroyed) return;
        if (!res.write(chunk)) {
          waiting = true;
          res.once('drain', () => { waiting = false; });
        }
      });
      return true;
    }
    case 'drip':
      res.writeHead(200, json);
      res.write('{');
      every(1000, () => res.write(' '));
      return true;
    case 'html404':
      res.writeHead(404, { 'Content-Type': 'text/html' });
      res.end(GATEWAY_404);
      return true;
    case 'redirect-other':
      res.writeHead(302, { Location: `${other}${path}${search}` });
      res.end();
      return true;
    case 'redirect-file':
      res.writeHead(302, { Location: 'file:///etc/passwd' });
      res.end();
      return true;
    case 'redirect-same':
      res.writeHead(302, { Location: `${path}${search}` });
      res.end();
      return true;
    case '429-zero':
      res.writeHead(429, { ...json, 'Retry-After': '0' });
      res.end(JSON.stringify({ error: { message: 'Rate limit exceeded', detail: 'Retry-After: 0' }, status: 'failure' }));
      return true;
    default:
      return false;
  }
}

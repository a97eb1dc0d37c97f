// The WASM edge's I/O (src/wasm/lookup.rs imports this module through wasm-bindgen; it is copied into
// pkg/<target>/snippets/): perform one lookup request with `fetch`. Failures come back as plain
// data, `[code, detail]`, which src/wasm/lookup.rs maps to the core's faults and words there:
//   t timeout        l body over the cap       r redirected to the origin `detail`
//   p redirected to a `detail` (protocol) URL  o a redirect the browser would not follow
//   s invalid status (`detail`: it, as JSON)  h more than 5 redirects   f no fetch function
//   x not a Response  e no body to read        b a chunk without bytes   n network (`detail`)
// An answer is `[status, body, ...values of the headers named in `names`]`.
// Plain JavaScript with no syntax beyond ES2017 and no import: bundlers and browsers load it as is.

const TIMEOUT = {};

class Stop {
  constructor(code, detail) {
    this.fault = [code, detail];
  }
}

const isObject = (x) => x !== null && typeof x === 'object';

function fault(e) {
  if (e instanceof Stop) return e.fault;
  const name = isObject(e) ? e.name : undefined;
  if (name === 'TimeoutError' || name === 'AbortError') return ['t'];
  let msg = isObject(e) ? e.message : undefined;
  if (typeof msg !== 'string') msg = typeof e === 'string' ? e : 'unknown error';
  const cause = isObject(e) && isObject(e.cause) ? e.cause.message : undefined;
  return [
    'n',
    typeof cause === 'string' && cause !== '' && cause !== msg ? `${msg} (${cause})` : msg,
  ];
}

/** Cancel a body stream or reader, whatever its promise does. */
function cancel(stream) {
  try {
    if (isObject(stream) && typeof stream.cancel === 'function') {
      Promise.resolve(stream.cancel()).catch(() => {});
    }
  } catch (_) {
    // nothing left to stop
  }
}

function header(resp, name) {
  try {
    const v = resp.headers.get(name);
    return typeof v === 'string' ? v : undefined;
  } catch (_) {
    return undefined;
  }
}

function url(u, base) {
  try {
    return new URL(u, base);
  } catch (_) {
    return undefined;
  }
}

/**
 * One request (`method` GET unless given, with `body`; a request other than GET follows no
 * redirect: its 3xx is the answer) within `timeoutMs`: request, redirects
 * and body together race one timer, whether or not the fetch function honours its signal (which
 * is aborted, and the body cancelled, when the request fails or time is up). The body is capped
 * at `cap` bytes: by `Content-Length` up front, then while reading. Only the planned origin
 * answers: Node reveals redirects with `redirect: 'manual'`, so each hop is followed here and
 * checked; browsers hide them (an opaque redirect), so there the browser follows and the final
 * URL is checked. Never rejects.
 */
export async function request(fetch, target, headers, timeoutMs, cap, names, method, body, auth) {
  let func = fetch;
  let self;
  if (typeof func !== 'function') {
    func = globalThis.fetch;
    self = globalThis;
    if (typeof func !== 'function') return ['f'];
  }
  const init = { method: method || 'GET', headers: {} };
  for (let i = 0; i + 1 < headers.length; i += 2) init.headers[headers[i]] = headers[i + 1];
  if (body !== undefined) init.body = body;
  let ctl;
  try {
    ctl = new AbortController();
    init.signal = ctl.signal;
  } catch (_) {
    // no AbortController: the timer alone ends the request
  }
  let id;
  const timer = new Promise((resolve) => {
    id = setTimeout(resolve, timeoutMs, TIMEOUT);
  });
  const race = async (p) => {
    const v = await Promise.race([p, timer]);
    if (v === TIMEOUT) throw new Stop('t');
    return v;
  };
  // What to cancel if we stop early: the body stream, or its reader once reading.
  const open = { body: undefined };
  try {
    return await exchange(func, self, target, init, race, cap, names, open, auth);
  } catch (e) {
    if (ctl) ctl.abort();
    cancel(open.body);
    return fault(e);
  } finally {
    clearTimeout(id);
  }
}

async function exchange(func, self, target, init, race, cap, names, open, auth) {
  const follow = init.method === 'GET';
  const loc = isObject(globalThis.location) ? globalThis.location.href : undefined;
  const first = url(target, loc);
  const planned = first && first.origin;
  let opaque = false;
  let at = target;
  let resp;
  for (let hops = 0; ; hops += 1) {
    if (hops > 5) throw new Stop('h');
    init.redirect = opaque ? 'follow' : 'manual';
    // The credential, on the hops the core allows it on (auth is the core's decision, per URL).
    if (typeof auth === 'function') {
      const a = auth(at);
      if (typeof a === 'string') init.headers.Authorization = a;
      else delete init.headers.Authorization;
    }
    const call = func.call(self, at, init);
    try {
      resp = await race(call);
    } catch (e) {
      const f = fault(e);
      if (opaque && f[0] === 'n') throw new Stop('o');
      throw e;
    }
    if (!isObject(resp)) throw new Stop('x');
    open.body = resp.body;
    if (resp.type === 'opaqueredirect' && !opaque && follow) {
      opaque = true;
      continue;
    }
    const status = resp.status;
    const code = typeof status === 'number' ? status : -1;
    if (!(code >= 100 && code <= 599) || code % 1 !== 0) {
      let shown;
      try {
        shown = JSON.stringify(status);
      } catch (_) {
        // a BigInt
      }
      throw new Stop('s', typeof shown === 'string' ? shown : 'undefined');
    }
    const location = follow && code >= 300 && code < 400 ? header(resp, 'location') : undefined;
    // Followed by the fetch function (a browser, or one that ignores `redirect`): where did it
    // end? (An empty URL: a hand-made Response, nothing to check.)
    const next =
      location !== undefined
        ? url(location, at)
        : typeof resp.url === 'string' && resp.url !== ''
          ? url(resp.url)
          : undefined;
    if (next && planned !== undefined) {
      if (next.origin !== planned || !next.protocol.startsWith('http')) {
        throw next.protocol === 'http:' || next.protocol === 'https:'
          ? new Stop('r', next.origin)
          : new Stop('p', next.protocol);
      }
    }
    if (next && location !== undefined) {
      cancel(open.body);
      at = next.href;
      continue;
    }
    const length = header(resp, 'content-length');
    if (length !== undefined && /^\+?\d+$/.test(length.trim()) && Number(length.trim()) > cap) {
      throw new Stop('l');
    }
    const text = await read(resp, race, cap, open);
    const out = [code, text];
    for (const name of names.split(' ')) out.push(header(resp, name));
    return out;
  }
}

async function read(resp, race, cap, open) {
  const stream = open.body;
  let reader;
  try {
    if (isObject(stream) && typeof stream.getReader === 'function') reader = stream.getReader();
  } catch (_) {
    // not a stream after all: fall back to text()
  }
  if (reader === undefined) {
    if (typeof resp.text !== 'function') throw new Stop('e');
    let p;
    try {
      p = resp.text();
    } catch (_) {
      throw new Stop('e');
    }
    let text = await race(p);
    if (typeof text !== 'string') text = '';
    if (text.length * 3 > cap && new TextEncoder().encode(text).length > cap) throw new Stop('l');
    return text;
  }
  open.body = reader;
  const chunks = [];
  let total = 0;
  for (;;) {
    const chunk = await race(reader.read());
    if (isObject(chunk) && chunk.done) break;
    const bytes = isObject(chunk) ? chunk.value : undefined;
    if (!isObject(bytes)) throw new Stop('b');
    if (total + bytes.length > cap) throw new Stop('l');
    total += bytes.length;
    chunks.push(bytes);
  }
  open.body = undefined;
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  // As Rust's from_utf8_lossy: invalid sequences become U+FFFD, a leading BOM is kept.
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(all);
}

/** Resolves after `ms` (the one-tick batching uses 0, the 429 retries what the core says). */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise that resolves when `signal` aborts (at once if it has), or undefined without one. */
export function whenAborted(signal) {
  if (!isObject(signal) || typeof signal.addEventListener !== 'function') return undefined;
  return new Promise((resolve) => {
    if (signal.aborted === true) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

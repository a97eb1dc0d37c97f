#!/usr/bin/env node
// Fake CMDB: a local HTTP server for every asset-id test target. Node 20, ESM, no dependencies.
//
// Module:  const cmdb = await startFakeCmdb({ port?: 0, records?: [{id,name,status,owner,install_status}] });
//          cmdb.url ("http://127.0.0.1:PORT"), cmdb.port, cmdb.stats(), cmdb.reset(), await cmdb.close()
// CLI:     node tests/support/fake-cmdb.mjs [--port N] [--exit-on-stdin-close]
//          prints exactly one line "listening http://127.0.0.1:PORT", stops on SIGTERM/SIGINT
//          (and on stdin EOF with --exit-on-stdin-close, so a dying parent never leaks it).
//
// Data: examples/registry/assets.csv by default. Table API rows are
//   { number: id, name, install_status, operational_status: status==='retired' ? '6' : '1',
//     owned_by: owner, sys_id: md5(id) as 32 hex }   (owned_by is a plain string, as with
//   sysparm_exclude_reference_link=true, whether or not the flag is sent).
//
// Endpoints (each optionally prefixed by /scenario/<name>; no prefix = "ok"):
//   GET /api/now/table/<table>   (also /api/now/v2/table/<table>; any table name serves the same rows)
//       sysparm_query: parts joined by '^'; understood: <field>IN<a>,<b>  <field>LIKE<v> (contains)  <field>=<v>  <field>!=<v>
//       <field>ISEMPTY  <field>ISNOTEMPTY, an 'OR' prefix (^ORfield=..) ORs with the previous condition,
//       ORDERBY<field> / ORDERBYDESC<field>. Like a real instance, anything else (unknown field,
//       unknown operator) is silently ignored, and string comparisons are CASE-INSENSITIVE
//       (so clients must filter rows on exact idField equality themselves).
//       sysparm_fields (comma list; unknown names omitted), sysparm_limit, sysparm_offset.
//       -> 200 {"result":[rows]}
//   GET /assets/<id>             -> 200 {"data":{id,name,status,owner}} | 404 {"error":"not found"} (exact id)
//   GET /registry.json           -> [{id,name,status,owner,install_status}]
//   GET /registry.csv            -> the CSV (the file itself for default records)
//   GET /__stats                 -> {"requests": n, "peak": m, "log": [{method, path, query, sysparm_query}]}
//                                   (path and query percent-decoded; every non-/__ request is logged
//                                   BEFORE any delay or scenario handling; CORS preflights are not logged;
//                                   peak = most logged requests open at once, e.g. a client's concurrency)
//   POST /__reset                -> clears the log, the peak and the 429 memory
//   anything else                -> 404 {"error":"..."}; unknown scenario -> 404 {"error":"unknown scenario ..."}
//
// Scenarios:
//   ok           normal answers
//   slow         waits header x-fake-delay ms, else ?delay= ms, else 3000 ms, then answers normally
//   500          500 {"error":{"message","detail"},"status":"failure"}
//   401, 403     ServiceNow-style JSON error bodies (401 also sends WWW-Authenticate)
//   429          first request per distinct path+query: 429 + Retry-After: 1; repeats answer normally
//   429-forever  always 429 + Retry-After: 30
//   html         200 text/html SSO login page
//   malformed    200 application/json with a truncated JSON body
//   wrongrows    Table API: ignores the query, returns the first 3 rows of the data set
//   duplicates   Table API and registry: every matching row/record twice
// wrongrows/duplicates answer normally on /assets/<id>. All responses carry permissive CORS headers.
// CSDM life cycle (rows also carry life_cycle_stage / life_cycle_stage_status: 'End of Life' / 'Retired'
// for retired records, else 'Operational' / 'In Use'; install_status and operational_status are then '1',
// so only the CSDM fields tell):
//   csdm          the fields hold the names (plain values)
//   csdm-ref      the fields reference life_cycle_stage(_status) records: a sys_id, the name only when
//                 dot-walked in sysparm_fields (life_cycle_stage_status.name); sysparm_display_value=all
//                 gives { display_value, value } for every field, =true the display value
//   csdm-display  as csdm-ref, but always answers as with sysparm_display_value=all
//   ratelimit-reset  first request per path+query: 429 + X-RateLimit-Reset (epoch seconds, 2 to 3 s ahead),
//                 no Retry-After (ServiceNow's rate limit rules); repeats answer normally
// OAuth 2.0 client credentials:
//   POST /oauth_token.do (any scenario prefix; form body grant_type=client_credentials&client_id&
//       client_secret; the client is OAUTH_CLIENT.id / .secret) -> 200 {access_token, token_type: Bearer,
//       expires_in: 1800, scope} | 401 {error: invalid_client} | 400 {error: unsupported_grant_type |
//       invalid_request}
//   oauth         the Table API needs Authorization: Bearer <a token issued here, not expired>, else 401
//   oauth-expire  as oauth, but a token is accepted for 2 table requests, then 401 (expired early)
// Hostile scenarios (tests/support/hostile-cmdb.mjs): huge (2 GiB Content-Length), endless, drip
// (1 byte/s), html404, redirect-other (another origin: a second listener of this server),
// redirect-file, redirect-same, 429-zero (Retry-After: 0).

import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HOSTILE, answerHostile } from './hostile-cmdb.mjs';

const DEFAULT_CSV = fileURLToPath(new URL('../../examples/registry/assets.csv', import.meta.url));
const DEFAULT_SLOW_MS = 3000;
const SCENARIOS = new Set([
  'ok', 'slow', '500', '401', '403', '429', '429-forever', 'html', 'malformed', 'wrongrows', 'duplicates',
  'csdm', 'csdm-ref', 'csdm-display', 'ratelimit-reset', 'oauth', 'oauth-expire',
  ...HOSTILE,
]);

/** The one OAuth client the token endpoint accepts. */
export const OAUTH_CLIENT = { id: 'asset-id-client', secret: 's3cret-client' };
const CSDM_STAGE_IDS = { 'End of Life': sysIdFor('stage:End of Life'), Operational: sysIdFor('stage:Operational') };
const CSDM_STATUS_IDS = { Retired: sysIdFor('status:Retired'), 'In Use': sysIdFor('status:In Use') };

const SSO_PAGE = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in - Corporate SSO</title></head>
<body>
  <form method="post" action="/sso/login">
    <h1>Sign in to continue</h1>
    <label>Username <input name="username"></label>
    <label>Password <input name="password" type="password"></label>
    <button type="submit">Sign in</button>
  </form>
</body>
</html>
`;

/** Minimal RFC 4180 CSV parser (quotes, doubled quotes, CRLF). Returns objects keyed by the header row. */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); field = '';
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  const [header = [], ...body] = rows;
  const names = header.map((h) => h.replace(/^\uFEFF/, '').trim());
  return body.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i] ?? ''])));
}

function toCsv(records) {
  const cols = ['id', 'name', 'status', 'owner', 'install_status'];
  const esc = (v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [cols.join(','), ...records.map((r) => cols.map((c) => esc(String(r[c] ?? ''))).join(','))].join('\n') + '\n';
}

/** Stable 32-hex sys_id derived from the asset id. */
export function sysIdFor(id) {
  return createHash('md5').update(String(id)).digest('hex');
}

function toRow(r) {
  return {
    number: r.id,
    name: r.name,
    install_status: r.install_status,
    operational_status: r.status === 'retired' ? '6' : '1',
    owned_by: r.owner,
    sys_id: sysIdFor(r.id),
  };
}

const lower = (v) => String(v ?? '').toLowerCase();

/** Parse one sysparm_query part into a predicate over a row, or null if not understood. */
function parseCondition(part, knownFields) {
  const m = /^([a-z_][a-z0-9_.]*?)(ISNOTEMPTY|ISEMPTY|LIKE|IN|!=|=)(.*)$/s.exec(part);
  if (!m || !knownFields.has(m[1])) return null; // unknown field or operator: ignored, like an instance
  const [, field, op, arg] = m;
  switch (op) {
    case 'IN': {
      const set = new Set(arg.split(',').map(lower));
      return (row) => set.has(lower(row[field]));
    }
    case 'LIKE': return (row) => lower(row[field]).includes(lower(arg));
    case '=': return (row) => lower(row[field]) === lower(arg);
    case '!=': return (row) => lower(row[field]) !== lower(arg);
    case 'ISEMPTY': return arg === '' ? (row) => !row[field] : null;
    case 'ISNOTEMPTY': return arg === '' ? (row) => !!row[field] : null;
    default: return null;
  }
}

/** Apply a ServiceNow encoded query to rows (filter + order). */
export function applyQuery(rows, query) {
  if (!query) return rows.slice();
  const knownFields = new Set(rows.flatMap((r) => Object.keys(r)));
  const groups = []; // AND of groups; each group is an OR of predicates
  const orders = [];
  for (const part of query.split('^')) {
    if (part.startsWith('ORDERBYDESC')) { orders.push({ field: part.slice(11), desc: true }); continue; }
    if (part.startsWith('ORDERBY')) { orders.push({ field: part.slice(7), desc: false }); continue; }
    const isOr = part.startsWith('OR') && groups.length > 0;
    const pred = parseCondition(isOr ? part.slice(2) : part, knownFields);
    if (!pred) continue;
    if (isOr) groups[groups.length - 1].push(pred);
    else groups.push([pred]);
  }
  const out = rows.filter((row) => groups.every((g) => g.some((p) => p(row))));
  for (const { field, desc } of orders.reverse()) {
    if (!knownFields.has(field)) continue;
    out.sort((a, b) => String(a[field] ?? '').localeCompare(String(b[field] ?? '')) * (desc ? -1 : 1));
  }
  return out;
}

function safeDecode(s) {
  try { return decodeURIComponent(s); } catch { return s; }
}

function snError(message, detail) {
  return { error: { message, detail }, status: 'failure' };
}

/**
 * Start the fake CMDB on 127.0.0.1.
 * @param {{ port?: number, records?: Array<Record<string,string>> }} [opts]
 */
export async function startFakeCmdb(opts = {}) {
  const defaultCsv = opts.records ? null : readFileSync(DEFAULT_CSV, 'utf8');
  const records = (opts.records ?? parseCsv(defaultCsv)).map((r) => ({ ...r }));
  const rows = records.map(toRow);
  const csvText = defaultCsv ?? toCsv(records);

  let log = [];
  let seen429 = new Set();
  const tokens = new Map(); // access token -> { expires, uses }
  let tokenCount = 0;
  let open = 0;
  let peak = 0;
  let other = ''; // the second listener's URL (another origin), for redirect-other
  const pending = new Set(); // delay timers, cleared on close

  function send(res, status, body, headers = {}) {
    const isString = typeof body === 'string';
    res.writeHead(status, {
      'Content-Type': isString ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      ...headers,
    });
    res.end(isString ? body : JSON.stringify(body));
  }

  /** Non-ok scenarios that answer the same way on every endpoint; returns true if it answered. */
  function answerFailureScenario(scenario, req, res, truncatedBody) {
    switch (scenario) {
      case '500':
        send(res, 500, snError('Internal server error', 'Fake CMDB scenario 500'));
        return true;
      case '401':
        send(res, 401, snError('User Not Authenticated', 'Required to provide Auth information'),
          { 'WWW-Authenticate': 'BASIC realm="Service-now"' });
        return true;
      case '403':
        send(res, 403, snError('User Not Authorized', 'Not sufficient privileges to perform this operation'));
        return true;
      case '429-forever':
        send(res, 429, snError('Rate limit exceeded', 'Too many requests; retry later'), { 'Retry-After': '30' });
        return true;
      case '429':
        if (seen429.has(req.url)) return false;
        seen429.add(req.url);
        send(res, 429, snError('Rate limit exceeded', 'Too many requests; retry later'), { 'Retry-After': '1' });
        return true;
      case 'html':
        send(res, 200, SSO_PAGE, { 'Content-Type': 'text/html; charset=utf-8' });
        return true;
      case 'malformed':
        send(res, 200, truncatedBody, { 'Content-Type': 'application/json; charset=utf-8' });
        return true;
      default:
        return false;
    }
  }

  /** A row as a CSDM instance holds it (names; `ref`: sys_ids plus the dot-walked names). */
  function csdmRow(row, ref) {
    const retired = row.install_status === '7' || row.operational_status === '6';
    const stage = retired ? 'End of Life' : 'Operational';
    const status = retired ? 'Retired' : 'In Use';
    const out = { ...row, install_status: '1', operational_status: '1' };
    if (!ref) return { ...out, life_cycle_stage: stage, life_cycle_stage_status: status };
    return {
      ...out,
      life_cycle_stage: CSDM_STAGE_IDS[stage],
      life_cycle_stage_status: CSDM_STATUS_IDS[status],
      'life_cycle_stage.name': stage,
      'life_cycle_stage_status.name': status,
    };
  }

  function handleTable(scenario, params, res) {
    let result;
    const csdm = scenario === 'csdm' || scenario === 'csdm-ref' || scenario === 'csdm-display';
    const source = csdm ? rows.map((r) => csdmRow(r, scenario !== 'csdm')) : rows;
    if (scenario === 'wrongrows') {
      result = rows.slice(0, 3);
    } else {
      result = applyQuery(source, params.get('sysparm_query'));
      const offset = Number.parseInt(params.get('sysparm_offset') ?? '', 10);
      if (offset > 0) result = result.slice(offset);
      const limit = Number.parseInt(params.get('sysparm_limit') ?? '', 10);
      if (limit >= 0) result = result.slice(0, limit);
      if (scenario === 'duplicates') result = result.flatMap((r) => [r, r]);
    }
    const fields = (params.get('sysparm_fields') ?? '').split(',').map((f) => f.trim()).filter(Boolean);
    if (fields.length) {
      result = result.map((r) => Object.fromEntries(fields.filter((f) => f in r).map((f) => [f, r[f]])));
    } else if (csdm) {
      result = result.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.includes('.'))));
    }
    if (scenario === 'csdm-ref' || scenario === 'csdm-display') {
      const display = scenario === 'csdm-display' ? 'all' : params.get('sysparm_display_value');
      const names = Object.fromEntries([...Object.entries(CSDM_STAGE_IDS), ...Object.entries(CSDM_STATUS_IDS)]
        .map(([name, id]) => [id, name]));
      const shown = (v) => names[v] ?? v;
      if (display === 'all') {
        result = result.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { display_value: shown(v), value: v }])));
      } else if (display === 'true') {
        result = result.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, shown(v)])));
      }
    }
    send(res, 200, { result });
  }

  /** POST /oauth_token.do: client credentials grant. */
  function handleToken(req, res) {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 65536) req.destroy();
    });
    req.on('end', () => {
      const type = String(req.headers['content-type'] ?? '');
      if (!type.startsWith('application/x-www-form-urlencoded')) {
        return send(res, 400, { error: 'invalid_request', error_description: `content type ${type}` });
      }
      const form = new URLSearchParams(body);
      if (form.get('grant_type') !== 'client_credentials') {
        return send(res, 400, { error: 'unsupported_grant_type', error_description: 'client_credentials only' });
      }
      if (form.get('client_id') !== OAUTH_CLIENT.id || form.get('client_secret') !== OAUTH_CLIENT.secret) {
        return send(res, 401, { error_description: 'access_denied', error: 'invalid_client' });
      }
      tokenCount += 1;
      const token = `fake-token-${tokenCount}-${sysIdFor(String(Math.random())).slice(0, 12)}`;
      tokens.set(token, { expires: Date.now() + 1800 * 1000, uses: 0 });
      send(res, 200, { access_token: token, scope: 'useraccount', token_type: 'Bearer', expires_in: 1800 });
    });
  }

  /** Whether a table request of an oauth scenario carries a live token (counts its use). */
  function bearerOk(scenario, req) {
    const m = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''));
    const t = m && tokens.get(m[1]);
    if (!t || t.expires < Date.now()) return false;
    t.uses += 1;
    return scenario !== 'oauth-expire' || t.uses <= 2;
  }

  function handleAsset(id, res) {
    const r = records.find((x) => x.id === id);
    if (!r) return send(res, 404, { error: 'not found' });
    send(res, 200, { data: { id: r.id, name: r.name, status: r.status, owner: r.owner } });
  }

  function handle(req, res) {
    const url = new URL(req.url, 'http://127.0.0.1');
    const rawPath = url.pathname;
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Retry-After, X-RateLimit-Reset');

    if (req.method === 'OPTIONS') { // CORS preflight for browser tests; not a CMDB request
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
        'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '*',
        'Access-Control-Max-Age': '600',
      });
      return res.end();
    }

    // Introspection endpoints: never logged.
    if (rawPath.startsWith('/__')) {
      if (rawPath === '/__stats' && req.method === 'GET') return send(res, 200, stats());
      if (rawPath === '/__reset' && req.method === 'POST') { reset(); return send(res, 200, { ok: true }); }
      return send(res, 404, { error: `no such endpoint: ${req.method} ${rawPath}` });
    }

    // Record first, before any delay or scenario handling.
    const rawQuery = url.search.slice(1);
    const params = url.searchParams;
    log.push({
      method: req.method,
      path: safeDecode(rawPath),
      query: safeDecode(rawQuery.replace(/\+/g, ' ')),
      sysparm_query: params.get('sysparm_query'),
    });
    open += 1;
    peak = Math.max(peak, open);
    res.on('close', () => { open -= 1; });

    let scenario = 'ok';
    let path = rawPath;
    const sm = /^\/scenario\/([^/]+)(\/.*)?$/.exec(rawPath);
    if (sm) {
      scenario = safeDecode(sm[1]);
      path = sm[2] ?? '/';
      if (!SCENARIOS.has(scenario)) return send(res, 404, { error: `unknown scenario: ${scenario}` });
    }

    if (path === '/oauth_token.do') {
      if (req.method !== 'POST') return send(res, 405, { error: 'method not allowed' }, { Allow: 'POST' });
      return handleToken(req, res);
    }
    const table = /^\/api\/now(?:\/v\d+)?\/table\/([^/]+)$/.exec(path);
    const asset = /^\/assets\/([^/]+)$/.exec(path);
    const registry = path === '/registry.json' || path === '/registry.csv';
    if (!table && !asset && !registry) return send(res, 404, { error: `no such endpoint: ${req.method} ${rawPath}` });
    if (req.method !== 'GET') return send(res, 405, { error: `method not allowed: ${req.method}` }, { Allow: 'GET' });

    const respond = () => {
      if (answerHostile({ scenario, res, path, search: url.search, other, timers: pending })) return;
      const truncated = table ? '{"result":[{"number":"APM00' : asset ? '{"data":{"id":"APM00' : '[{"id":"APM00';
      if (answerFailureScenario(scenario, req, res, truncated)) return;
      if (scenario === 'ratelimit-reset' && !seen429.has(req.url)) {
        seen429.add(req.url);
        return send(res, 429, snError('Rate limit exceeded', 'Too many requests; retry later'),
          { 'X-RateLimit-Reset': String(Math.ceil(Date.now() / 1000) + 2) });
      }
      if ((scenario === 'oauth' || scenario === 'oauth-expire') && !bearerOk(scenario, req)) {
        return send(res, 401, snError('User Not Authenticated', 'Required to provide Auth information'),
          { 'WWW-Authenticate': 'Bearer realm="Service-now"' });
      }
      if (table) return handleTable(scenario, params, res);
      if (asset) return handleAsset(safeDecode(asset[1]), res);
      const dup = scenario === 'duplicates';
      if (path === '/registry.json') return send(res, 200, dup ? records.flatMap((r) => [r, r]) : records);
      return send(res, 200, dup ? toCsv(records.flatMap((r) => [r, r])) : csvText,
        { 'Content-Type': 'text/csv; charset=utf-8' });
    };

    if (scenario === 'slow') {
      const ms = Number.parseInt(req.headers['x-fake-delay'] ?? params.get('delay') ?? '', 10);
      const timer = setTimeout(() => { pending.delete(timer); respond(); }, ms >= 0 ? ms : DEFAULT_SLOW_MS);
      pending.add(timer);
      res.on('close', () => { clearTimeout(timer); pending.delete(timer); }); // client gave up
      return;
    }
    respond();
  }

  function stats() {
    return { requests: log.length, peak, log: log.map((e) => ({ ...e })) };
  }

  function reset() {
    log = [];
    seen429 = new Set();
    peak = open;
  }

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      if (!res.headersSent) send(res, 500, snError('fake-cmdb bug', String(err?.stack ?? err)));
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 1000;

  // The same handler on a second port: another origin, for redirect-other.
  const elsewhere = createServer((req, res) => server.emit('request', req, res));
  elsewhere.keepAliveTimeout = 1000;
  const listen = (s, port) => new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => { s.off('error', reject); resolve(); });
  });
  await listen(server, opts.port ?? 0);
  await listen(elsewhere, 0);
  const { port } = server.address();
  other = `http://127.0.0.1:${elsewhere.address().port}`;

  let closing = null;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    reset,
    close() {
      closing ??= new Promise((resolve) => {
        for (const t of pending) clearTimeout(t);
        pending.clear();
        let left = 2;
        const done = () => { left -= 1; if (left === 0) resolve(); };
        server.close(done);
        elsewhere.close(done);
        server.closeAllConnections();
        elsewhere.closeAllConnections();
      });
      return closing;
    },
  };
}

// ---- CLI -------------------------------------------------------------------------------------------

async function main(argv) {
  let port = 0;
  let exitOnStdinClose = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port' || a.startsWith('--port=')) {
      const v = a.includes('=') ? a.slice(7) : argv[++i];
      port = Number(v);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        process.stderr.write(`fake-cmdb: invalid --port: ${v}\n`);
        process.exit(2);
      }
    } else if (a === '--exit-on-stdin-close') {
      exitOnStdinClose = true;
    } else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node fake-cmdb.mjs [--port N] [--exit-on-stdin-close]\n');
      process.exit(0);
    } else {
      process.stderr.write(`fake-cmdb: unknown argument: ${a}\n`);
      process.exit(2);
    }
  }

  const cmdb = await startFakeCmdb({ port });
  const shutdown = () => cmdb.close().then(() => process.exit(0));
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  if (exitOnStdinClose) {
    process.stdin.on('end', shutdown);
    process.stdin.on('close', shutdown);
    process.stdin.on('error', shutdown);
    process.stdin.resume(); // drain whatever the parent writes; EOF means the parent is gone
  }
  process.stdout.write(`listening ${cmdb.url}\n`);
}

function isMain() {
  try {
    return !!process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1]);
  } catch {
    return false;
  }
}

if (isMain()) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`fake-cmdb: ${err?.message ?? err}\n`);
    process.exit(2);
  });
}

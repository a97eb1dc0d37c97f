// Shared by `npm run demo`, the e2e tests and the benchmark: start the dev app (backstage-cli
// package start, http://localhost:3000) and a stand-in for the asset-id backend plugin (the demo has
// no Backstage backend).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PKG_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = resolve(PKG_DIR, '..');
export const APP_PORT = 3000; // app.baseUrl in app-config.yaml
export const APP_URL = `http://localhost:${APP_PORT}`;
export const PAGE_URL = `${APP_URL}/asset-id`;
export const BACKEND_PORT = 7017; // backend.baseUrl in app-config.yaml
export const PLUGIN_PATH = '/api/asset-id';
const MAX_BODY = 64 * 1024;
/** The demo's `lookup.recordUrl` (the entity card's link to the record; the core fills `record.url`). */
export const DEMO_RECORD_URL = 'https://cmdb.example.com/records/{id}';

/** The demo policy: app-config.yaml `assetId` with examples/registry/assets.json as inline records and a recordUrl. */
export function demoPolicy() {
  const require = createRequire(join(PKG_DIR, 'package.json'));
  const yaml = require('js-yaml');
  const { assetId } = yaml.load(readFileSync(join(PKG_DIR, 'app-config.yaml'), 'utf8'));
  const records = JSON.parse(readFileSync(join(REPO_DIR, 'examples/registry/assets.json'), 'utf8'));
  return { ...assetId, lookup: { source: 'registry', recordUrl: DEMO_RECORD_URL, registry: { records } } };
}

/**
 * What a Backstage backend with the asset-id plugin answers (same contract, no auth check: a demo):
 * GET /api/asset-id/v1/policy and POST /api/asset-id/v1/validate, with CORS for the dev server origin.
 * Verdicts from the npm package `asset-id`. Counts requests by path.
 */
export function startBackendStandIn({ port = BACKEND_PORT, host = '127.0.0.1' } = {}) {
  const require = createRequire(join(PKG_DIR, 'package.json'));
  const { AssetIdValidator } = require('asset-id');
  const policy = demoPolicy();
  const validators = new Map();
  const validatorFor = names => {
    const key = JSON.stringify(names ?? null);
    if (!validators.has(key)) {
      const schemes = names ? policy.schemes.filter(s => names.includes(s.name)) : policy.schemes;
      validators.set(key, new AssetIdValidator({ ...policy, schemes }));
    }
    return validators.get(key);
  };
  const { schemes, maxLength, catalog } = policy;
  const stats = { requests: 0, policy: 0, validate: 0, paths: [] };
  const send = (res, status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const inputError = (res, message) => send(res, 400, { error: { name: 'InputError', message } });
  const server = http.createServer((req, res) => {
    stats.requests += 1;
    const path = (req.url ?? '').split('?')[0];
    stats.paths.push(path);
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
    res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? 'authorization, content-type');
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET' && path === `${PLUGIN_PATH}/v1/policy`) {
      stats.policy += 1;
      send(res, 200, { policy: { schemes, maxLength, catalog } });
      return;
    }
    if (req.method === 'POST' && path === `${PLUGIN_PATH}/v1/validate`) {
      stats.validate += 1;
      let text = '';
      req.setEncoding('utf8');
      req.on('data', chunk => {
        text += chunk;
        if (text.length > MAX_BODY) req.destroy();
      });
      req.on('end', async () => {
        let body;
        try {
          body = JSON.parse(text);
        } catch {
          inputError(res, 'the body is not JSON');
          return;
        }
        const { values, scheme } = body ?? {};
        if (!Array.isArray(values) || values.length < 1 || values.length > 100) {
          inputError(res, 'values must be an array of 1..100 values');
          return;
        }
        const names = scheme === undefined ? undefined : typeof scheme === 'string' ? [scheme] : scheme;
        const known = validatorFor().schemeNames();
        if (names && (!Array.isArray(names) || names.some(n => !known.includes(n)))) {
          inputError(res, `unknown scheme ${JSON.stringify(scheme)}`);
          return;
        }
        const validator = validatorFor(names && names.length > 1 ? names : undefined);
        const results = await validator.validateMany(values, names?.length === 1 ? { scheme: names[0] } : {});
        send(res, 200, { results });
      });
      return;
    }
    send(res, 404, { error: { name: 'NotFoundError', message: `no route ${req.method} ${path}` } });
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolvePromise({ server, stats, close: () => new Promise(r => server.close(() => r())) }));
  });
}

async function waitForHttp(url, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`dev server exited with code ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise(r => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000}s`);
}

export function checkInstalled() {
  const problems = [];
  if (!existsSync(join(PKG_DIR, 'node_modules/.bin/backstage-cli'))) {
    problems.push('plugin-frontend dependencies are not installed: run `npm run ci:install` in plugin-frontend/');
  }
  const require = createRequire(join(PKG_DIR, 'package.json'));
  try {
    require.resolve('asset-id/asset_id_bg.wasm');
  } catch {
    problems.push(
      'the root package `asset-id` is missing or not built: run `make build` at the repository root, then `npm run ci:install` here',
    );
  }
  return problems;
}

/** Throws a clear error when something already listens on the port (another app on :3000, say). */
async function assertFree(port) {
  await new Promise((resolvePromise, reject) => {
    const probe = net.createServer();
    probe.once('error', () =>
      reject(new Error(`port ${port} is already in use: stop what listens there, or start the demo with freePorts`)),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePromise()));
  });
}

/** A port nothing listens on right now. */
async function freePort() {
  return new Promise((resolvePromise, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolvePromise(port));
    });
  });
}

/**
 * Start the demo. Resolves when the dev server answers. `stop()` ends both servers.
 * `freePorts`: run on free ports instead of app-config's 3000 and 7017 (tests and the benchmark, so that
 * another app on this machine cannot answer in the demo's place); otherwise a busy port is an error.
 * The dev server is started as `node .../backstage-cli package start` so the PID held here is the server.
 */
export async function startDemo({ log = true, timeoutMs = 240_000, freePorts = false } = {}) {
  const problems = checkInstalled();
  if (problems.length) throw new Error(problems.join('\n'));
  const appPort = freePorts ? await freePort() : APP_PORT;
  const backendPort = freePorts ? await freePort() : BACKEND_PORT;
  if (!freePorts) {
    await assertFree(appPort);
    await assertFree(backendPort);
  }
  const appUrl = `http://localhost:${appPort}`;
  const configArgs = ['--config', join(PKG_DIR, 'app-config.yaml')];
  let overrideDir;
  if (freePorts) {
    overrideDir = mkdtempSync(join(tmpdir(), 'asset-id-demo-'));
    const override = join(overrideDir, 'app-config.ports.yaml');
    writeFileSync(override, `app:\n  baseUrl: ${appUrl}\nbackend:\n  baseUrl: http://localhost:${backendPort}\n`);
    configArgs.push('--config', override);
  }
  const backend = await startBackendStandIn({ port: backendPort });
  const child = spawn(process.execPath, [join(PKG_DIR, 'node_modules/.bin/backstage-cli'), 'package', 'start', ...configArgs], {
    cwd: PKG_DIR,
    env: { ...process.env, BROWSER: 'none', NODE_OPTIONS: '--max-old-space-size=4096' },
    stdio: log ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: stop() ends the server and its workers, nothing else
  });
  let output = '';
  if (!log) {
    child.stdout.on('data', d => (output += d));
    child.stderr.on('data', d => (output += d));
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await new Promise(r => {
        const t = setTimeout(() => {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
          r();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
    await backend.close();
    if (overrideDir) rmSync(overrideDir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(appUrl, timeoutMs, child);
  } catch (error) {
    await stop();
    throw new Error(`${error.message}\n${output.slice(-4000)}`);
  }
  return { url: `${appUrl}/asset-id`, appUrl, backend, child, stop, output: () => output };
}

const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/** Serve a built app's dist/ like app-backend does (SPA fallback to index.html). */
export async function serveStatic(dist, port, host = '127.0.0.1') {
  const server = http.createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    let file = resolve(dist, `.${path}`);
    if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) file = join(dist, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise((r, reject) => {
    server.once('error', reject);
    server.listen(port, host, r);
  });
  return { server, url: `http://localhost:${port}`, close: () => new Promise(r => server.close(() => r())) };
}

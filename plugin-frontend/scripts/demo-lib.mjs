// Shared by `npm run demo`, the e2e tests and the benchmark: start the dev app (backstage-cli
// package start, http://localhost:3000) and a stand-in for the Backstage backend's proxy that
// serves the sample registry (the demo has no backend).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PKG_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = resolve(PKG_DIR, '..');
export const APP_URL = 'http://localhost:3000';
export const PAGE_URL = `${APP_URL}/asset-id`;
export const PROXY_PORT = 7017; // backend.baseUrl in app-config.yaml
export const REGISTRY_PATH = '/api/proxy/asset-registry/assets.json';

/**
 * What a Backstage backend with `proxy.endpoints['/asset-registry']` would answer: the registry JSON
 * at /api/proxy/asset-registry/assets.json, with CORS for the dev server origin. Counts requests.
 */
export function startProxyStandIn({ port = PROXY_PORT, host = '127.0.0.1' } = {}) {
  const registryFile = join(REPO_DIR, 'examples/registry/assets.json');
  const stats = { requests: 0, registry: 0, authorized: 0 };
  const server = http.createServer((req, res) => {
    stats.requests += 1;
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
    res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? 'authorization, content-type');
    res.setHeader('Access-Control-Allow-Methods', 'GET, OPTIONS');
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === REGISTRY_PATH) {
      stats.registry += 1;
      if (req.headers.authorization) stats.authorized += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(readFileSync(registryFile));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { name: 'NotFoundError', message: `no route ${path}` } }));
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

/**
 * Start the demo. Resolves when http://localhost:3000 answers. `stop()` ends both servers.
 * The dev server is started as `node .../backstage-cli package start` so the PID held here is the server.
 */
export async function startDemo({ log = true, timeoutMs = 240_000 } = {}) {
  const problems = checkInstalled();
  if (problems.length) throw new Error(problems.join('\n'));
  const proxy = await startProxyStandIn();
  const child = spawn(process.execPath, [join(PKG_DIR, 'node_modules/.bin/backstage-cli'), 'package', 'start'], {
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
    await proxy.close();
  };
  try {
    await waitForHttp(APP_URL, timeoutMs, child);
  } catch (error) {
    await stop();
    throw new Error(`${error.message}\n${output.slice(-4000)}`);
  }
  return { url: PAGE_URL, proxy, child, stop, output: () => output };
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

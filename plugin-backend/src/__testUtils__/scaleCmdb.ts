/*
 * A ServiceNow Table API stand-in for tests and benchmarks at catalog scale: every `APM` + 7 digits ID asked for
 * exists (operational), except those listed as retired; each answer takes `latencyMs` (a real instance's
 * latency). Counts requests and the IDs they carry. In-process (node:http), so a test can read its counters.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScaleCmdb {
  url: string;
  /**
   * Table API requests answered so far, and the IDs they carried; `renewals`: requests of which every ID had been
   * asked for before (since the stand-in started, whatever `reset`), i.e. not a first lookup.
   */
  readonly stats: { requests: number; ids: number; maxIdsPerRequest: number; renewals: number };
  /** Requests per second bucket since start (for time series), as [seconds since start, requests]. */
  timeline(): Array<[number, number]>;
  reset(): void;
  close(): Promise<void>;
}

export async function startScaleCmdb(options: { latencyMs?: number; retired?: ReadonlySet<string> } = {}): Promise<ScaleCmdb> {
  const latencyMs = options.latencyMs ?? 50;
  const retired = options.retired ?? new Set<string>();
  const stats = { requests: 0, ids: 0, maxIdsPerRequest: 0, renewals: 0 };
  const asked = new Set<string>();
  let started = Date.now();
  let times: number[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/api/now/table/')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const query = url.searchParams.get('sysparm_query') ?? '';
    const match = /(?:^|\^)numberIN([^^]*)/.exec(query) ?? /(?:^|\^)number=([^^]*)/.exec(query);
    const ids = match ? match[1].split(',').filter(Boolean) : [];
    stats.requests += 1;
    stats.ids += ids.length;
    stats.maxIdsPerRequest = Math.max(stats.maxIdsPerRequest, ids.length);
    if (ids.length > 0 && ids.every(id => asked.has(id))) stats.renewals += 1;
    for (const id of ids) asked.add(id);
    times.push(Date.now() - started);
    const rows = ids
      .filter(id => /^APM\d{7}$/.test(id))
      .map(id => ({
        number: id,
        name: `System ${id}`,
        install_status: retired.has(id) ? '7' : '1',
        operational_status: retired.has(id) ? '6' : '1',
        owned_by: 'team',
      }));
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: rows }));
    }, latencyMs);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    timeline() {
      const buckets = new Map<number, number>();
      for (const t of times) buckets.set(Math.floor(t / 1000), (buckets.get(Math.floor(t / 1000)) ?? 0) + 1);
      return [...buckets].sort((a, b) => a[0] - b[0]);
    },
    reset() {
      stats.requests = 0;
      stats.ids = 0;
      stats.maxIdsPerRequest = 0;
      stats.renewals = 0;
      started = Date.now();
      times = [];
    },
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `n` Systems, each annotated with a distinct asset ID (APM0100000 + i), as one YAML file. */
export function generatedSystemsYaml(n: number, annotation = 'example.com/asset-id'): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    docs.push(
      [
        'apiVersion: backstage.io/v1alpha1',
        'kind: System',
        'metadata:',
        `  name: sys-${i}`,
        '  annotations:',
        `    ${annotation}: APM${String(100000 + i).padStart(7, '0')}`,
        'spec:',
        '  owner: team-a',
      ].join('\n'),
    );
  }
  return `${docs.join('\n---\n')}\n`;
}

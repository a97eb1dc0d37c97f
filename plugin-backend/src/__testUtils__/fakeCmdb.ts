/*
 * Runs the repository's fake CMDB (tests/support/fake-cmdb.mjs, an ES module) as a child process, so the
 * CommonJS Jest environment needs no ESM support. Talks to it over HTTP (`/__stats`, `/__reset`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
const SCRIPT = path.join(REPO_ROOT, 'tests/support/fake-cmdb.mjs');

export interface FakeCmdbLogEntry {
  method: string;
  path: string;
  query: string;
  sysparm_query: string | null;
}

export interface FakeCmdb {
  url: string;
  stats(): Promise<{ requests: number; log: FakeCmdbLogEntry[] }>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeCmdb(): Promise<FakeCmdb> {
  const child: ChildProcess = spawn(process.execPath, [SCRIPT, '--port', '0', '--exit-on-stdin-close'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('fake CMDB did not start within 10 s')), 10_000);
    child.once('error', reject);
    child.once('exit', code => reject(new Error(`fake CMDB exited early with code ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /listening (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  return {
    url,
    async stats() {
      const res = await fetch(`${url}/__stats`);
      return (await res.json()) as { requests: number; log: FakeCmdbLogEntry[] };
    },
    async reset() {
      await fetch(`${url}/__reset`, { method: 'POST' });
    },
    close() {
      return new Promise<void>(resolve => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

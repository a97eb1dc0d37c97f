/* Test fixtures shared by the unit and component tests. */
import { readFileSync, existsSync } from 'fs';
import { resolve } from 'path';
import type { JsonObject } from '@backstage/types';
import type { ConfigApi, DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ConfigReader } from '@backstage/config';
import type { IssueCode } from 'asset-id';

export const REPO_DIR = resolve(__dirname, '../../..');
export const PROXY_BASE = 'http://backstage.test/api/proxy';

/** The demo policy (plugin-frontend/app-config.yaml `assetId`), parsed by Backstage's YAML transform. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const appConfig = require('../../app-config.yaml') as { assetId: JsonObject };
export const demoPolicy: JsonObject = appConfig.assetId;

export const registry: Array<Record<string, string>> = JSON.parse(
  readFileSync(resolve(REPO_DIR, 'examples/registry/assets.json'), 'utf8'),
);

/** A config API with the given `assetId` section (null: none). */
export function configApi(assetId: JsonObject | null = demoPolicy): ConfigApi {
  return new ConfigReader(assetId ? { assetId } : {});
}

export const discoveryApi: DiscoveryApi = {
  getBaseUrl: async (pluginId: string) => `http://backstage.test/api/${pluginId}`,
};

/** A fetchApi whose fetch serves the registry at the proxy URL, recording every request. */
export function fakeFetchApi(options: { delayMs?: number; status?: number } = {}) {
  const calls: Array<{ url: string; init?: RequestInit }> = [];
  const fetchApi: FetchApi = {
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      calls.push({ url, init });
      if (options.delayMs) {
        // like the real fetch: an aborted signal rejects the pending request
        await new Promise<void>((resolveDelay, reject) => {
          const timer = setTimeout(resolveDelay, options.delayMs);
          init?.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new DOMException('The operation was aborted.', 'AbortError'));
          });
        });
      }
      if (url !== `${PROXY_BASE}/asset-registry/assets.json`) {
        return new Response('{"error":"not found"}', { status: 404, headers: { 'content-type': 'application/json' } });
      }
      return new Response(JSON.stringify(registry), {
        status: options.status ?? 200,
        headers: { 'content-type': 'application/json' },
      });
    }) as FetchApi['fetch'],
  };
  return { fetchApi, calls };
}

/**
 * The behaviour cases every surface runs (tests/cases/format.json, kept by the core): shape
 * `{ policies: {name: Policy}, cases: [{name, policy, input, options?, lookup?, expect}], policyErrors,
 * callerErrors }`; inputs `{"$repeat": [s, n]}` mean s repeated n times.
 */
export interface FormatCase {
  name: string;
  policy: JsonObject;
  input: unknown;
  options?: { scheme?: string };
  lookup?: boolean;
  expect: {
    valid: boolean;
    value: string | null;
    scheme?: string | null;
    codes: IssueCode[];
    message?: string;
    hint?: string;
    recordName?: string;
  };
}

export interface PolicyErrorCase {
  name: string;
  policy: JsonObject;
  path: string;
  message: string;
}

export interface CallerErrorCase {
  name: string;
  policy: JsonObject;
  input: unknown;
  options: { scheme?: string };
  code: string;
  message: string;
}

export const SHARED_CASES_FILE = resolve(REPO_DIR, 'tests/cases/format.json');

interface SharedFile {
  policies: Record<string, JsonObject>;
  cases: Array<Omit<FormatCase, 'policy'> & { policy: string | JsonObject }>;
  policyErrors?: Array<Omit<PolicyErrorCase, 'policy'> & { policy: string | JsonObject }>;
  callerErrors?: Array<Omit<CallerErrorCase, 'policy'> & { policy: string | JsonObject }>;
}

function expand(input: unknown): unknown {
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && '$repeat' in input) {
    const [s, n] = (input as { $repeat: [string, number] }).$repeat;
    return s.repeat(n);
  }
  return input;
}

function loadShared(): SharedFile | undefined {
  if (!existsSync(SHARED_CASES_FILE)) return undefined;
  return JSON.parse(readFileSync(SHARED_CASES_FILE, 'utf8')) as SharedFile;
}

export function sharedCases(): {
  cases: FormatCase[];
  policyErrors: PolicyErrorCase[];
  callerErrors: CallerErrorCase[];
} {
  const file = loadShared();
  if (!file) return { cases: [], policyErrors: [], callerErrors: [] };
  const policy = (p: string | JsonObject): JsonObject => (typeof p === 'string' ? file.policies[p] : p);
  return {
    cases: file.cases.map(c => ({ ...c, policy: policy(c.policy), input: expand(c.input) })),
    // here a string that names no policy is the raw policy (e.g. JSON text)
    policyErrors: (file.policyErrors ?? []).map(c => ({
      ...c,
      policy: typeof c.policy === 'string' && !(c.policy in file.policies) ? (c.policy as unknown as JsonObject) : policy(c.policy),
    })),
    callerErrors: (file.callerErrors ?? []).map(c => ({ ...c, policy: policy(c.policy), input: expand(c.input) })),
  };
}

/** The sample IDs of the README's demo table, with what every surface must say about them (demo policy + registry). */
export const SAMPLE_CASES: Array<{
  input: string;
  format: { valid: boolean; value: string | null; codes: IssueCode[] };
  lookup: { valid: boolean; codes: IssueCode[]; name?: string };
}> = [
  { input: 'APM0001234', format: { valid: true, value: 'APM0001234', codes: [] }, lookup: { valid: true, codes: [], name: 'Payments Gateway' } },
  { input: ' apm-000 1234 ', format: { valid: true, value: 'APM0001234', codes: [] }, lookup: { valid: true, codes: [], name: 'Payments Gateway' } },
  { input: 'APM12', format: { valid: false, value: null, codes: ['pattern_mismatch'] }, lookup: { valid: false, codes: ['pattern_mismatch'] } },
  { input: 'APM9999999', format: { valid: true, value: 'APM9999999', codes: [] }, lookup: { valid: false, codes: ['not_found'] } },
  { input: 'APM0000042', format: { valid: true, value: 'APM0000042', codes: [] }, lookup: { valid: false, codes: ['retired'], name: 'Legacy Billing' } },
  { input: 'AST0001239', format: { valid: true, value: 'AST0001239', codes: [] }, lookup: { valid: true, codes: [], name: 'Mainframe Batch Scheduler' } },
  { input: 'AST0001238', format: { valid: false, value: null, codes: ['checksum_mismatch'] }, lookup: { valid: false, codes: ['checksum_mismatch'] } },
  { input: 'BSN0001001', format: { valid: true, value: 'BSN0001001', codes: [] }, lookup: { valid: true, codes: [], name: 'Identity Service' } },
];

/* Test fixtures shared by the unit and component tests. */
import { readFileSync } from 'fs';
import { resolve } from 'path';
import type { JsonObject } from '@backstage/types';
import type { IssueCode } from 'asset-id/format';

export const REPO_DIR = resolve(__dirname, '../../..');

export const registry: Array<Record<string, string>> = JSON.parse(
  readFileSync(resolve(REPO_DIR, 'examples/registry/assets.json'), 'utf8'),
);

/**
 * The demo policy: the backend's `assetId` of the dev app (plugin-frontend/app-config.yaml, read by the
 * stand-in backend), with the registry's records inline as the backend would look them up, and a
 * `lookup.recordUrl` (the card's link).
 */
export const DEMO_RECORD_URL = 'https://cmdb.example.com/records/{id}';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const appConfig = require('../../app-config.yaml') as { assetId: JsonObject };
export const demoPolicy: JsonObject = {
  ...appConfig.assetId,
  lookup: { source: 'registry', recordUrl: DEMO_RECORD_URL, registry: { records: registry } },
};

/** Where the demo policy with search sends developers for a new asset ID. */
export const DEMO_REQUEST_URL = 'https://cmdb.example.com/request-new-asset';

/** The demo policy with `lookup.search` (minLength 3, limit 5) and `lookup.requestUrl`. */
export const searchPolicy: JsonObject = {
  ...demoPolicy,
  lookup: {
    ...(demoPolicy.lookup as JsonObject),
    search: { minLength: 3, limit: 5, fields: ['name', 'id'] },
    requestUrl: DEMO_REQUEST_URL,
  },
};

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
  callerErrors?: Array<Omit<CallerErrorCase, 'policy'> & { policy: string | JsonObject }>;
}

function expand(input: unknown): unknown {
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && '$repeat' in input) {
    const [s, n] = (input as { $repeat: [string, number] }).$repeat;
    return s.repeat(n);
  }
  return input;
}

/**
 * The shared cases. Throws (so the suite FAILS, never skips) when the file is missing or holds no case.
 */
export function sharedCases(): { cases: FormatCase[]; callerErrors: CallerErrorCase[] } {
  let file: SharedFile;
  try {
    file = JSON.parse(readFileSync(SHARED_CASES_FILE, 'utf8')) as SharedFile;
  } catch (error) {
    throw new Error(`the shared behaviour cases could not be read from ${SHARED_CASES_FILE}: ${error}`);
  }
  if (!Array.isArray(file.cases) || file.cases.length === 0) {
    throw new Error(`${SHARED_CASES_FILE} holds no cases`);
  }
  const policy = (p: string | JsonObject): JsonObject => {
    const resolved = typeof p === 'string' ? file.policies[p] : p;
    if (!resolved) throw new Error(`${SHARED_CASES_FILE}: unknown policy ${JSON.stringify(p)}`);
    return resolved;
  };
  return {
    cases: file.cases.map(c => ({ ...c, policy: policy(c.policy), input: expand(c.input) })),
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

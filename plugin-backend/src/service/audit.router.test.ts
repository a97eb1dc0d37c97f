/*
 * Audit events of POST /v1/validate and /v1/search (coreServices.auditor, here Backstage's auditor mock): one event
 * per authenticated request, with the caller's request, counts and the outcome; never the values, the search text,
 * scheme names or credentials.
 */
import type { AuditorServiceEvent } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import { startAssetIdBackend, type AssetIdTestBackend } from '../__testUtils__/backend';
import { startFakeCmdb, type FakeCmdb } from '../__testUtils__/fakeCmdb';
import { samplePolicy } from '../__testUtils__/policy';

jest.setTimeout(60_000);

let cmdb: FakeCmdb;
let b: AssetIdTestBackend;
const events: Array<{
  options: { eventId: string; severityLevel?: string; request?: { headers: Record<string, unknown> } };
  success: jest.Mock;
  fail: jest.Mock;
}> = [];
const auditor = mockServices.auditor.mock({
  async createEvent(options) {
    const event = { options: options as (typeof events)[number]['options'], success: jest.fn(async () => {}), fail: jest.fn(async () => {}) };
    events.push(event);
    return event as unknown as AuditorServiceEvent;
  },
});

beforeAll(async () => {
  cmdb = await startFakeCmdb();
  const policy = samplePolicy(cmdb.url, { search: {}, timeoutMs: 3000 });
  b = await startAssetIdBackend(policy, { store: null, features: [auditor.factory] });
});
afterAll(async () => {
  await b?.stop();
  await cmdb?.close();
});
beforeEach(() => {
  events.length = 0;
});

/** Waits for the events' outcome (recorded when the answer has been sent). */
async function settled(n = 1) {
  for (let i = 0; i < 50 && events.filter(e => e.success.mock.calls.length + e.fail.mock.calls.length > 0).length < n; i++) {
    await new Promise(r => setTimeout(r, 20));
  }
  return events;
}

/** Everything the event carries but the request object (Backstage's auditor reads the caller from it). */
const carried = () => JSON.stringify(events.map(e => [{ ...e.options, request: undefined }, e.success.mock.calls, e.fail.mock.calls.map(([o]) => [o.meta, String(o.error)])]));

async function search(body: unknown) {
  const res = await fetch(`${b.base}/v1/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: mockCredentials.user.header() },
    body: JSON.stringify(body),
  });
  return res.status;
}

describe('audit events', () => {
  it('validate: the request, how many values, counts of verdicts, success', async () => {
    const r = await b.validate({ values: ['APM0001234', 'APM0000042', 'APM12', 'APM0009999'] });
    expect(r.status).toBe(200);
    const [event] = await settled();
    expect(events).toHaveLength(1);
    expect(event.options).toEqual(expect.objectContaining({ eventId: 'validate', severityLevel: 'low' }));
    // The caller: Backstage's auditor resolves it from the request's credentials.
    expect(event.options.request?.headers.authorization).toBe(mockCredentials.user.header());
    expect(event.success).toHaveBeenCalledWith({
      meta: { values: 4, narrowed: false, results: { valid: 1, invalid: 3, unavailable: 0, stale: 0 }, status: 200 },
    });
    expect(event.fail).not.toHaveBeenCalled();
    expect(carried()).not.toMatch(/APM0001234|APM0000042|APM0009999|mock-user-token|authorization/i);
  });

  it('validate: a refused request is a failure with the status and the error name, not what was sent', async () => {
    const r = await b.validate({ values: ['APM0001234'], scheme: 'secret-scheme-name' });
    expect(r.status).toBe(400);
    const r2 = await b.validate({ values: [], password: 'hunter2' });
    expect(r2.status).toBe(400);
    const r3 = await b.validate('{"values": [');
    expect(r3.status).toBe(400);
    await settled(3);
    expect(events.map(e => e.options.eventId)).toEqual(['validate', 'validate', 'validate']);
    for (const event of events) {
      expect(event.success).not.toHaveBeenCalled();
      expect(event.fail).toHaveBeenCalledWith({ meta: expect.objectContaining({ status: 400 }), error: expect.any(Error) });
      expect(String(event.fail.mock.calls[0][0].error)).toMatch(/InputError/);
    }
    expect(carried()).not.toMatch(/secret-scheme-name|hunter2|password|APM0001234/);
  });

  it('validate without credentials is refused before any audit event (401)', async () => {
    expect((await b.validate({ values: ['APM0001234'] }, null)).status).toBe(401);
    await new Promise(r => setTimeout(r, 100));
    expect(events).toHaveLength(0);
  });

  it('search: the text length, not the text; the number of results', async () => {
    expect(await search({ query: 'gateway', limit: 5 })).toBe(200);
    const [event] = await settled();
    expect(event.options).toEqual(expect.objectContaining({ eventId: 'search', severityLevel: 'low' }));
    expect(event.success).toHaveBeenCalledWith({
      meta: { queryLength: 7, narrowed: false, limit: 5, results: 1, more: false, status: 200 },
    });
    expect(await search({ query: 'gateway', scheme: 'no-such-scheme' })).toBe(400);
    await settled(2);
    expect(events[1].fail).toHaveBeenCalledWith({ meta: expect.objectContaining({ status: 400 }), error: expect.any(Error) });
    expect(carried()).not.toMatch(/gateway|no-such-scheme|Payments/i);
  });

  it('a user and a service are audited alike (the request carries who asked)', async () => {
    await b.validate({ values: ['APM0001234'] }, mockCredentials.service.header());
    await settled();
    const meta = (events[0].success.mock.calls[0] as [{ meta: JsonObject }])[0].meta;
    expect(meta.values).toBe(1);
    expect(events[0].options.request?.headers.authorization).toBe(mockCredentials.service.header());
  });
});

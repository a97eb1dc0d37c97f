/*
 * The catalog processor's settings at scale: the queue's wait and the refresh-ahead task's schedule
 * (`assetId.processor.queueWaitMs`, `assetId.processor.refresh`).
 */
import { mockServices } from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import { samplePolicy } from '../__testUtils__/policy';
import { readAssetIdSettings } from './config';

const read = (assetId: JsonObject) => readAssetIdSettings(mockServices.rootConfig({ data: { assetId } }));

describe('assetId.processor at scale', () => {
  it('turns the refresh task on by default when a lookup is configured, every notFoundTtlSeconds (at most the TTL)', () => {
    const settings = read(samplePolicy('https://cmdb.example', { cacheTtlSeconds: 120, notFoundTtlSeconds: 30 }));
    expect(settings.processor.refresh).toEqual({ frequency: { seconds: 30 }, timeout: { seconds: 30 } });
    expect(settings.processor.queueWaitMs).toBe(2000);
    expect(read(samplePolicy('https://cmdb.example')).processor.refresh?.frequency).toEqual({ seconds: 60 });
    const capped = read(samplePolicy('https://cmdb.example', { cacheTtlSeconds: 20, notFoundTtlSeconds: 60 }));
    expect(capped.processor.refresh?.frequency).toEqual({ seconds: 20 });
  });

  it('has no refresh task without a lookup, or with refresh: false', () => {
    const { lookup: _lookup, ...formatOnly } = samplePolicy('https://cmdb.example');
    expect(read(formatOnly).processor.refresh).toBeNull();
    expect(read({ ...samplePolicy('https://cmdb.example'), processor: { refresh: false } }).processor.refresh).toBeNull();
  });

  it('reads a schedule as Backstage does (a human duration, an ISO duration, a cron), and refuses unknown keys', () => {
    const settings = read({
      ...samplePolicy('https://cmdb.example'),
      processor: { queueWaitMs: 500, refresh: { frequency: { cron: '*/5 * * * *' }, timeout: 'PT2M', initialDelay: { seconds: 30 } } },
    });
    expect(settings.processor.queueWaitMs).toBe(500);
    expect(settings.processor.refresh?.frequency).toEqual({ cron: '*/5 * * * *' });
    expect(settings.processor.refresh?.initialDelay).toEqual({ seconds: 30 });
    expect(settings.processor.refresh?.timeout).toEqual({ minutes: 2 });
    expect(() => read({ ...samplePolicy('https://cmdb.example'), processor: { refresh: { scope: 'local' } } })).toThrow(
      /assetId.processor.refresh.*unknown key 'scope'/,
    );
    expect(() => read({ ...samplePolicy('https://cmdb.example'), processor: { refresh: 'often' } })).toThrow(
      /assetId.processor.refresh/,
    );
    expect(() => read({ ...samplePolicy('https://cmdb.example'), processor: { queueWaitMs: -1 } })).toThrow(
      /assetId.processor.queueWaitMs/,
    );
  });
});

import { loadConfigSchema } from '@backstage/config-loader';
import type { JsonObject } from '@backstage/types';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { samplePolicy } from '../__testUtils__/policy';

// Every key of the policy reference (shared with the Rust policy tests and the frontend's test).
const { $comment: _comment, ...fullPolicy } = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../../tests/cases/full-policy.json'), 'utf8'),
) as JsonObject;

describe('config.d.ts', () => {
  const data = {
    assetId: {
      ...samplePolicy('https://acme.service-now.com', {
        retiredWhen: { install_status: ['7'] },
      }),
      processor: { mode: 'warn', batchWindowMs: 10 },
      cache: { memoryEntries: 100 },
      backend: { lookup: { servicenow: { baseUrl: 'https://acme.service-now.com' } } },
      credentials: { servicenow: { username: 'svc', password: 's3cret' } },
    },
  };

  const load = () =>
    loadConfigSchema({
      dependencies: [],
      packagePaths: [path.resolve(__dirname, '../../package.json')],
      excludePackageDependencies: true,
    });

  it('declares every key as backend config: nothing of assetId reaches the frontend; credentials are secrets', async () => {
    const schema = await load();
    const [frontend] = schema.process([{ context: 'test', data }], { visibility: ['frontend'] });
    expect(frontend.data).toEqual({});

    const [secrets] = schema.process([{ context: 'test', data }], { visibility: ['secret'] });
    expect(secrets.data).toEqual({
      assetId: { credentials: { servicenow: { username: 'svc', password: 's3cret' } } },
    });
  }, 60_000);

  it('accepts every policy key of the reference, and the backend settings, without schema errors', async () => {
    const schema = await load();
    const all = {
      assetId: {
        ...fullPolicy,
        catalog: { ...(fullPolicy.catalog as JsonObject), statusAnnotation: 'example.com/asset-id-status' },
        processor: {
          mode: 'flag',
          batchWindowMs: 20,
          queueWaitMs: 2000,
          refresh: { frequency: { minutes: 5 }, timeout: 'PT5M', initialDelay: { seconds: 10 } },
        },
        cache: { memoryEntries: 100, staleIfErrorSeconds: 60 },
      },
    };
    const [backend] = schema.process([{ context: 'test', data: all }], { visibility: ['backend', 'secret'] });
    expect(backend.data).toEqual(all);
    const off = { assetId: { ...fullPolicy, processor: { refresh: false } } };
    expect(schema.process([{ context: 'test', data: off }], { visibility: ['backend'] })[0].data).toEqual(off);
    // A value of the wrong type is a schema error.
    expect(() =>
      schema.process([{ context: 'test', data: { assetId: { ...fullPolicy, processor: { mode: 'block' } } } }]),
    ).toThrow(/processor\/mode/);
  }, 60_000);
});

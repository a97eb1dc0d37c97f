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
      backend: { lookup: { servicenow: { baseUrl: 'https://acme.service-now.com' } } },
      credentials: { servicenow: { username: 'svc', password: 's3cret' } },
    },
  };

  it('accepts the policy and keeps credentials and backend settings out of the frontend', async () => {
    const schema = await loadConfigSchema({
      dependencies: [],
      packagePaths: [path.resolve(__dirname, '../../package.json')],
      excludePackageDependencies: true,
    });
    const [frontend] = schema.process([{ context: 'test', data }], { visibility: ['frontend'] });
    const asset = frontend.data.assetId as Record<string, unknown>;
    expect(Object.keys(asset).sort()).toEqual(['catalog', 'lookup', 'maxLength', 'schemes']);
    expect(JSON.stringify(frontend.data)).not.toContain('s3cret');

    const [secrets] = schema.process([{ context: 'test', data }], { visibility: ['secret'] });
    expect(secrets.data).toEqual({
      assetId: { credentials: { servicenow: { username: 'svc', password: 's3cret' } } },
    });
  }, 60_000);

  it('sends every policy key to the frontend unchanged', async () => {
    const schema = await loadConfigSchema({
      dependencies: [],
      packagePaths: [path.resolve(__dirname, '../../package.json')],
      excludePackageDependencies: true,
    });
    const policyOnly = { assetId: fullPolicy };
    const [frontend] = schema.process([{ context: 'test', data: policyOnly }], {
      visibility: ['frontend'],
    });
    expect(frontend.data).toEqual(policyOnly);
  }, 60_000);
});

import { loadConfigSchema } from '@backstage/config-loader';
import path from 'node:path';
import { samplePolicy } from '../__testUtils__/policy';

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
});

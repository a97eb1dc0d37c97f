/**
 * @jest-environment node
 */
import { loadConfigSchema } from '@backstage/config-loader';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

type ConfigData = Parameters<Awaited<ReturnType<typeof loadConfigSchema>>['process']>[0][number]['data'];

// A policy that sets every key of the policy reference (shared with the Rust policy tests and the
// backend's schema test), plus the backend-only keys.
const { $comment: _comment, ...fullPolicy } = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../tests/cases/full-policy.json'), 'utf8'),
) as ConfigData;

describe('frontend config', () => {
  it('declares no config: the assetId section (policy, CMDB URLs, credentials) is backend-only', async () => {
    const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '../package.json'), 'utf8'));
    expect(pkg.configSchema).toBeUndefined();
    expect(existsSync(path.resolve(__dirname, '../config.d.ts'))).toBe(false);
    const schema = await loadConfigSchema({
      dependencies: [],
      packagePaths: [path.resolve(__dirname, '../package.json')],
      excludePackageDependencies: true,
    });
    const data = {
      assetId: { ...fullPolicy, credentials: { servicenow: { token: 'secret' } } },
      app: { title: 't' },
    };
    const [frontend] = schema.process([{ context: 'test', data }], { visibility: ['frontend'] });
    // with only this package installed, nothing of assetId reaches the browser
    expect(frontend.data).not.toHaveProperty('assetId');
  }, 60_000);
});

/**
 * @jest-environment node
 */
import { ConfigSchema, loadConfigSchema } from '@backstage/config-loader';
import { readFileSync } from 'node:fs';
import path from 'node:path';

type ConfigData = Parameters<ConfigSchema['process']>[0][number]['data'];

// A policy that sets every key of the policy reference (shared with the Rust policy tests and the
// backend's schema test): with only this package installed, all of it must reach the browser.
const { $comment: _comment, ...fullPolicy } = JSON.parse(
  readFileSync(path.resolve(__dirname, '../../tests/cases/full-policy.json'), 'utf8'),
) as ConfigData;

describe('config.d.ts', () => {
  it('sends every policy key to the frontend, and accepts the policy', async () => {
    const schema = await loadConfigSchema({
      dependencies: [],
      packagePaths: [path.resolve(__dirname, '../package.json')],
      excludePackageDependencies: true,
    });
    const data = { assetId: fullPolicy };
    const [frontend] = schema.process([{ context: 'test', data }], {
      visibility: ['frontend'],
    });
    expect(frontend.data).toEqual(data);
  }, 60_000);

  it('refuses a policy of the wrong shape before the app starts', async () => {
    const schema = await loadConfigSchema({
      dependencies: [],
      packagePaths: [path.resolve(__dirname, '../package.json')],
      excludePackageDependencies: true,
    });
    const data = { assetId: { schemes: [{ name: 'a' }], maxLength: 'long' } };
    expect(() => schema.process([{ context: 'test', data }])).toThrow(/pattern|maxLength/);
  }, 60_000);
});

/** The example template (examples/templates/asset-id-system) keeps the systems-as-code contract. */
import { readFileSync } from 'fs';
import { resolve } from 'path';
import { template } from '../dev/template';
import { REPO_DIR } from './testing/fixtures';

const dir = resolve(REPO_DIR, 'examples/templates/asset-id-system');
const raw = readFileSync(resolve(dir, 'template.yaml'), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const entity = require('../../examples/templates/asset-id-system/template.yaml') as {
  apiVersion: string;
  kind: string;
  spec: { parameters: Array<{ properties: Record<string, Record<string, unknown>> }>; steps: Array<{ id: string; action: string; input: Record<string, unknown> }> };
};

describe('examples/templates/asset-id-system', () => {
  it('is a v1beta3 Template whose first parameter step has the ValidateAsset field', () => {
    expect(entity.apiVersion).toBe('scaffolder.backstage.io/v1beta3');
    expect(entity.kind).toBe('Template');
    expect(entity.spec.parameters[0].properties.assetId['ui:field']).toBe('ValidateAsset');
    expect(entity.spec.parameters[0].properties.assetId.type).toBe('string');
  });

  it('re-validates server-side first, then uses the normalized value', () => {
    const [first, ...rest] = entity.spec.steps;
    expect(first).toMatchObject({ id: 'validate-asset', action: 'asset-id:validate', input: { assetId: '${{ parameters.assetId }}' } });
    const later = JSON.stringify(rest);
    expect(later).toContain("${{ steps['validate-asset'].output.value }}");
    expect(later).not.toContain('parameters.assetId');
  });

  it('publishes the System as a pull request with the asset ID annotation', () => {
    expect(entity.spec.steps.map(s => s.action)).toContain('publish:github:pull-request');
    const skeleton = readFileSync(resolve(dir, 'skeleton/catalog-info.yaml'), 'utf8');
    expect(skeleton).toMatch(/kind: System/);
    expect(skeleton).toMatch(/example\.com\/asset-id: \$\{\{ values\.assetId \| dump \}\}/);
  });

  it('is the very file the demo renders (one source of truth)', () => {
    expect(template).toEqual(entity);
    expect(raw).toContain('ui:field: ValidateAsset');
  });
});

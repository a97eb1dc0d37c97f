import { createExtensionTester } from '@backstage/frontend-test-utils';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import scaffolderAssetIdModule, { ValidateAssetFormField, validateAssetFormField } from './alpha';
import { ValidateAssetFieldExtension, validateAssetValidation, ValidateAsset } from './index';

describe('new frontend system', () => {
  it('default export of /alpha is a frontend module for the scaffolder plugin', () => {
    const mod = scaffolderAssetIdModule as unknown as { $$type: string; pluginId: string };
    expect(mod.$$type).toBe('@backstage/FrontendModule');
    expect(mod.pluginId).toBe('scaffolder');
  });

  it('provides a scaffolder form field loader that yields the ValidateAsset field', async () => {
    const tester = createExtensionTester(validateAssetFormField);
    const load = tester.get(FormFieldBlueprint.dataRefs.formFieldLoader);
    const field = await load();
    expect(field).toBe(ValidateAssetFormField);
    expect(field).toMatchObject({
      $$type: '@backstage/scaffolder/FormField',
      name: 'ValidateAsset',
      component: ValidateAsset,
      validation: validateAssetValidation,
    });
  });
});

describe('legacy frontend system', () => {
  it('exports a scaffolder field extension named ValidateAsset', () => {
    expect(ValidateAssetFieldExtension).toBeDefined();
    // createScaffolderFieldExtension attaches its options as component data
    const data = (ValidateAssetFieldExtension as unknown as Record<string, unknown>)['__backstage_data'] as
      | { map?: Map<string, unknown> }
      | undefined;
    const options = data?.map?.get('scaffolder.extensions.field.v1') as { name?: string } | undefined;
    expect(options?.name).toBe('ValidateAsset');
  });
});

import React from 'react';
import { ConfigReader } from '@backstage/config';
import { createExtensionTester } from '@backstage/frontend-test-utils';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { coreExtensionData } from '@backstage/frontend-plugin-api';
import { getComponentData } from '@backstage/core-plugin-api';
import assetIdFeatures, {
  ValidateAssetFormField,
  assetIdCoveragePage,
  assetIdEntityCard,
  assetIdFrontendPlugin,
  catalogAssetIdModule,
  scaffolderAssetIdModule,
  validateAssetFormField,
} from './alpha';
import {
  AssetIdClient,
  AssetIdPage,
  ValidateAssetFieldExtension,
  assetIdApiRef,
  assetIdPlugin,
  validateAssetValidation,
  ValidateAsset,
  EntityAssetIdCard,
} from './index';

describe('new frontend system', () => {
  it('default export of /alpha is a feature loader yielding the asset-id plugin, the scaffolder module and the catalog module', async () => {
    const loader = assetIdFeatures as unknown as {
      $$type: string;
      loader: (deps: { config: ConfigReader }) => Promise<unknown[]>;
    };
    expect(loader.$$type).toBe('@backstage/FrontendFeatureLoader');
    const features = await loader.loader({ config: new ConfigReader({}) });
    expect(features).toEqual([assetIdFrontendPlugin, scaffolderAssetIdModule, catalogAssetIdModule]);
    const ids = features.map(f => (f as { $$type: string; pluginId: string }));
    expect(ids.map(f => [f.$$type, f.pluginId])).toEqual([
      ['@backstage/FrontendPlugin', 'asset-id'],
      ['@backstage/FrontendModule', 'scaffolder'],
      ['@backstage/FrontendModule', 'catalog'],
    ]);
  });

  it('the asset-id plugin holds api:asset-id (assetIdApiRef) and page:asset-id at /asset-id with its title', () => {
    const ids = (assetIdFrontendPlugin as unknown as { extensions: Array<{ id: string }> }).extensions.map(e => e.id);
    expect(ids).toEqual(['api:asset-id', 'page:asset-id']);
    const page = createExtensionTester(assetIdCoveragePage);
    expect(page.get(coreExtensionData.routePath)).toBe('/asset-id');
    expect(page.get(coreExtensionData.title)).toBe('Asset IDs');
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

  it('provides an entity card for Systems (entity-card:asset-id in the catalog module, filter { kind: system })', () => {
    expect(String(assetIdEntityCard)).toContain('entity-card');
    const tester = createExtensionTester(assetIdEntityCard);
    // (the extension is exported as a plain ExtensionDefinition, so its outputs are looked up untyped)
    const get = tester.get.bind(tester) as unknown as (ref: unknown) => (entity: object) => boolean;
    const filter = get(EntityCardBlueprint.dataRefs.filterFunction);
    const entity = (kind: string) => ({ apiVersion: 'backstage.io/v1alpha1', kind, metadata: { name: 'x' } });
    expect(filter(entity('System'))).toBe(true);
    expect(filter(entity('Component'))).toBe(false);
    const card = tester.reactElement();
    expect(card).toBeDefined();
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

  it('exports the entity card component, an extension of the asset-id plugin', () => {
    expect(typeof EntityAssetIdCard).toBe('function');
    expect(getComponentData(React.createElement(EntityAssetIdCard), 'core.plugin')).toBe(assetIdPlugin);
  });

  it('the field is marked as the asset-id plugin\'s, so an app with only the field registers assetIdApiRef', () => {
    expect(getComponentData(React.createElement(ValidateAssetFieldExtension), 'core.plugin')).toBe(assetIdPlugin);
  });

  it('assetIdPlugin registers assetIdApiRef as an AssetIdClient on discovery + fetch; AssetIdPage is its routable page', () => {
    const factories = [...assetIdPlugin.getApis()];
    expect(factories.map(f => f.api.id)).toEqual(['plugin.asset-id.service']);
    expect(factories[0].api).toBe(assetIdApiRef);
    expect(Object.keys(factories[0].deps).sort()).toEqual(['discoveryApi', 'fetchApi']);
    const client = factories[0].factory({ discoveryApi: { getBaseUrl: async () => '' }, fetchApi: { fetch } } as never);
    expect(client).toBeInstanceOf(AssetIdClient);
    expect(getComponentData(React.createElement(AssetIdPage), 'core.plugin')).toBe(assetIdPlugin);
    expect(getComponentData(React.createElement(AssetIdPage), 'core.mountPoint')).toBe(assetIdPlugin.routes.root);
  });
});

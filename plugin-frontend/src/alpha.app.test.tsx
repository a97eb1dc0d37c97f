/** The module inside a new-frontend-system app with the real scaffolder plugin. */
import React, { useEffect, useState } from 'react';
import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { useApi, useApiHolder } from '@backstage/frontend-plugin-api';
import { formFieldsApiRef } from '@backstage/plugin-scaffolder-react/alpha';
import scaffolderPlugin from '@backstage/plugin-scaffolder/alpha';
import { assetIdFrontendPlugin, scaffolderAssetIdModule } from './alpha';
import { assetIdApiRef } from './api/AssetIdApi';
import { AssetIdClient } from './api/AssetIdClient';

const FieldNames = () => {
  const formFieldsApi = useApi(formFieldsApiRef);
  const [names, setNames] = useState<string[]>();
  useEffect(() => {
    formFieldsApi.loadFormFields().then(fields =>
      setNames(fields.map(f => (f as unknown as { name: string }).name)),
    );
  }, [formFieldsApi]);
  return <div data-testid="fields">{names ? names.join(',') : 'loading'}</div>;
};

it('registers ValidateAsset with the scaffolder form fields API', async () => {
  renderInTestApp(<FieldNames />, { features: [scaffolderPlugin, scaffolderAssetIdModule] });
  const el = await screen.findByText(/ValidateAsset/);
  expect(el.textContent?.split(',')).toContain('ValidateAsset');
  expect(el.textContent?.split(',')).toContain('EntityNamePicker');
});

const ApiKind = () => {
  const api = useApi(assetIdApiRef);
  return <div data-testid="api">{api instanceof AssetIdClient ? 'AssetIdClient' : 'other'}</div>;
};

it('the asset-id plugin registers assetIdApiRef in a new-frontend-system app (api:asset-id)', async () => {
  renderInTestApp(<ApiKind />, { features: [assetIdFrontendPlugin] });
  expect((await screen.findByTestId('api')).textContent).toBe('AssetIdClient');
});

it('without the asset-id plugin the app has no assetIdApiRef (the test above can fail)', async () => {
  const Probe = () => <div data-testid="has">{String(Boolean(useApiHolder().get(assetIdApiRef)))}</div>;
  renderInTestApp(<Probe />, { features: [] });
  expect((await screen.findByTestId('has')).textContent).toBe('false');
});

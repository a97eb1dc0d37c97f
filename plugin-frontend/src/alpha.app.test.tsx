/** The module inside a new-frontend-system app with the real scaffolder plugin. */
import React, { useEffect, useState } from 'react';
import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { useApi } from '@backstage/frontend-plugin-api';
import { formFieldsApiRef } from '@backstage/plugin-scaffolder-react/alpha';
import scaffolderPlugin from '@backstage/plugin-scaffolder/alpha';
import { scaffolderAssetIdModule } from './alpha';

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

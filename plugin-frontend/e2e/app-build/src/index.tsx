// A minimal app: the scaffolder's Stepper rendering the example template, with the field imported by
// package name and registered as an app does it. Built by backstage-cli (rspack) like any Backstage app.
import React from 'react';
import { createDevApp } from '@backstage/dev-utils';
import {
  ScaffolderFieldExtensions,
  SecretsContextProvider,
  useCustomFieldExtensions,
} from '@backstage/plugin-scaffolder-react';
import { Stepper } from '@backstage/plugin-scaffolder-react/alpha';
import { ValidateAssetFieldExtension, assetIdPlugin } from '@asset-id/backstage-plugin-scaffolder-asset-id';
import { templateManifest } from '../../../dev/template';

const App = () => {
  const extensions = useCustomFieldExtensions(
    <ScaffolderFieldExtensions>
      <ValidateAssetFieldExtension />
    </ScaffolderFieldExtensions>,
  );
  return (
    <SecretsContextProvider>
      <Stepper manifest={templateManifest()} extensions={extensions} onCreate={async () => {}} />
    </SecretsContextProvider>
  );
};

window.localStorage.setItem('@backstage/core:SignInPage:provider', 'guest');
window.localStorage.setItem('enableLegacyGuestToken', 'true');
// The field is rendered here by a component, not from the app's routes, so the app does not find the plugin
// through it: register assetIdPlugin (its assetIdApiRef factory) as an app with the field in a route does.
createDevApp()
  .registerPlugin(assetIdPlugin)
  .addPage({ path: '/asset-id', title: 'Asset ID', element: <App /> })
  .render();

import React, { useMemo, useState } from 'react';
import { Content, Header, InfoCard, Page } from '@backstage/core-components';
import {
  ScaffolderFieldExtensions,
  SecretsContextProvider,
  useCustomFieldExtensions,
} from '@backstage/plugin-scaffolder-react';
import { Stepper } from '@backstage/plugin-scaffolder-react/alpha';
import type { JsonValue } from '@backstage/types';
import { ValidateAssetFieldExtension } from '../src';
import { template, templateManifest } from './template';

const TRY = [
  ['APM0001234', 'valid: Payments Gateway'],
  [' apm-000 1234 ', 'normalizes to APM0001234'],
  ['APM12', 'malformed'],
  ['APM9999999', 'well-formed, not in the CMDB'],
  ['APM0000042', 'retired (Legacy Billing)'],
  ['AST0001239', 'Luhn check digit OK'],
  ['AST0001238', 'wrong check digit'],
];

/**
 * The scaffolder's own Stepper rendering the example template (or `entity`, a variant of it), with the legacy
 * field extension.
 */
export const DemoPage = ({ entity = template }: { entity?: typeof template }) => {
  // The field is registered exactly as an app does it (legacy frontend system).
  const extensions = useCustomFieldExtensions(
    <ScaffolderFieldExtensions>
      <ValidateAssetFieldExtension />
    </ScaffolderFieldExtensions>,
  );
  const manifest = useMemo(() => templateManifest(entity), [entity]);
  const [created, setCreated] = useState<Record<string, JsonValue>>();

  return (
    <Page themeId="tool">
      <Header title={manifest.title} subtitle="asset-id demo: the scaffolder form of examples/templates/asset-id-system" />
      <Content>
        <InfoCard title="Try these IDs">
          <ul data-testid="try-ids">
            {TRY.map(([id, note]) => (
              <li key={id}>
                <code>{JSON.stringify(id)}</code> {note}
              </li>
            ))}
          </ul>
        </InfoCard>
        <SecretsContextProvider>
          <Stepper
            manifest={manifest}
            extensions={extensions}
            onCreate={async values => setCreated(values)}
          />
        </SecretsContextProvider>
        {created && (
          <InfoCard title="The scaffolder would now run the template with">
            <pre data-testid="created-values">{JSON.stringify(created, null, 2)}</pre>
          </InfoCard>
        )}
      </Content>
    </Page>
  );
};

import React from 'react';
import Grid from '@material-ui/core/Grid';
import { Content, Header, Page } from '@backstage/core-components';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import { EntityAssetIdCard } from '../src';

/** The example Systems of the card's states (the same IDs as the example app's Systems). */
export const CARD_SYSTEMS: Array<{ name: string; assetId?: string; note: string }> = [
  { name: 'payments', assetId: 'APM0001234', note: 'valid' },
  { name: 'billing', assetId: 'APM0000042', note: 'retired' },
  { name: 'ghost', assetId: 'APM9999999', note: 'not in the CMDB' },
  { name: 'typo', assetId: 'APM12', note: 'malformed' },
  { name: 'untagged', note: 'no annotation' },
];

function system(name: string, assetId?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: { name, annotations: assetId ? { 'example.com/asset-id': assetId } : {} },
    spec: { owner: 'team-platform' },
  };
}

/** EntityAssetIdCard (legacy frontend system) for each example System. */
export const CardsPage = () => (
  <Page themeId="tool">
    <Header title="Asset cards" subtitle="asset-id demo: EntityAssetIdCard on example Systems" />
    <Content>
      <Grid container spacing={3}>
        {CARD_SYSTEMS.map(s => (
          <Grid item md={4} key={s.name} data-testid={`system-${s.name}`}>
            <EntityProvider entity={system(s.name, s.assetId)}>
              <EntityAssetIdCard title={`Asset of System ${s.name} (${s.note})`} />
            </EntityProvider>
          </Grid>
        ))}
      </Grid>
    </Content>
  </Page>
);

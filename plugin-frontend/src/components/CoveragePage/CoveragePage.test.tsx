/** The coverage page in both frontend systems, on a mocked asset-id API and catalog; its pure parts. */
import React from 'react';
import { screen, waitFor, within } from '@testing-library/react';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import { renderInTestApp as renderInNewApp, createExtensionTester } from '@backstage/frontend-test-utils';
import { catalogApiRef, entityRouteRef } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import type { CatalogApi, GetEntitiesRequest } from '@backstage/catalog-client';
import { assetIdApiRef, type AssetIdApi, type AssetIdCoverage } from '../../api/AssetIdApi';
import { AssetIdConfigError } from '../../errors';
import { assetIdCoveragePage } from '../../alpha';
import { AssetIdCoveragePage } from './CoveragePage';
import { attentionRows, ownerRef, ownerRows, percent, statusAnnotationOf, statusRows, MAX_ATTENTION_ROWS } from './coverageView';
import { demoPolicy } from '../../testing/fixtures';
import type { FormatPolicy } from '../../api/AssetIdClient';

jest.setTimeout(30_000);

const STATUS = 'example.com/asset-id-status';
// the example app's Systems and the statuses its processor writes (scripts/e2e-app.mjs)
const SYSTEMS: Array<[string, string | undefined, string]> = [
  // create-app's example System: spec.owner written as a bare name
  ['examples', 'missing_annotation', 'guests'],
  ['payments', 'valid', 'group:default/platform-team'],
  ['legacy-billing', 'retired', 'group:default/platform-team'],
  ['ghost-system', 'not_found', 'group:default/platform-team'],
  ['unlinked-system', 'missing_annotation', 'group:default/platform-team'],
  // not processed yet: no status, not listed
  ['brand-new', undefined, 'group:default/platform-team'],
];

const entities: Entity[] = SYSTEMS.map(([name, status, owner]) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'System',
  metadata: { name, namespace: 'default', annotations: status ? { [STATUS]: status } : ({} as Record<string, string>) },
  spec: { owner },
}));

const coverage: AssetIdCoverage = {
  total: 5,
  byStatus: { valid: 1, retired: 1, not_found: 1, missing_annotation: 2, unavailable: 0 },
  byOwner: [
    { owner: 'group:default/guests', total: 1, valid: 0 },
    { owner: 'group:default/platform-team', total: 4, valid: 1 },
  ],
  kinds: ['System'],
  limit: 20_000,
  complete: true,
  generatedAt: '2026-12-08T01:00:00.000Z',
};

const policy = { schemes: [], catalog: { annotation: 'example.com/asset-id', kinds: ['System'] } } as unknown as FormatPolicy;

function apis(options: { coverage?: () => Promise<AssetIdCoverage>; catalog?: () => Promise<{ items: Entity[] }>; policy?: FormatPolicy } = {}) {
  const assetIdApi: jest.Mocked<Pick<AssetIdApi, 'getCoverage' | 'getPolicy'>> = {
    getCoverage: jest.fn(options.coverage ?? (async () => coverage)),
    getPolicy: jest.fn(async () => options.policy ?? policy),
  };
  const catalogApi = {
    getEntities: jest.fn<Promise<{ items: Entity[] }>, [GetEntitiesRequest]>(options.catalog ?? (async () => ({ items: entities }))),
  };
  return {
    assetIdApi,
    catalogApi,
    pairs: [
      [assetIdApiRef, assetIdApi as unknown as AssetIdApi],
      [catalogApiRef, catalogApi as unknown as CatalogApi],
    ] as const,
  };
}

async function renderLegacy(a: ReturnType<typeof apis>) {
  await renderInTestApp(
    <TestApiProvider apis={a.pairs}>
      <AssetIdCoveragePage />
    </TestApiProvider>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
}

const settled = async (state: string) => {
  const page = await screen.findByTestId('asset-id-coverage');
  await waitFor(() => expect(page).toHaveAttribute('data-state', state));
  return page;
};

describe('the coverage page (legacy frontend system)', () => {
  it('shows the share of valid Systems, the breakdown by status and by owner', async () => {
    const a = apis();
    await renderLegacy(a);
    await settled('ready');
    const share = screen.getByTestId('asset-id-coverage-share');
    expect(share).toHaveAttribute('data-valid', '1');
    expect(share).toHaveAttribute('data-total', '5');
    expect(share).toHaveTextContent('20 %');
    expect(share).toHaveTextContent('1 of 5 Systems have a valid asset ID.');
    const byStatus = within(screen.getByTestId('asset-id-coverage-status'))
      .getAllByRole('row')
      .slice(1)
      .map(r => [r.getAttribute('data-status'), r.textContent]);
    // valid first, then most first; a zero count is left out
    expect(byStatus).toEqual([
      ['valid', 'Valid120 %'],
      ['missing_annotation', 'No asset ID240 %'],
      ['not_found', 'Not in the CMDB120 %'],
      ['retired', 'Retired120 %'],
    ]);
    const byOwner = within(screen.getByTestId('asset-id-coverage-owner'))
      .getAllByRole('row')
      .slice(1)
      .map(r => [r.getAttribute('data-owner'), r.getAttribute('data-valid'), r.getAttribute('data-total')]);
    expect(byOwner).toEqual([
      ['group:default/platform-team', '1', '4'],
      ['group:default/guests', '0', '1'],
    ]);
  });

  it('lists the Systems needing attention, each linking to its entity page; asks the catalog for the checked kinds with a status', async () => {
    const a = apis();
    await renderLegacy(a);
    const list = await screen.findByTestId('asset-id-attention');
    await waitFor(() => expect(list).toHaveAttribute('data-state', 'ready'));
    const rows = within(list).getAllByTestId('asset-id-attention-row');
    expect(rows.map(r => [r.getAttribute('data-entity'), r.getAttribute('data-status')])).toEqual([
      ['system:default/examples', 'missing_annotation'],
      ['system:default/unlinked-system', 'missing_annotation'],
      ['system:default/ghost-system', 'not_found'],
      ['system:default/legacy-billing', 'retired'],
    ]);
    const link = within(rows[3]).getAllByRole('link')[0];
    expect(link).toHaveAttribute('href', '/catalog/default/system/legacy-billing');
    expect(rows[3]).toHaveTextContent('Retired');
    const request = a.catalogApi.getEntities.mock.calls[0][0];
    expect(request?.limit).toBe(MAX_ATTENTION_ROWS + 1);
    // only the coverage's statuses that need attention (a zero count, valid, unchecked and other are not asked for)
    expect(request?.filter).toEqual([
      { kind: 'System', [`metadata.annotations.${STATUS}`]: ['missing_annotation', 'not_found', 'retired'] },
    ]);
  });

  it("asks the catalog for the status annotation the backend names (a custom catalog.statusAnnotation), not the default's", async () => {
    const a = apis({ coverage: async () => ({ ...coverage, statusAnnotation: 'acme.com/cmdb-status', ownersOmitted: 2 }) });
    await renderLegacy(a);
    const list = await screen.findByTestId('asset-id-attention');
    await waitFor(() => expect(a.catalogApi.getEntities).toHaveBeenCalled());
    expect(list).toBeInTheDocument();
    expect(a.catalogApi.getEntities.mock.calls[0][0]?.filter).toEqual([
      { kind: 'System', 'metadata.annotations.acme.com/cmdb-status': ['missing_annotation', 'not_found', 'retired'] },
    ]);
    expect(await screen.findByTestId('asset-id-coverage-owners-omitted')).toHaveTextContent('2 more owners with fewer entities not listed');
  });

  it('asks the catalog nothing when no kind is known (an empty filter would list every entity)', async () => {
    const noKinds = { schemes: [], catalog: { annotation: 'example.com/asset-id' } } as unknown as FormatPolicy;
    const a = apis({ coverage: async () => ({ ...coverage, kinds: [] }), policy: noKinds });
    await renderLegacy(a);
    const list = await screen.findByTestId('asset-id-attention');
    await waitFor(() => expect(list).toHaveAttribute('data-state', 'ready'));
    expect(a.catalogApi.getEntities).not.toHaveBeenCalled();
  });

  it('valid Systems beyond the list limit do not hide the ones needing attention', async () => {
    const valid = (i: number): Entity => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'System',
      metadata: { name: `ok-${String(i).padStart(4, '0')}`, annotations: { [STATUS]: 'valid' } },
      spec: { owner: 'guests' },
    });
    const retired: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'System',
      metadata: { name: 'zz-retired', annotations: { [STATUS]: 'retired' } },
      spec: { owner: 'guests' },
    };
    const catalog = [...Array.from({ length: MAX_ATTENTION_ROWS + 100 }, (_, i) => valid(i)), retired];
    // a catalog that applies the request's status filter and limit, as the real one does
    const a = apis({
      coverage: async () => ({ ...coverage, total: catalog.length, byStatus: { valid: catalog.length - 1, retired: 1 } }),
      catalog: async () => {
        const request = a.catalogApi.getEntities.mock.calls[0][0];
        const filter = (request?.filter as Array<Record<string, unknown>>)[0][`metadata.annotations.${STATUS}`];
        const wanted = (e: Entity) => {
          const status = e.metadata.annotations?.[STATUS];
          return Array.isArray(filter) ? filter.includes(status) : status !== undefined;
        };
        return { items: catalog.filter(wanted).slice(0, request?.limit) };
      },
    });
    await renderLegacy(a);
    const list = await screen.findByTestId('asset-id-attention');
    await waitFor(() => expect(list).toHaveAttribute('data-state', 'ready'));
    expect(within(list).queryByTestId('asset-id-attention-none')).toBeNull();
    expect(within(list).getAllByTestId('asset-id-attention-row').map(r => r.getAttribute('data-entity'))).toEqual([
      'system:default/zz-retired',
    ]);
  });

  it('asks the catalog nothing when no counted status needs attention', async () => {
    const a = apis({ coverage: async () => ({ ...coverage, total: 3, byStatus: { valid: 2, unchecked: 1 } }) });
    await renderLegacy(a);
    expect(await screen.findByTestId('asset-id-attention-none')).toHaveTextContent('Nothing needs attention');
    expect(a.catalogApi.getEntities).not.toHaveBeenCalled();
  });

  it('an incomplete count says so; an unowned line is not a link', async () => {
    const a = apis({
      coverage: async () => ({
        ...coverage,
        complete: false,
        byOwner: [...coverage.byOwner, { owner: 'unowned', total: 0, valid: 0 }],
      }),
    });
    await renderLegacy(a);
    await settled('ready');
    expect(screen.getByTestId('asset-id-coverage-incomplete')).toHaveTextContent('figures are of the first 5');
    const row = within(screen.getByTestId('asset-id-coverage-owner')).getByText('No owner').closest('tr')!;
    expect(within(row).queryByRole('link')).toBeNull();
  });

  it('says when nothing needs attention', async () => {
    const a = apis({ catalog: async () => ({ items: [entities[1]] }) });
    await renderLegacy(a);
    expect(await screen.findByTestId('asset-id-attention-none')).toHaveTextContent('Nothing needs attention');
  });

  it('loading: a progress bar until the backend answers', async () => {
    let answer: (c: AssetIdCoverage) => void = () => undefined;
    const a = apis({ coverage: () => new Promise(resolve => (answer = resolve)) });
    await renderLegacy(a);
    expect(await settled('loading')).toBeInTheDocument();
    answer(coverage);
    await settled('ready');
  });

  it('backend down: the error, not figures', async () => {
    const a = apis({
      coverage: async () => {
        throw new AssetIdConfigError('The asset-id backend plugin is not installed or not reachable (network error)', 'backend_unavailable');
      },
    });
    await renderLegacy(a);
    const page = await settled('error');
    expect(page).toHaveTextContent('The asset-ID coverage could not be loaded');
    expect(page).toHaveTextContent('not installed or not reachable');
    expect(screen.queryByTestId('asset-id-coverage-share')).toBeNull();
  });

  it('403: says the user may not read the coverage', async () => {
    const a = apis({
      coverage: async () => {
        throw new AssetIdConfigError('The asset-id backend refused the request: catalog read not allowed', 'backend_error', undefined, 403);
      },
    });
    await renderLegacy(a);
    const page = await settled('error');
    expect(page).toHaveTextContent('You may not read the asset-ID coverage');
    expect(page).toHaveTextContent('catalog read not allowed');
  });

  it('a catalog failure shows in the attention list only; the figures stay', async () => {
    const a = apis({
      catalog: async () => {
        throw new Error('catalog down');
      },
    });
    await renderLegacy(a);
    const list = await screen.findByTestId('asset-id-attention');
    await waitFor(() => expect(list).toHaveAttribute('data-state', 'error'));
    expect(list).toHaveTextContent('catalog down');
    expect(screen.getByTestId('asset-id-coverage-share')).toHaveTextContent('20 %');
  });
});

describe('the coverage page (new frontend system: page:asset-id)', () => {
  it('renders the same content from the page extension', async () => {
    const a = apis();
    renderInNewApp(createExtensionTester(assetIdCoveragePage).reactElement(), {
      apis: a.pairs as never,
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } as never,
    });
    await settled('ready');
    expect(screen.getByTestId('asset-id-coverage-share')).toHaveTextContent('1 of 5 Systems have a valid asset ID.');
  });
});

describe('coverageView', () => {
  it('percent rounds down and is 0 of nothing', () => {
    expect(percent(1, 3)).toBe(33);
    expect(percent(199, 200)).toBe(99);
    expect(percent(0, 0)).toBe(0);
  });

  it('statusRows: an unknown status keeps its name', () => {
    expect(statusRows({ ...coverage, byStatus: { weird_code: 2 } }).map(r => r.label)).toEqual(['weird_code']);
  });

  it('ownerRows: most needing attention first, then by name', () => {
    expect(ownerRows(coverage).map(r => r.owner)).toEqual(['group:default/platform-team', 'group:default/guests']);
  });

  it('attentionRows leaves out valid ones and entities without a status', () => {
    expect(attentionRows(entities, STATUS).map(r => r.entityRef)).not.toContain('system:default/payments');
    expect(attentionRows(entities, STATUS).map(r => r.entityRef)).not.toContain('system:default/brand-new');
  });

  it('ownerRef: a bare name is a group in the entity\'s namespace; unowned and junk are not refs', () => {
    expect(ownerRef('guests')).toBe('group:default/guests');
    expect(ownerRef('user:other/ann', 'x')).toBe('user:other/ann');
    expect(ownerRef('team-a', 'ns')).toBe('group:ns/team-a');
    expect(ownerRef('unowned')).toBeUndefined();
    expect(ownerRef('')).toBeUndefined();
  });

  it('attentionRows: the owner as a full ref (create-app writes spec.owner: guests)', () => {
    expect(attentionRows(entities, STATUS).find(r => r.entityRef === 'system:default/examples')?.owner).toBe('group:default/guests');
  });

  it('statusAnnotationOf: <catalog.annotation>-status, none without an annotation', () => {
    expect(statusAnnotationOf(demoPolicy as unknown as FormatPolicy)).toBe(
      `${(demoPolicy.catalog as { annotation: string }).annotation}-status`,
    );
    expect(statusAnnotationOf({ schemes: [] })).toBeUndefined();
  });
});

/** The entity card in both frontend systems, one test per state. */
import React from 'react';
import { screen, waitFor, within } from '@testing-library/react';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import { renderInTestApp as renderInNewApp, createExtensionTester } from '@backstage/frontend-test-utils';
import { assetIdApiRef } from '../../api/AssetIdApi';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import type { JsonObject } from '@backstage/types';
import { EntityAssetIdCard } from './EntityAssetIdCard';
import { recordLink, fieldText, suggestionQuery, MAX_FIELD_CHARS } from './cardState';
import { assetIdEntityCard } from '../../alpha';
import { DEMO_REQUEST_URL, demoPolicy, searchPolicy } from '../../testing/fixtures';
import { BACKEND_BASE, fakeBackend, type FakeBackendOptions } from '../../testing/fakeBackend';

jest.setTimeout(30_000);

const ANNOTATION = 'example.com/asset-id';
const RECORD_URL = 'https://acme.service-now.com/nav_to.do?uri=cmdb_ci_business_app.do?sysparm_query=number={id}';
// the backend's policy with lookup.recordUrl: the core fills record.url
const policy: JsonObject = { ...demoPolicy, lookup: { ...(demoPolicy.lookup as JsonObject), recordUrl: RECORD_URL } };

function system(assetId?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: { name: 'payments', annotations: assetId === undefined ? {} : { [ANNOTATION]: assetId } },
    spec: { owner: 'team-payments' },
  };
}

const outage: JsonObject = {
  ...demoPolicy,
  lookup: { source: 'http', http: { url: 'http://127.0.0.1:9/assets/{id}' }, timeoutMs: 500 },
};

type System = 'legacy' | 'new';

async function renderCard(frontend: System, entity: Entity, options: Partial<FakeBackendOptions> = {}) {
  const backend = fakeBackend({ policy, ...options });
  if (frontend === 'legacy') {
    await renderInTestApp(
      <TestApiProvider apis={[[assetIdApiRef, backend.api]]}>
        <EntityProvider entity={entity}>
          <EntityAssetIdCard />
        </EntityProvider>
      </TestApiProvider>,
    );
  } else {
    renderInNewApp(
      <EntityProvider entity={entity}>{createExtensionTester(assetIdEntityCard).reactElement()}</EntityProvider>,
      { apis: [[assetIdApiRef, backend.api]] },
    );
  }
  const card = await screen.findByTestId('asset-id-card');
  return { card, backend };
}

const settled = async (card: HTMLElement, state: string) =>
  waitFor(() => expect(card).toHaveAttribute('data-state', state), { timeout: 10_000 });

describe.each(['legacy', 'new'] as const)('EntityAssetIdCard (%s frontend system)', frontend => {
  it('an app without the asset-id API: one configuration error naming the plugin', async () => {
    if (frontend === 'legacy') {
      await renderInTestApp(
        <TestApiProvider apis={[]}>
          <EntityProvider entity={system('APM0001234')}>
            <EntityAssetIdCard />
          </EntityProvider>
        </TestApiProvider>,
      );
    } else {
      renderInNewApp(<EntityProvider entity={system('APM0001234')}>{createExtensionTester(assetIdEntityCard).reactElement()}</EntityProvider>);
    }
    const card = await screen.findByTestId('asset-id-card');
    await settled(card, 'config-error');
    expect(card).toHaveTextContent(/no asset-id API \(assetIdApiRef\).*assetIdPlugin/);
  });

  it('loading: a progress indicator until the backend answers', async () => {
    const { card } = await renderCard(frontend, system('APM0001234'), { delayMs: 300 });
    expect(card).toHaveAttribute('data-state', 'loading');
    expect(within(card).getByTestId('progress')).toBeInTheDocument();
    await settled(card, 'valid');
  });

  it('valid: the record (ID, name, status, policy-listed fields) and a link to it in the CMDB', async () => {
    const { card, backend } = await renderCard(frontend, system(' apm-000 1234 '));
    await settled(card, 'valid');
    expect(within(card).getByText('Valid')).toBeInTheDocument();
    const table = within(card).getByRole('table', { name: 'Asset record' });
    expect(within(table).getByText('APM0001234')).toBeInTheDocument();
    expect(within(table).getByText('Payments Gateway')).toBeInTheDocument();
    expect(within(table).getByText('operational')).toBeInTheDocument();
    expect(within(table).getByText('team-payments')).toBeInTheDocument();
    const link = within(card).getByRole('link', { name: /Open the record in the CMDB/ });
    expect(link).toHaveAttribute('href', RECORD_URL.replace('{id}', 'APM0001234'));
    // data through the asset-id backend only: the policy (for the annotation key), then one verdict
    expect(backend.calls.map(c => `${c.method} ${c.url}`)).toEqual([
      `GET ${BACKEND_BASE}/v1/policy`,
      `POST ${BACKEND_BASE}/v1/validate`,
    ]);
    // the core's catalog rules read the annotation; the normalized value is what is asked
    expect(backend.validateCalls()[0].body).toEqual({ values: ['APM0001234'] });
  });

  it('retired: the record, the message, and the link', async () => {
    const { card } = await renderCard(frontend, system('APM0000042'));
    await settled(card, 'retired');
    expect(within(card).getByText('Retired')).toBeInTheDocument();
    expect(within(card).getByText(/APM0000042 \(Legacy Billing\) is retired/)).toBeInTheDocument();
    expect(within(card).getByText('Legacy Billing')).toBeInTheDocument();
    expect(within(card).getByRole('link', { name: /Open the record/ })).toBeInTheDocument();
  });

  it('not found: the message, no record, no link', async () => {
    const { card } = await renderCard(frontend, system('APM9999999'));
    await settled(card, 'not-found');
    expect(within(card).getByText('Not in the CMDB')).toBeInTheDocument();
    expect(within(card).getByText(/APM9999999 does not exist/)).toBeInTheDocument();
    expect(within(card).queryByRole('link')).not.toBeInTheDocument();
  });

  it('invalid: the format message with its hint, decided in the browser (no request)', async () => {
    const { card, backend } = await renderCard(frontend, system('APM12'));
    await settled(card, 'invalid');
    expect(within(card).getByText(/"APM12" is not a valid asset ID/)).toBeInTheDocument();
    expect(backend.validateCalls()).toHaveLength(0);
  });

  it('a huge annotation value is decided in the browser too (too_long), never sent', async () => {
    const { card, backend } = await renderCard(frontend, system('A'.repeat(100_000)));
    await settled(card, 'invalid');
    expect(backend.validateCalls()).toHaveLength(0);
  });

  it('not checked: an entity kind the policy does not check', async () => {
    const { card, backend } = await renderCard(frontend, { ...system('APM0001234'), kind: 'Component' });
    await settled(card, 'not-checked');
    expect(card).toHaveTextContent('does not check entities of kind Component');
    expect(backend.validateCalls()).toHaveLength(0);
  });

  it('no annotation: says which annotation to add, with an example', async () => {
    const { card, backend } = await renderCard(frontend, system());
    await settled(card, 'no-annotation');
    expect(card).toHaveTextContent(`this entity has no ${ANNOTATION} annotation`);
    expect(card).toHaveTextContent(`${ANNOTATION}: APM0001234`);
    expect(backend.validateCalls()).toHaveLength(0);
  });

  it('a blank annotation is the core\'s "empty" verdict, shown as no annotation', async () => {
    const { card } = await renderCard(frontend, system('   '));
    await settled(card, 'no-annotation');
  });

  it('CMDB unavailable: says so, calmly (not an error about the entity)', async () => {
    const { card } = await renderCard(frontend, system('APM0001234'), { policy: outage });
    await settled(card, 'unavailable');
    expect(within(card).getByText('CMDB unavailable')).toBeInTheDocument();
    expect(within(card).getAllByTestId('asset-id-issue')[0]).toHaveTextContent(/could not|unavailable/i);
  });

  it('the backend plugin missing: one configuration error saying exactly that', async () => {
    const { card } = await renderCard(frontend, system('APM0001234'), { mode: 'not-installed' });
    await settled(card, 'config-error');
    expect(within(card).getByRole('alert')).toHaveTextContent(/asset-id backend plugin is not installed or not reachable/);
  });
});

describe('card helpers (hostile CMDB data)', () => {
  it('links only http(s) record URLs', () => {
    const record = (url: unknown) => ({ id: 'A', fields: {}, url }) as never;
    expect(recordLink(record('https://cmdb.example/x?id=1'))).toBe('https://cmdb.example/x?id=1');
    expect(recordLink(record('javascript:alert(1)'))).toBeUndefined();
    expect(recordLink(record('data:text/html,<script>alert(1)</script>'))).toBeUndefined();
    expect(recordLink(record('//evil.example'))).toBeUndefined();
    expect(recordLink(record(`https://x.example/${'a'.repeat(5000)}`))).toBeUndefined();
    expect(recordLink(record(42))).toBeUndefined();
    expect(recordLink(null)).toBeUndefined();
  });

  it('cuts long field values and shows objects as JSON', () => {
    expect(fieldText('x'.repeat(MAX_FIELD_CHARS + 10))).toHaveLength(MAX_FIELD_CHARS + 1);
    expect(fieldText({ a: 1 })).toBe('{"a":1}');
    expect(fieldText(null)).toBe('');
    expect(fieldText(true)).toBe('true');
  });

  it('never renders CMDB text as HTML', async () => {
    const verdict = {
      input: 'APM0001234', valid: true, value: 'APM0001234', scheme: 'business-app', issues: [],
      record: { id: 'APM0001234', name: '<img src=x onerror=alert(1)>', status: 'operational', fields: {}, url: 'javascript:alert(1)' },
    };
    const { card } = await renderCard('legacy', system('APM0001234'), { validateBody: JSON.stringify({ results: [verdict] }) });
    await settled(card, 'valid');
    expect(within(card).getByText('<img src=x onerror=alert(1)>')).toBeInTheDocument();
    expect(card.querySelector('img')).toBeNull();
    expect(within(card).queryByRole('link')).not.toBeInTheDocument();
  });
});

// the card's policy with lookup.search and lookup.requestUrl
const withSearch: JsonObject = { ...policy, lookup: { ...(searchPolicy.lookup as JsonObject), recordUrl: RECORD_URL } };
const EDIT_URL = 'https://github.com/acme/systems/edit/main/payments/catalog-info.yaml';

function named(name: string, extra: { title?: string; assetId?: string; editUrl?: string } = {}): Entity {
  const annotations: Record<string, string> = {};
  if (extra.assetId !== undefined) annotations[ANNOTATION] = extra.assetId;
  if (extra.editUrl !== undefined) annotations['backstage.io/edit-url'] = extra.editUrl;
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'System',
    metadata: { name, ...(extra.title ? { title: extra.title } : {}), annotations },
    spec: { owner: 'team-payments' },
  };
}

describe.each(['legacy', 'new'] as const)('EntityAssetIdCard suggestions (%s frontend system)', frontend => {
  it('no annotation: records found by the name (- and _ as spaces), the exact line to add, copyable, and the edit link', async () => {
    const { card, backend } = await renderCard(frontend, named('payments_gateway', { editUrl: EDIT_URL }), { policy: withSearch });
    await settled(card, 'no-annotation');
    const section = await within(card).findByTestId('asset-id-suggestions');
    expect(backend.searchCalls().map(c => c.body)).toEqual([{ query: 'payments gateway', limit: 3 }]);
    const items = within(section).getAllByTestId('asset-id-suggestion');
    expect(items).toHaveLength(1);
    expect(items[0]).toHaveTextContent('APM0001234 — Payments Gateway (operational)');
    const code = items[0].querySelector('code');
    expect(code).toHaveTextContent(`${ANNOTATION}: APM0001234`);
    expect(within(items[0]).getByRole('button', { name: `Copy "${ANNOTATION}: APM0001234"` })).toBeInTheDocument();
    const edit = within(section).getByRole('link', { name: /Edit catalog-info\.yaml/ });
    expect(edit).toHaveAttribute('href', EDIT_URL);
    // the card's own message is still there
    expect(card).toHaveTextContent(`this entity has no ${ANNOTATION} annotation`);
  });

  it('not found: records found by the title, at most three, without an edit link when the entity has none', async () => {
    const searchBody = JSON.stringify({
      results: ['APM0002001', 'APM0003117', 'BSN0001001', 'BSN0002002'].map(id => ({ id, name: `Record ${id}`, fields: {} })),
      more: true,
    });
    const { card, backend } = await renderCard(frontend, named('x', { title: 'Identity Service', assetId: 'APM9999999' }), {
      policy: withSearch,
      searchBody,
    });
    await settled(card, 'not-found');
    const section = await within(card).findByTestId('asset-id-suggestions');
    expect(backend.searchCalls().map(c => c.body)).toEqual([{ query: 'Identity Service', limit: 3 }]);
    expect(within(section).getAllByTestId('asset-id-suggestion')).toHaveLength(3);
    expect(within(section).queryByRole('link', { name: /Edit/ })).not.toBeInTheDocument();
    expect(within(card).getByText(/APM9999999 does not exist/)).toBeInTheDocument();
  });

  it('nothing matched: the request link; a malformed record ID is never suggested', async () => {
    const searchBody = JSON.stringify({ results: [{ id: 'not an id', name: 'Payments', fields: {} }], more: false });
    const { card } = await renderCard(frontend, named('payments'), { policy: withSearch, searchBody });
    await settled(card, 'no-annotation');
    const section = await within(card).findByTestId('asset-id-suggestions');
    expect(within(section).queryByTestId('asset-id-suggestion')).not.toBeInTheDocument();
    expect(within(section).getByRole('link', { name: /^Request a new asset ID/ })).toHaveAttribute('href', DEMO_REQUEST_URL);
  });

  it.each([
    ['APM0001234', 'valid'],
    ['APM0000042', 'retired'],
    ['APM12', 'invalid'],
  ])('no search for %s (%s)', async (id, state) => {
    const { card, backend } = await renderCard(frontend, named('payments', { assetId: id }), { policy: withSearch });
    await settled(card, state);
    expect(backend.searchCalls()).toHaveLength(0);
    expect(within(card).queryByTestId('asset-id-suggestions')).not.toBeInTheDocument();
  });
});

describe('EntityAssetIdCard suggestions: when there are none', () => {
  it('without lookup.search: no search request', async () => {
    const { card, backend } = await renderCard('legacy', named('payments-gateway'));
    await settled(card, 'no-annotation');
    await new Promise(r => setTimeout(r, 300));
    expect(backend.searchCalls()).toHaveLength(0);
    expect(within(card).queryByTestId('asset-id-suggestions')).not.toBeInTheDocument();
  });

  it('a search outage (503): the card as without search, no alert', async () => {
    const { card, backend } = await renderCard('legacy', named('payments-gateway'), { policy: withSearch, mode: 'search-down' });
    await settled(card, 'no-annotation');
    await waitFor(() => expect(backend.searchCalls()).toHaveLength(1));
    await new Promise(r => setTimeout(r, 100));
    expect(within(card).queryByTestId('asset-id-suggestions')).not.toBeInTheDocument();
    expect(within(card).queryByRole('alert')).not.toBeInTheDocument();
  });

  it('hostile record names in suggestions render as text', async () => {
    const searchBody = JSON.stringify({ results: [{ id: 'APM0001234', name: `<img src=x onerror=alert(1)>${'x'.repeat(500)}`, fields: {} }], more: false });
    const { card } = await renderCard('legacy', named('payments'), { policy: withSearch, searchBody });
    const item = await within(card).findByTestId('asset-id-suggestion');
    expect(item).toHaveTextContent('<img src=x onerror=alert(1)>');
    expect(card.querySelector('img')).toBeNull();
    expect((item.textContent ?? '').length).toBeLessThan(250);
  });

  it('the search text: the title, else the name with - and _ as spaces, cut to 64 characters at a word', () => {
    expect(suggestionQuery('  Payments   Gateway ', 'x')).toBe('Payments Gateway');
    expect(suggestionQuery(undefined, 'payments-gateway_eu')).toBe('payments gateway eu');
    expect(suggestionQuery('', 'a--b')).toBe('a b');
    expect(suggestionQuery(undefined, '---')).toBeUndefined();
    const long = suggestionQuery(`${'word '.repeat(20)}end`, 'x')!;
    expect([...long].length).toBeLessThanOrEqual(64);
    expect(long.endsWith('word')).toBe(true);
  });
});

import React, { useState } from 'react';
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { TestApiProvider, TestApiRegistry, renderInTestApp } from '@backstage/test-utils';
import { createFieldValidation } from '@backstage/plugin-scaffolder-react/alpha';
import { assetIdApiRef } from '../../api/AssetIdApi';
import { AssetIdClient } from '../../api/AssetIdClient';
import type { JsonObject } from '@backstage/types';
import { ValidateAsset } from './ValidateAsset';
import { validateAssetValidation } from './validation';
import type { ValidateAssetProps } from './schema';
import { DEMO_REQUEST_URL, SAMPLE_CASES, demoPolicy, searchPolicy, sharedCases } from '../../testing/fixtures';
import { SEARCH_DEBOUNCE_MS } from './options';
import { BACKEND_BASE, discoveryApi, fakeBackend } from '../../testing/fakeBackend';

type Fetch = ReturnType<typeof fakeBackend>;
// format-only: the demo policy without its lookup
const { lookup: _lookup, ...formatPolicy } = demoPolicy;

function setup(
  options: {
    uiOptions?: unknown;
    fetch?: Fetch;
    assetId?: JsonObject;
    formData?: string;
    required?: boolean;
    rawErrors?: string[];
  } = {},
) {
  const assetId = options.assetId ?? demoPolicy;
  const fetch = options.fetch ?? fakeBackend({ policy: assetId });
  // a client per test: the page-level policy and verdicts start empty
  const discovery = { getBaseUrl: discoveryApi.getBaseUrl };
  const api = new AssetIdClient({ discoveryApi: discovery, fetchApi: fetch.fetchApi });
  const emitted: Array<string | undefined> = [];
  const Harness = () => {
    const [formData, setFormData] = useState<string | undefined>(options.formData);
    const props = {
      onChange: (v: string | undefined) => {
        emitted.push(v);
        setFormData(v);
      },
      required: options.required ?? true,
      disabled: false,
      readonly: false,
      schema: { type: 'string', title: 'Asset ID', description: 'The asset of the System' },
      rawErrors: options.rawErrors ?? [],
      formData,
      uiSchema: { 'ui:options': options.uiOptions },
      idSchema: { $id: 'root_assetId' },
      placeholder: 'APM0001234',
    } as unknown as ValidateAssetProps;
    return (
      <>
        <ValidateAsset {...props} />
        <output data-testid="form-value">{formData ?? ''}</output>
      </>
    );
  };
  return { fetch, emitted, Harness, assetId, api };
}

/** Render a harness from `setup` inside a test app with its asset-id API. */
async function mount(s: ReturnType<typeof setup>) {
  await renderInTestApp(
    <TestApiProvider
      apis={[[assetIdApiRef, s.api]]}
    >
      <s.Harness />
    </TestApiProvider>,
  );
}

async function renderField(options: Parameters<typeof setup>[0] = {}) {
  const s = setup(options);
  await mount(s);
  const root = screen.getByTestId('validate-asset');
  await waitFor(() => expect(root).toHaveAttribute('data-ready', 'true'));
  const input = screen.getByRole('textbox', { name: /Asset ID/ });
  return { ...s, root, input, user: userEvent.setup() };
}

function helperOf(input: HTMLElement): HTMLElement {
  const id = input.getAttribute('aria-describedby');
  expect(id).toBeTruthy();
  const helper = document.getElementById(id!);
  expect(helper).not.toBeNull();
  return helper!;
}

describe('ValidateAsset', () => {
  it('is an accessible text field: label, description as helper text, aria-describedby', async () => {
    const { input } = await renderField();
    expect(input).toHaveAttribute('id', 'root_assetId');
    expect(input).toBeRequired();
    expect(input).toHaveAttribute('aria-invalid', 'false');
    expect(helperOf(input)).toHaveTextContent('The asset of the System');
    expect(helperOf(input)).toHaveAttribute('aria-live', 'polite');
    expect(helperOf(input)).toHaveAttribute('role', 'status');
  });

  it('gives format feedback on every keystroke, without any request beyond the one policy fetch', async () => {
    const { input, root, fetch, user } = await renderField();
    expect(fetch.calls.map(c => c.url)).toEqual([`${BACKEND_BASE}/v1/policy`]);
    await user.type(input, 'APM1');
    expect(root).toHaveAttribute('data-state', 'invalid');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(helperOf(input)).toHaveTextContent('"APM1" is not a valid asset ID');
    await user.type(input, '2');
    expect(helperOf(input)).toHaveTextContent('"APM12" is not a valid asset ID');
    expect(fetch.validateCalls()).toHaveLength(0);
  });

  it('looks a well-formed ID up (debounced, with a progress indicator) and shows the record', async () => {
    const fetch = fakeBackend({ policy: demoPolicy, delayMs: 150 });
    const { input, root, user } = await renderField({ fetch });
    await user.type(input, 'APM0001234');
    expect(root).toHaveAttribute('data-state', 'checking');
    expect(screen.getByRole('progressbar')).toBeInTheDocument();
    expect(input).toHaveAttribute('aria-busy', 'true');
    await waitFor(() => expect(root).toHaveAttribute('data-state', 'valid'));
    expect(helperOf(input)).toHaveTextContent('Payments Gateway (operational)');
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    // one lookup for the whole typing session, through fetchApi, to the asset-id backend (never the CMDB)
    expect(fetch.validateCalls().map(c => [c.url, c.body])).toEqual([
      [`${BACKEND_BASE}/v1/validate`, { values: ['APM0001234'] }],
    ]);
    expect(screen.getByTestId('form-value')).toHaveTextContent('APM0001234');
  });

  it.each([
    ['APM9999999', 'APM9999999 does not exist'],
    ['APM0000042', 'APM0000042 (Legacy Billing) is retired'],
  ])('shows the lookup problem for %s', async (id, message) => {
    const { input, root, user } = await renderField();
    await user.type(input, id);
    await waitFor(() => expect(root).toHaveAttribute('data-state', 'invalid'));
    expect(helperOf(input)).toHaveTextContent(message);
    expect(input).toHaveAttribute('aria-invalid', 'true');
  });

  it('stores the normalized ID and offers a one-click normalization of the text', async () => {
    const { input, root, user, emitted } = await renderField();
    await user.type(input, ' apm-000 1234 ');
    expect(screen.getByTestId('form-value')).toHaveTextContent('APM0001234');
    expect(emitted[emitted.length - 1]).toBe('APM0001234');
    expect(input).toHaveValue(' apm-000 1234 ');
    await user.click(screen.getByRole('button', { name: 'Use APM0001234' }));
    expect(input).toHaveValue('APM0001234');
    expect(screen.queryByRole('button', { name: /Use / })).not.toBeInTheDocument();
    await waitFor(() => expect(root).toHaveAttribute('data-state', 'valid'));
  });

  it('stores nothing for a blank value (required-ness stays with JSON Schema)', async () => {
    const { input, user, emitted } = await renderField();
    await user.type(input, 'A');
    await user.clear(input);
    expect(emitted[emitted.length - 1]).toBeUndefined();
  });

  it('shows an initial value from the form and checks it', async () => {
    const { root } = await renderField({ formData: 'BSN0001001' });
    await waitFor(() => expect(root).toHaveAttribute('data-state', 'valid'));
    expect(root).toHaveTextContent('Identity Service (operational)');
  });

  it('format only when the backend policy has no lookup: the backend verdict is the format verdict', async () => {
    const { input, root, user } = await renderField({ assetId: formatPolicy });
    await user.type(input, 'APM9999999');
    await waitFor(() => expect(root).toHaveAttribute('data-state', 'valid'));
    expect(helperOf(input)).toHaveTextContent('APM9999999 is a valid business-app ID');
  });

  it('shows one clear configuration error for an unknown scheme instead of breaking', async () => {
    await mount(setup({ uiOptions: { scheme: 'nope' } }));
    const root = screen.getByTestId('validate-asset');
    await waitFor(() => expect(root).toHaveAttribute('data-state', 'config-error'));
    expect(within(root).getByText(/ui:options\.scheme "nope" is not a scheme of the policy/)).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: /Asset ID/ })).toHaveAttribute('aria-invalid', 'true');
  });

  it.each(SAMPLE_CASES)('$input: format at once, then the backend verdict', async c => {
    const { input, root, user } = await renderField();
    fireEvent.change(input, { target: { value: c.input } });
    expect(root).toHaveAttribute('data-state', c.format.valid ? 'checking' : 'invalid');
    expect(root).toHaveAttribute('data-value', c.format.value ?? '');
    await waitFor(() => expect(root).toHaveAttribute('data-state', c.lookup.valid ? 'valid' : 'invalid'));
    if (c.lookup.name) expect(root).toHaveTextContent(c.lookup.name);
    void user;
  });

  it.each(['schemes', 'maxLength', 'lookup'])('refuses ui:options.%s with one configuration error, never a verdict', async key => {
    const s = setup({ uiOptions: { [key]: key === 'lookup' ? false : key === 'maxLength' ? 3 : [] } });
    await mount(s);
    const root = screen.getByTestId('validate-asset');
    await waitFor(() => expect(root).toHaveAttribute('data-state', 'config-error'));
    const input = screen.getByRole('textbox', { name: /Asset ID/ });
    fireEvent.change(input, { target: { value: 'APM0000042' } });
    await act(() => new Promise(r => setTimeout(r, 400)));
    expect(root).toHaveAttribute('data-state', 'config-error');
    expect(helperOf(input)).toHaveTextContent(`ui:options.${key} is not allowed`);
    expect(within(root).queryByText(/retired/)).not.toBeInTheDocument();
    expect(s.fetch.calls).toHaveLength(0);
  });

  it.each([
    ['not-installed', 'HTTP 404'],
    ['network-error', 'network error'],
    ['html', 'not JSON'],
  ] as const)('says the backend plugin is not installed or not reachable (%s)', async (mode, detail) => {
    await mount(setup({ fetch: fakeBackend({ policy: demoPolicy, mode }) }));
    const root = screen.getByTestId('validate-asset');
    await waitFor(() => expect(root).toHaveAttribute('data-state', 'config-error'));
    expect(root).toHaveTextContent(/The asset-id backend plugin is not installed or not reachable/);
    expect(root).toHaveTextContent(detail);
    expect(root).toHaveTextContent('backend.add(');
  });

  it('keeps format feedback when the policy was loaded but /v1/validate is unreachable', async () => {
    const fetch = fakeBackend({ policy: demoPolicy });
    const { input, root, user } = await renderField({ fetch });
    fetch.setMode('validate-down');
    await user.type(input, 'APM12');
    expect(root).toHaveAttribute('data-state', 'invalid');
    expect(helperOf(input)).toHaveTextContent('"APM12" is not a valid asset ID');
    await user.clear(input);
    await user.type(input, 'APM0001234');
    await waitFor(() => expect(root).toHaveAttribute('data-state', 'config-error'));
    expect(helperOf(input)).toHaveTextContent(/not installed or not reachable \(network error/);
    // still the normalized value in the form: the validator on Next reports the same problem
    expect(screen.getByTestId('form-value')).toHaveTextContent('APM0001234');
  });

  it('shows a message once: what the form lists under the field (rawErrors) is not repeated in the helper text', async () => {
    const retired = 'APM0000042 (Legacy Billing) is retired';
    // before Next: the helper text carries the verdict
    const first = await renderField({ formData: 'APM0000042' });
    await waitFor(() => expect(first.root).toHaveAttribute('data-state', 'invalid'));
    expect(helperOf(first.input)).toHaveTextContent(retired);
    const lines = (helperOf(first.input).textContent ?? '').trim();
    cleanup();
    // after Next: the form lists that very line; the field shows its description instead
    const after = await renderField({ formData: 'APM0000042', rawErrors: [lines] });
    await waitFor(() => expect(after.root).toHaveAttribute('data-state', 'invalid'));
    expect(helperOf(after.input)).not.toHaveTextContent(retired);
    expect(helperOf(after.input)).toHaveTextContent('The asset of the System');
    expect(after.input).toHaveAttribute('aria-invalid', 'true');
  });
});

// The shared cases whose input a person can type: non-blank strings of reasonable length.
const shared = sharedCases().cases.filter(
  c => typeof c.input === 'string' && c.input.trim() !== '' && c.input.length <= 1000,
);
describe('ValidateAsset on the shared behaviour cases', () => {
  it('has cases', () => expect(shared.length).toBeGreaterThan(10));
  it.each(shared.map(c => [c.name, c] as const))('%s', async (_name, c) => {
    const { input, root } = await renderField({ assetId: c.policy, uiOptions: c.options });
    // paste the whole value at once (user-event would interpret special characters)
    fireEvent.change(input, { target: { value: c.input } });
    const final = c.expect.valid ? 'valid' : 'invalid';
    await waitFor(() => expect(root).toHaveAttribute('data-state', final));
    if (c.expect.valid) expect(screen.getByTestId('form-value')).toHaveTextContent(c.expect.value ?? '');
    if (c.expect.message) expect(helperOf(input)).toHaveTextContent(c.expect.message);
    if (c.expect.recordName) expect(helperOf(input)).toHaveTextContent(c.expect.recordName);
  });
});

describe('ValidateAsset and the form validator together', () => {
  it('a lookup superseded while typing does not spoil a concurrent validator run', async () => {
    const fetch = fakeBackend({ policy: demoPolicy, delayMs: 200 });
    const { input, user, api } = await renderField({ fetch, uiOptions: { debounceMs: 0 } });
    await user.type(input, 'APM0001234');
    // the field's lookup is in flight; the form validates the same ID (coalesced with it) ...
    const validation = createFieldValidation();
    const validating = validateAssetValidation('APM0001234', validation, {
      apiHolder: TestApiRegistry.from([assetIdApiRef, api]),
      formData: {},
      schema: {},
      uiSchema: { 'ui:options': { debounceMs: 0 } },
    });
    // ... while the developer keeps typing, which supersedes the field's lookup
    await user.type(input, '5');
    await validating;
    expect(validation.__errors ?? []).toEqual([]);
    // the field's lookup and the validator's shared one request
    expect(fetch.validateCalls().filter(c => JSON.stringify(c.body) === '{"values":["APM0001234"]}')).toHaveLength(1);
  });
});

describe('ValidateAsset as a record picker (policy with lookup.search)', () => {
  const pause = (ms: number) => act(() => new Promise(r => setTimeout(r, ms)));

  it(`typing a name shows matching records after a ${SEARCH_DEBOUNCE_MS} ms debounce: ID, name, status, listed fields`, async () => {
    const fetch = fakeBackend({ policy: searchPolicy });
    const { input, root, user } = await renderField({ fetch, assetId: searchPolicy });
    expect(root).toHaveAttribute('data-search', 'on');
    await user.type(input, 'gateway');
    // format feedback at once, as before; the search waits for the pause in typing
    expect(root).toHaveAttribute('data-state', 'invalid');
    expect(fetch.searchCalls()).toHaveLength(0);
    const listbox = await screen.findByRole('listbox');
    const options = within(listbox).getAllByRole('option');
    // Fax Gateway is retired: the backend leaves it out
    expect(options).toHaveLength(1);
    expect(options[0]).toHaveTextContent('APM0001234 — Payments Gateway (operational)');
    expect(options[0]).toHaveTextContent('owner: team-payments');
    expect(screen.getByRole('combobox')).toHaveAttribute('aria-expanded', 'true');
    expect(input).toHaveAttribute('aria-controls', listbox.id);
    // one request for the whole word, through the asset-id backend
    expect(fetch.searchCalls().map(c => [c.url, c.body])).toEqual([[`${BACKEND_BASE}/v1/search`, { query: 'gateway' }]]);
  });

  it('choosing a record with the keyboard stores its ID and shows it valid', async () => {
    const fetch = fakeBackend({ policy: searchPolicy });
    const { input, root, user } = await renderField({ fetch, assetId: searchPolicy, uiOptions: { scheme: ['business-service'] } });
    await user.type(input, 'service');
    const options = await screen.findAllByRole('option');
    expect(options.map(o => o.textContent)).toEqual([
      expect.stringContaining('BSN0001001 — Identity Service'),
      expect.stringContaining('BSN0002002 — Notification Service'),
    ]);
    expect(fetch.searchCalls()[0].body).toEqual({ query: 'service', scheme: ['business-service'] });
    await user.keyboard('{ArrowDown}{ArrowDown}');
    expect(input).toHaveAttribute('aria-activedescendant', options[1].id);
    expect(options[1]).toHaveAttribute('data-focus', 'true');
    await user.keyboard('{Enter}');
    expect(input).toHaveValue('BSN0002002');
    expect(screen.queryByRole('listbox')).not.toBeInTheDocument();
    expect(screen.getByTestId('form-value')).toHaveTextContent('BSN0002002');
    await waitFor(() => expect(root).toHaveAttribute('data-state', 'valid'));
    expect(helperOf(input)).toHaveTextContent('BSN0002002 — Notification Service (operational)');
    // the chosen ID is well-formed: it is looked up, not searched
    expect(fetch.searchCalls()).toHaveLength(1);
    expect(fetch.validateCalls().map(c => c.body)).toEqual([{ values: ['BSN0002002'], scheme: ['business-service'] }]);
  });

  it('Escape closes the list and keeps the text', async () => {
    const { input, user } = await renderField({ assetId: searchPolicy });
    await user.type(input, 'service');
    await screen.findByRole('listbox');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('listbox')).not.toBeInTheDocument();
    expect(input).toHaveValue('service');
  });

  it('typing an ID works as before: a well-formed ID, or a text shorter than minLength, is never searched', async () => {
    const fetch = fakeBackend({ policy: searchPolicy });
    const { input, root, user } = await renderField({ fetch, assetId: searchPolicy });
    await user.type(input, 'ga');
    await pause(SEARCH_DEBOUNCE_MS + 100);
    await user.clear(input);
    await user.type(input, 'apm-0001234');
    await waitFor(() => expect(root).toHaveAttribute('data-state', 'valid'));
    expect(screen.getByTestId('form-value')).toHaveTextContent('APM0001234');
    await pause(SEARCH_DEBOUNCE_MS + 100);
    expect(fetch.searchCalls()).toHaveLength(0);
    expect(screen.queryByRole('listbox')).not.toBeInTheDocument();
  });

  it('ui:options.search: false: no options and no search request', async () => {
    const fetch = fakeBackend({ policy: searchPolicy });
    const { input, root, user } = await renderField({ fetch, assetId: searchPolicy, uiOptions: { search: false } });
    expect(root).toHaveAttribute('data-search', 'off');
    await user.type(input, 'gateway');
    await pause(SEARCH_DEBOUNCE_MS + 200);
    expect(screen.queryByRole('listbox')).not.toBeInTheDocument();
    expect(screen.queryByRole('option')).not.toBeInTheDocument();
    expect(screen.queryByRole('combobox')).not.toBeInTheDocument();
    expect(fetch.searchCalls()).toHaveLength(0);
    expect(root).toHaveAttribute('data-state', 'invalid');
  });

  it('no search without lookup.search in the policy (the backend has none)', async () => {
    const fetch = fakeBackend({ policy: demoPolicy });
    const { input, root, user } = await renderField({ fetch });
    expect(root).toHaveAttribute('data-search', 'off');
    await user.type(input, 'gateway');
    await pause(SEARCH_DEBOUNCE_MS + 200);
    expect(fetch.searchCalls()).toHaveLength(0);
  });

  it('nothing matched and a lookup.requestUrl: a "Request a new asset ID" link opening in a new tab', async () => {
    const { input, user } = await renderField({ assetId: searchPolicy });
    await user.type(input, 'zzzz');
    // (Backstage's Link adds ", Opens in a new window" to the accessible name)
    const link = await screen.findByRole('link', { name: /^Request a new asset ID/ });
    expect(link).toHaveAttribute('href', DEMO_REQUEST_URL);
    expect(link).toHaveAttribute('target', '_blank');
    expect(link.getAttribute('rel')).toMatch(/\bnoopener\b/);
    expect(screen.getByTestId('asset-id-search')).toHaveTextContent('No asset matches "zzzz".');
    expect(screen.queryByRole('listbox')).not.toBeInTheDocument();
    expect(screen.getByRole('combobox')).toHaveAttribute('aria-expanded', 'false');
  });

  it('a search outage (503) shows a quiet hint, and typing an ID still works', async () => {
    const fetch = fakeBackend({ policy: searchPolicy, mode: 'search-down' });
    const { input, root, user } = await renderField({ fetch, assetId: searchPolicy });
    await user.type(input, 'gateway');
    const hint = await screen.findByText(/Search is unavailable right now: type the asset ID instead/);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
    expect(hint).not.toHaveClass('Mui-error');
    expect(root).not.toHaveAttribute('data-state', 'config-error');
    await user.clear(input);
    await user.type(input, 'APM0001234');
    await waitFor(() => expect(root).toHaveAttribute('data-state', 'valid'));
    expect(helperOf(input)).toHaveTextContent('Payments Gateway (operational)');
    expect(screen.queryByText(/Search is unavailable/)).not.toBeInTheDocument();
  });

  it('a search superseded by more typing is aborted and never reported as an outage', async () => {
    const fetch = fakeBackend({ policy: searchPolicy, delayMs: 400 });
    const { input, user } = await renderField({ fetch, assetId: searchPolicy });
    await user.type(input, 'paym');
    await pause(SEARCH_DEBOUNCE_MS + 50); // the request for "paym" is in flight
    await user.type(input, 'ents');
    const options = await screen.findAllByRole('option', {}, { timeout: 3000 });
    expect(options[0]).toHaveTextContent('Payments Gateway');
    expect(fetch.searchCalls().map(c => (c.body as { query: string }).query)).toEqual(['paym', 'payments']);
    expect(screen.queryByText(/Search is unavailable/)).not.toBeInTheDocument();
  });

  it('hostile record names (HTML, very long, control characters) render as text, cut', async () => {
    const long = 'L'.repeat(5000);
    const searchBody = JSON.stringify({
      results: [
        { id: 'APM0000001', name: '<img src=x onerror=alert(1)>', status: '<b>ok</b>', fields: { owner: '<script>alert(1)</script>' } },
        { id: 'APM0000002', name: long, fields: { owner: 'o'.repeat(1000) } },
        { id: 'APM0000003', name: 'Evil\u0007\u001b[31m\u202eName\nnext', fields: {} },
      ],
      more: false,
    });
    const { input, user } = await renderField({ fetch: fakeBackend({ policy: searchPolicy, searchBody }), assetId: searchPolicy });
    await user.type(input, 'anything');
    const options = await screen.findAllByRole('option');
    expect(options).toHaveLength(3);
    expect(options[0]).toHaveTextContent('<img src=x onerror=alert(1)> (<b>ok</b>)');
    expect(options[0]).toHaveTextContent('owner: <script>alert(1)</script>');
    expect(document.querySelector('img, script, b')).toBeNull();
    const longText = options[1].textContent ?? '';
    expect(longText.length).toBeLessThan(250);
    expect(longText).toContain('…');
    expect(options[2].textContent).toContain('Evil\ufffd\ufffd[31m\ufffdName\ufffdnext');
    expect(options[2].textContent).not.toMatch(/[\u0000-\u001f\u202e]/);
  });
});

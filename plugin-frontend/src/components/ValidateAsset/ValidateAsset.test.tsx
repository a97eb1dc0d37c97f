import React, { useState } from 'react';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { TestApiProvider, TestApiRegistry, renderInTestApp } from '@backstage/test-utils';
import { createFieldValidation } from '@backstage/plugin-scaffolder-react/alpha';
import { configApiRef, discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import type { JsonObject } from '@backstage/types';
import { ValidateAsset } from './ValidateAsset';
import { validateAssetValidation } from './validation';
import type { ValidateAssetProps, ValidateAssetUiOptions } from './schema';
import {
  PROXY_BASE,
  SAMPLE_CASES,
  configApi,
  demoPolicy,
  discoveryApi,
  fakeFetchApi,
  sharedCases,
} from '../../testing/fixtures';

type Fetch = ReturnType<typeof fakeFetchApi>;

// Each test gets its own policy (a different maxLength), so the core's lookup cache starts empty.
let policySeq = 100;

function setup(
  options: {
    uiOptions?: ValidateAssetUiOptions;
    fetch?: Fetch;
    assetId?: JsonObject;
    formData?: string;
    required?: boolean;
  } = {},
) {
  const fetch = options.fetch ?? fakeFetchApi();
  const assetId = options.assetId ?? { ...demoPolicy, maxLength: policySeq++ };
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
      rawErrors: [],
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
  return { fetch, emitted, Harness, assetId };
}

/** Render a harness from `setup` inside a test app with its config, discovery and fetch APIs. */
async function mount(s: ReturnType<typeof setup>) {
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [configApiRef, configApi(s.assetId)],
        [discoveryApiRef, discoveryApi],
        [fetchApiRef, s.fetch.fetchApi],
      ]}
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

  it('gives format feedback on every keystroke, without any request', async () => {
    const { input, root, fetch, user } = await renderField();
    await user.type(input, 'APM1');
    expect(root).toHaveAttribute('data-state', 'invalid');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(helperOf(input)).toHaveTextContent('"APM1" is not a valid asset ID');
    await user.type(input, '2');
    expect(helperOf(input)).toHaveTextContent('"APM12" is not a valid asset ID');
    expect(fetch.calls).toHaveLength(0);
  });

  it('looks a well-formed ID up (debounced, with a progress indicator) and shows the record', async () => {
    const fetch = fakeFetchApi({ delayMs: 150 });
    const { input, root, user } = await renderField({ fetch });
    await user.type(input, 'APM0001234');
    expect(root).toHaveAttribute('data-state', 'checking');
    expect(screen.getByRole('progressbar')).toBeInTheDocument();
    expect(input).toHaveAttribute('aria-busy', 'true');
    await waitFor(() => expect(root).toHaveAttribute('data-state', 'valid'));
    expect(helperOf(input)).toHaveTextContent('Payments Gateway (operational)');
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    // one request for the whole typing session, through fetchApi, to the proxy URL
    expect(fetch.calls.map(c => c.url)).toEqual([`${PROXY_BASE}/asset-registry/assets.json`]);
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

  it('format only with ui:options lookup: false', async () => {
    const { input, root, fetch, user } = await renderField({ uiOptions: { lookup: false } });
    await user.type(input, 'APM9999999');
    expect(root).toHaveAttribute('data-state', 'valid');
    expect(helperOf(input)).toHaveTextContent('APM9999999 is a valid business-app ID');
    await act(() => new Promise(r => setTimeout(r, 400)));
    expect(fetch.calls).toHaveLength(0);
  });

  it('shows one clear configuration error for an unknown scheme instead of breaking', async () => {
    await mount(setup({ uiOptions: { scheme: 'nope' } }));
    const root = screen.getByTestId('validate-asset');
    await waitFor(() => expect(root).toHaveAttribute('data-state', 'config-error'));
    expect(within(root).getByText(/ui:options\.scheme "nope" is not a scheme of the policy/)).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: /Asset ID/ })).toHaveAttribute('aria-invalid', 'true');
  });

  it.each(SAMPLE_CASES)('format of $input matches the core', async c => {
    const { input, root, user } = await renderField({ uiOptions: { lookup: false } });
    await user.type(input, c.input);
    expect(root).toHaveAttribute('data-state', c.format.valid ? 'valid' : 'invalid');
    expect(root).toHaveAttribute('data-value', c.format.value ?? '');
  });
});

// The shared cases whose input a person can type: non-blank strings of reasonable length.
const shared = sharedCases().cases.filter(
  c => typeof c.input === 'string' && c.input.trim() !== '' && c.input.length <= 1000,
);
(shared.length ? describe : describe.skip)('ValidateAsset on the shared behaviour cases', () => {
  it.each(shared.map(c => [c.name, c] as const))('%s', async (_name, c) => {
    const { input, root } = await renderField({
      assetId: c.policy,
      uiOptions: { ...c.options, ...(c.lookup ? {} : { lookup: false }) },
    });
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
    const fetch = fakeFetchApi({ delayMs: 200 });
    const { input, user, assetId } = await renderField({ fetch, uiOptions: { debounceMs: 0 } });
    await user.type(input, 'APM0001234');
    // the field's lookup is in flight; the form validates the same ID (coalesced with it) ...
    const validation = createFieldValidation();
    const validating = validateAssetValidation('APM0001234', validation, {
      apiHolder: TestApiRegistry.from(
        [configApiRef, configApi(assetId)],
        [discoveryApiRef, discoveryApi],
        [fetchApiRef, fetch.fetchApi],
      ),
      formData: {},
      schema: {},
      uiSchema: { 'ui:options': { debounceMs: 0 } },
    });
    // ... while the developer keeps typing, which supersedes the field's lookup
    await user.type(input, '5');
    await validating;
    expect(validation.__errors ?? []).toEqual([]);
  });
});

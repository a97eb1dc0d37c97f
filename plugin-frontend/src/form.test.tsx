/**
 * The field inside the scaffolder's own form (Stepper), rendering the example template exactly as the
 * demo does, with the field registered through the legacy extension (ValidateAssetFieldExtension).
 */
import React from 'react';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import type { JsonObject } from '@backstage/types';
import { assetIdApiRef } from './api/AssetIdApi';
import { DemoPage } from '../dev/DemoPage';
import { template, templateManifest } from '../dev/template';
import { demoPolicy } from './testing/fixtures';
import { fakeBackend } from './testing/fakeBackend';

jest.setTimeout(30_000);

async function renderDemo(entity = template) {
  const fetch = fakeBackend({ policy: demoPolicy });
  await renderInTestApp(
    <TestApiProvider
      apis={[[assetIdApiRef, fetch.api]]}
    >
      <DemoPage entity={entity} />
    </TestApiProvider>,
  );
  const root = await screen.findByTestId('validate-asset');
  await waitFor(() => expect(root).toHaveAttribute('data-ready', 'true'));
  return { root, input: screen.getByRole('textbox', { name: /Asset ID/ }), fetch, user: userEvent.setup() };
}

describe('the example template in the scaffolder form', () => {
  it('a template without ui:hideError: the message once at the field (rjsf\'s list) and once in the step summary', async () => {
    const entity: typeof template = JSON.parse(JSON.stringify(template));
    const assetId = (entity.spec.parameters[0].properties as JsonObject).assetId as JsonObject;
    expect(assetId['ui:hideError']).toBe(true);
    delete assetId['ui:hideError'];
    const { user } = await renderDemo(entity);
    const root = () => screen.getByTestId('validate-asset');
    await user.type(screen.getByRole('textbox', { name: /Asset ID/ }), 'APM0000042');
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'invalid'));
    const live = root().querySelector('p')?.textContent ?? '';
    await user.click(screen.getByRole('button', { name: 'Next' }));
    await screen.findByText(`'Asset ID' ${live}`);
    // under the field: rjsf's list, and the helper text does not repeat it
    expect(root()).not.toHaveTextContent('is retired');
    expect((root().parentElement?.textContent ?? '').match(/is retired/g)).toHaveLength(1);
    expect((document.body.textContent ?? '').match(/is retired/g)).toHaveLength(2);
  });

  it('renders the template parameters: first step has the Asset ID field', () => {
    const manifest = templateManifest();
    expect(manifest.title).toBe(template.metadata.title);
    expect(manifest.steps[0].schema).toMatchObject({
      properties: { assetId: { 'ui:field': 'ValidateAsset' } },
      required: ['assetId'],
    });
  });

  it('blocks Next until the value is valid, then the review shows the normalized ID', async () => {
    const { user } = await renderDemo();
    const field = () => screen.getByRole('textbox', { name: /Asset ID/ });
    const root = () => screen.getByTestId('validate-asset');
    const next = () => user.click(screen.getByRole('button', { name: 'Next' }));

    // retired: blocked with the lookup's message
    await user.type(field(), 'APM0000042');
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'invalid'));
    const live = root().querySelector('p')?.textContent ?? '';
    expect(live).toMatch(/^APM0000042 \(Legacy Billing\) is retired/);
    await next();
    await screen.findByText(`'Asset ID' ${live}`);
    expect(screen.getByRole('textbox', { name: /Asset ID/ })).toBeInTheDocument();
    // read once: the example template sets ui:hideError, so after Next the step summary carries the message
    // and nothing at the field repeats it (the field stays marked invalid)
    expect((document.body.textContent ?? '').match(/is retired/g)).toHaveLength(1);
    expect(root().parentElement?.textContent ?? '').not.toMatch(/is retired/);
    expect(screen.getByRole('textbox', { name: /Asset ID/ })).toHaveAttribute('aria-invalid', 'true');

    // malformed: blocked
    await user.clear(field());
    await user.type(field(), 'APM12');
    await next();
    expect(await screen.findAllByText(/"APM12" is not a valid asset ID/)).not.toHaveLength(0);
    expect(screen.queryByRole('textbox', { name: /^Name/ })).not.toBeInTheDocument();

    // valid (typed loosely): Next goes on
    await user.clear(field());
    await user.type(field(), ' apm-000 1234 ');
    await waitFor(() => expect(root()).toHaveAttribute('data-state', 'valid'));
    await next();
    await waitFor(() => expect(screen.queryByTestId('validate-asset')).not.toBeInTheDocument());
    // (the plain rjsf text inputs of the other steps are found by id)
    const byId = (id: string) => {
      const el = document.getElementById(id);
      if (!el) throw new Error(`#${id} not rendered`);
      return el;
    };
    await user.type(byId('root_name'), 'payments');
    await user.type(byId('root_owner'), 'group:default/team-payments');
    await next();
    await waitFor(() => expect(byId('root_repoUrl')).toHaveValue('github.com?owner=acme&repo=systems'));
    await user.click(screen.getByRole('button', { name: 'Review' }));
    await screen.findByRole('button', { name: 'Create' });
    expect(screen.getByText('APM0001234')).toBeInTheDocument();
    expect(screen.queryByText(' apm-000 1234 ')).not.toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    const created = await screen.findByTestId('created-values');
    expect(JSON.parse(created.textContent ?? '{}')).toMatchObject({
      assetId: 'APM0001234',
      name: 'payments',
    });
  });
});

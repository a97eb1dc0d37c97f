import React from 'react';
import { createDevApp } from '@backstage/dev-utils';
import { DemoPage } from './DemoPage';
import { CardsPage } from './CardsPage';
import { assetIdPlugin } from '../src';

// Demo convenience (no backend): pre-select guest sign-in so the page opens on the form.
window.localStorage.setItem('@backstage/core:SignInPage:provider', 'guest');
window.localStorage.setItem('enableLegacyGuestToken', 'true');

createDevApp()
  .registerPlugin(assetIdPlugin)
  .addPage({ path: '/asset-id', title: 'Asset ID demo', element: <DemoPage /> })
  .addPage({ path: '/asset-id-cards', title: 'Asset cards', element: <CardsPage /> })
  .render();

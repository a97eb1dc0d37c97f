import React from 'react';
import { createDevApp } from '@backstage/dev-utils';
import { DemoPage } from './DemoPage';

// Demo convenience (no backend): pre-select guest sign-in so the page opens on the form.
window.localStorage.setItem('@backstage/core:SignInPage:provider', 'guest');
window.localStorage.setItem('enableLegacyGuestToken', 'true');

createDevApp()
  .addPage({ path: '/asset-id', title: 'Asset ID demo', element: <DemoPage /> })
  .render();

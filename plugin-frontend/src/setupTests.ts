import '@testing-library/jest-dom';
import { readFileSync } from 'fs';
import { initSync } from 'asset-id/format';
import { initSync as initFullSync } from 'asset-id';

// Jest cannot fetch the .wasm through import.meta.url: initialise synchronously from the bytes.
// The plugin runs the format build (asset-id/format) ...
initSync(readFileSync(require.resolve('asset-id/format/asset_id_bg.wasm')));
// ... and the test fake of the backend plugin (src/testing/fakeBackend.ts) the full build, as the
// backend does (validateMany).
initFullSync(readFileSync(require.resolve('asset-id/asset_id_bg.wasm')));

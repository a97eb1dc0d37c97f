import '@testing-library/jest-dom';
import { readFileSync } from 'fs';
import { initSync } from 'asset-id';

// Jest cannot fetch the .wasm through import.meta.url: initialise synchronously from the bytes.
initSync(readFileSync(require.resolve('asset-id/asset_id_bg.wasm')));

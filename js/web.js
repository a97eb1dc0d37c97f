// Browser / bundler entry of the full build (lookups and search): wasm-pack `--target web` output.
// Call `await ready()` first. A page that only checks formats imports `asset-id/format` (format.js).
import init, { initSync as initWasmSync, AssetIdValidator as Generated } from '../pkg/web/asset_id.js';
// js/verdicts.cjs as an ES module (written by the Makefile), so that browsers load this entry
// without a bundler too.
import { install } from '../pkg/web/verdicts.js';
import { loader } from './loader.js';

// checkFormat/checkFormatMany through the packed transfer (see verdicts.cjs). Exported as a local
// binding, not a re-export, so `sideEffects: false` bundlers cannot skip this module.
install(Generated);
export const AssetIdValidator = Generated;

const load = loader(init, initWasmSync);
export const ready = load.ready;
export const initSync = load.initSync;

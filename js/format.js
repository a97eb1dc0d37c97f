// Browser / bundler entry of the format build (`asset-id/format`): policy, format rules,
// checkFormat/checkFormatMany, checkEntity, schemeNames; no lookup engine, transport or driver.
// wasm-pack `--target web` output. Call `await ready()` first.
import init, { initSync as initWasmSync, AssetIdValidator as Generated } from '../pkg/format/asset_id.js';
// js/verdicts.cjs as an ES module (written by the Makefile).
import { install } from '../pkg/format/verdicts.js';
import { loader } from './loader.js';

// checkFormat/checkFormatMany through the packed transfer (see verdicts.cjs). Exported as a local
// binding, not a re-export, so `sideEffects: false` bundlers cannot skip this module.
install(Generated);
export const AssetIdValidator = Generated;

const load = loader(init, initWasmSync);
export const ready = load.ready;
export const initSync = load.initSync;

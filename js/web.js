// Browser / bundler entry: wasm-pack `--target web` output. Call `await ready()` first.
import init, { initSync as initWasmSync, AssetIdValidator as Generated } from '../pkg/web/asset_id.js';
// js/verdicts.cjs as an ES module (written by the Makefile), so that browsers load this entry
// without a bundler too.
import { install } from '../pkg/web/verdicts.js';

// checkFormat/checkFormatMany through the packed transfer (see verdicts.cjs). Exported as a local
// binding, not a re-export, so `sideEffects: false` bundlers cannot skip this module.
install(Generated);
export const AssetIdValidator = Generated;

let started;

/**
 * Load and instantiate the WebAssembly module once. Without an argument the `.wasm` next to
 * this package is fetched (bundlers emit it as an asset); pass a URL, Response, bytes or a
 * WebAssembly.Module to load it from elsewhere.
 */
export function ready(input) {
  if (!started) {
    started = init(input === undefined ? undefined : { module_or_path: input }).then(
      () => undefined,
      (e) => {
        started = undefined;
        throw e;
      },
    );
  }
  return started;
}

/** Synchronous initialisation from bytes or a compiled module (Jest, workers, tests). */
export function initSync(module) {
  initWasmSync({ module });
  started = Promise.resolve();
}


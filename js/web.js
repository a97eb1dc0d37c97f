// Browser / bundler entry: wasm-pack `--target web` output. Call `await ready()` first.
import init, { initSync as initWasmSync, AssetIdValidator } from '../pkg/web/asset_id.js';

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

export { AssetIdValidator };

'use strict';
// Node entry of the format build (`require('asset-id/format')`): the nodejs build of the format
// .wasm, instantiated synchronously on load.
const wasm = require('../pkg/format-node/asset_id.js');
// checkFormat/checkFormatMany through the packed transfer (see verdicts.cjs).
require('./verdicts.cjs').install(wasm.AssetIdValidator);

/** Resolves at once: the WebAssembly module is already initialised in Node. */
function ready() {
  return Promise.resolve();
}

/** No-op in Node (kept so every entry has the same API). */
function initSync() {}

module.exports = { AssetIdValidator: wasm.AssetIdValidator, ready, initSync };

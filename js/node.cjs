'use strict';
// Node entry (require): the nodejs build instantiates the module synchronously on load.
const wasm = require('../pkg/node/asset_id.js');
// checkFormat/checkFormatMany through the packed transfer (see verdicts.cjs).
require('./verdicts.cjs').install(wasm.AssetIdValidator);

/** Resolves at once: the WebAssembly module is already initialised in Node. */
function ready() {
  return Promise.resolve();
}

/** No-op in Node (kept so every entry has the same API). */
function initSync() {}

module.exports = { AssetIdValidator: wasm.AssetIdValidator, ready, initSync };

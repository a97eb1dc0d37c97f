// Node entry (import): the same synchronous instance as `require('asset-id')`.
import { createRequire } from 'node:module';

const entry = createRequire(import.meta.url)('./node.cjs');

export const AssetIdValidator = entry.AssetIdValidator;
export const ready = entry.ready;
export const initSync = entry.initSync;

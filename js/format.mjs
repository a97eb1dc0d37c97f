// Node entry of the format build (import): the same synchronous instance as `require('asset-id/format')`.
import { createRequire } from 'node:module';

const entry = createRequire(import.meta.url)('./format.cjs');

export const AssetIdValidator = entry.AssetIdValidator;
export const ready = entry.ready;
export const initSync = entry.initSync;

/*
 * A compile-time check, run by `tsc` (the first step of `npm run ci:test`): the policy part of this package's
 * app-config schema (config.d.ts, which Backstage's config loader needs as TypeScript) declares exactly the keys
 * and value types of the core's `Policy` (the `asset-id` package's types, written in src/wasm/types.rs), at every
 * depth. A key added to, renamed in or removed from the core's policy without config.d.ts fails the build here.
 *
 * The known differences, on purpose:
 * - `catalog.statusAnnotation`: this package's setting (the processor's status annotation), not the core's;
 * - `lookup.registry.path`: read by the CLI only (a file on disk); the backend refuses it;
 * - `lookup.registry.records[]` names the `name` and `status` columns the core reads (checked: every record the
 *   core takes is one config.d.ts takes);
 * - the backend-only sections `processor`, `cache`, `backend` (deprecated) and `credentials`.
 */
import type { Policy } from 'asset-id';
import type { Config } from '../../config';

type ConfigAssetId = NonNullable<Config['assetId']>;

/** The shape of a type: its named keys at every depth (index signatures dropped), with their leaf types. */
type Shape<T> = T extends readonly (infer U)[]
  ? Shape<U>[]
  : T extends object
    ? { [K in keyof T as string extends K ? never : K]-?: Shape<NonNullable<T[K]>> }
    : T;

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;

type CoreLookup = NonNullable<Policy['lookup']>;
type ConfigLookup = NonNullable<ConfigAssetId['lookup']>;
type CoreRecord = NonNullable<NonNullable<CoreLookup['registry']>['records']>[number];
type ConfigRecord = NonNullable<NonNullable<ConfigLookup['registry']>['records']>[number];

type CorePolicy = Omit<Policy, 'lookup'> & {
  lookup?: Omit<CoreLookup, 'registry'> & { registry?: Omit<NonNullable<CoreLookup['registry']>, 'path' | 'records'> };
};
type ConfigPolicy = Omit<ConfigAssetId, 'processor' | 'cache' | 'backend' | 'credentials' | 'catalog' | 'lookup'> & {
  catalog?: Omit<NonNullable<ConfigAssetId['catalog']>, 'statusAnnotation'>;
  lookup?: Omit<ConfigLookup, 'registry'> & { registry?: Omit<NonNullable<ConfigLookup['registry']>, 'records'> };
};

const sameShape: Equal<Shape<CorePolicy>, Shape<ConfigPolicy>> = true;
const everyCoreRecordIsConfig: CoreRecord extends ConfigRecord ? true : never = true;
void sameShape;
void everyCoreRecordIsConfig;

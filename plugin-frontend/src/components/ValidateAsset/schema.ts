import { makeFieldSchema } from '@backstage/plugin-scaffolder-react';

/**
 * Schema of the `ValidateAsset` field: the stored value is the normalized asset ID (a string).
 *
 * `ui:options` may only NARROW the policy, which lives in the backend's app-config `assetId`: `scheme`
 * (a scheme name or a list of names), `debounceMs`, and `search: false` (no record picker). A policy key there (`schemes`, `maxLength`,
 * `lookup`, `catalog`) is a configuration error naming the key.
 *
 * @public
 */
export const ValidateAssetFieldSchema = makeFieldSchema({
  output: z => z.string(),
  uiOptions: z =>
    z.object({
      scheme: z
        .union([z.string(), z.array(z.string())])
        .optional()
        .describe(
          'Accept only these schemes of the backend policy: a name (e.g. "business-app") or a list of names. Default: every scheme of the policy.',
        ),
      debounceMs: z
        .number()
        .int()
        .min(0)
        .max(10000)
        .optional()
        .describe('Delay between the last keystroke and the backend lookup, in ms (default 300).'),
      search: z
        .boolean()
        .optional()
        .describe(
          'Offer matching CMDB records while the developer types a name (when the backend policy has lookup.search). Default true; false: a plain ID field.',
        ),
    }),
});

/**
 * The `ui:options` accepted by the `ValidateAsset` field.
 * @public
 */
export type ValidateAssetUiOptions = typeof ValidateAssetFieldSchema.uiOptionsType;

/**
 * Props of the `ValidateAsset` field component.
 * @public
 */
export type ValidateAssetProps = typeof ValidateAssetFieldSchema.TProps;

/**
 * JSON schema of the field (return value and ui:options), as shown by the scaffolder's field explorer.
 * @public
 */
export const ValidateAssetSchema = ValidateAssetFieldSchema.schema;

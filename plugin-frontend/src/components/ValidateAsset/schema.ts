import { makeFieldSchema } from '@backstage/plugin-scaffolder-react';

/**
 * Schema of the `ValidateAsset` field: the stored value is the normalized asset ID (a string), and
 * `ui:options` may narrow or override the app-wide policy from app-config (`assetId:`).
 *
 * Every key that is also a policy key (`schemes`, `maxLength`, `lookup`) is merged over the app-config
 * policy: objects key by key (deeply), arrays and scalars replaced. `lookup: false` turns the CMDB lookup
 * off for this field (format checks only).
 *
 * @public
 */
export const ValidateAssetFieldSchema = makeFieldSchema({
  output: z => z.string(),
  uiOptions: z =>
    z.object({
      scheme: z
        .string()
        .optional()
        .describe(
          'Accept only the policy scheme with this name (e.g. "business-app"). Default: any scheme of the policy.',
        ),
      schemes: z
        .array(z.record(z.unknown()))
        .optional()
        .describe(
          'Replace the policy schemes for this field (same shape as app-config assetId.schemes).',
        ),
      maxLength: z
        .number()
        .int()
        .positive()
        .optional()
        .describe('Characters allowed before any pattern runs (policy maxLength).'),
      lookup: z
        .union([z.literal(false), z.record(z.unknown())])
        .optional()
        .describe(
          'Override the CMDB lookup: an object deep-merged over app-config assetId.lookup (e.g. { servicenow: { table: "cmdb_ci_service" } }), or false for format checks only.',
        ),
      debounceMs: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe('Delay between the last keystroke and the CMDB lookup, in ms (default 300).'),
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

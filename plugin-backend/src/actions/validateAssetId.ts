/*
 * Scaffolder action `asset-id:validate`.
 *
 * The scaffolder backend checks a task's parameters only against JSON Schema; it never runs the
 * `ValidateAsset` field's validator, so a direct call of the scaffolder API would bypass it. A template
 * runs this action as its first step to enforce the same rules (same WASM package, same policy) on the
 * server before anything is created.
 */
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { AssetIdService } from '../service/AssetIdService';
import { AssetIdInputError } from '../service/errors';
import { formatIssue, formatIssues, shownValue } from '../service/messages';
import { listedFields, publicVerdict } from '../service/publicVerdict';

export const VALIDATE_ACTION_ID = 'asset-id:validate';

export function createValidateAssetIdAction(options: { assetId: AssetIdService }) {
  const { assetId } = options;
  const listed = listedFields(assetId.settings.policy);
  return createTemplateAction({
    id: VALIDATE_ACTION_ID,
    description:
      'Validates an asset ID against the asset-id policy (format, then CMDB lookup) and outputs the ' +
      'normalized value and the CMDB record. Fails the step when the ID is not valid.',
    supportsDryRun: true,
    examples: [
      {
        description: 'Validate the asset ID entered in the form before anything is created',
        example: [
          'steps:',
          '  - id: validate-asset',
          '    name: Validate asset ID',
          `    action: ${VALIDATE_ACTION_ID}`,
          '    input:',
          '      assetId: ${{ parameters.assetId }}',
          '  # later steps use ${{ steps["validate-asset"].output.value }}',
        ].join('\n'),
      },
    ],
    schema: {
      input: {
        assetId: z => z.string().describe('The asset ID to validate, as entered'),
        scheme: z =>
          z
            .union([z.string(), z.array(z.string()).min(1)])
            .optional()
            .describe(
              'Accept only this scheme of the policy, or only these (by name), like ui:options.scheme of the ' +
                'ValidateAsset field; default: any scheme',
            ),
      },
      output: {
        value: z => z.string().describe('The normalized asset ID'),
        scheme: z => z.string().describe('The name of the scheme that accepted the ID'),
        record: z =>
          z
            .object({
              id: z.string(),
              name: z.string().optional(),
              status: z.string().optional(),
              fields: z.record(z.string(), z.unknown()),
            })
            .nullable()
            .describe('The CMDB record, or null when the policy has no lookup or the CMDB was unavailable'),
      },
    },
    async handler(ctx) {
      const { assetId: value, scheme } = ctx.input;
      let verdict;
      try {
        verdict = publicVerdict(await assetId.validate(value, { scheme, signal: ctx.signal }), listed);
      } catch (error) {
        // A caller's mistake (an unknown scheme) fails the step, keeping the core's code and path.
        if (error instanceof AssetIdInputError) {
          throw new AssetIdInputError(`${VALIDATE_ACTION_ID}: ${error.message}`, error.code, error.path);
        }
        throw error;
      }

      const warnings = formatIssues(verdict, 'warning');
      if (!verdict.valid || verdict.value === null) {
        // Each issue with its code in brackets, e.g. "... is retired (hint) [retired]": readable and greppable.
        const errors =
          verdict.issues
            .filter(i => i.severity === 'error')
            .map(i => `${formatIssue(i)} [${i.code}]`)
            .join('; ') || 'not valid';
        throw new InputError(`Asset ID '${shownValue(value)}' is not valid: ${errors}`);
      }
      if (warnings) ctx.logger.warn(`Asset ID ${verdict.value}: ${warnings}`);

      const record = verdict.record ?? null;
      ctx.logger.info(
        `Asset ID ${verdict.value} is valid (scheme ${verdict.scheme ?? '?'}` +
          `${record ? `, record ${record.name ?? record.id}${record.status ? ` [${record.status}]` : ''}` : ''})` +
          `${ctx.isDryRun ? ' [dry run]' : ''}`,
      );
      ctx.output('value', verdict.value);
      ctx.output('scheme', verdict.scheme ?? '');
      ctx.output(
        'record',
        record
          ? {
              id: record.id,
              ...(record.name !== undefined ? { name: record.name } : {}),
              ...(record.status !== undefined ? { status: record.status } : {}),
              fields: JSON.parse(JSON.stringify(record.fields ?? {})),
            }
          : null,
      );
    },
  });
}

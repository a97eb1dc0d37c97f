/*
 * Scaffolder action `asset-id:validate`.
 *
 * The scaffolder backend checks a task's parameters only against JSON Schema; it never runs the
 * `ValidateAsset` field's validator, so a direct call of the scaffolder API would bypass it. A template
 * runs this action as its first step to enforce the same rules (same WASM package, same policy) on the
 * server before anything is created.
 *
 * Whatever it logs or puts in the step's error that comes from the user or the CMDB (the typed value, the record's
 * id, name and status, the verdict's value and scheme, issue messages and hints, which quote record names) goes
 * through `logText`, the CLI's escaping rule: one line, control, bidirectional and other invisible characters shown
 * as escapes (`\n`, `\u{1b}`, `\u{202e}`), long text cut. The step's outputs keep the exact values.
 */
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { Issue } from 'asset-id';
import type { AssetIdService } from '../service/AssetIdService';
import { AssetIdInputError } from '../service/errors';
import { logText } from '../service/logText';
import { MAX_SHOWN_CHARS } from '../service/messages';
import { listedFields, publicVerdict } from '../service/publicVerdict';

/** Longest issue message or hint kept in a log line or the step's error (characters, before escaping). */
const MAX_ISSUE_CHARS = 500;

/** "message (hint)" of one issue, escaped for a log line (the message can quote a CMDB record's name). */
function issueText(issue: Issue): string {
  const message = logText(issue.message, MAX_ISSUE_CHARS);
  return issue.hint ? `${message} (${logText(issue.hint, MAX_ISSUE_CHARS)})` : message;
}

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

      const shown = (v: string) => logText(v, MAX_SHOWN_CHARS);
      const warnings = verdict.issues
        .filter(i => i.severity === 'warning')
        .map(issueText)
        .join('; ');
      if (!verdict.valid || verdict.value === null) {
        // Each issue with its code in brackets, e.g. "... is retired (hint) [retired]": readable and greppable.
        const errors =
          verdict.issues
            .filter(i => i.severity === 'error')
            .map(i => `${issueText(i)} [${i.code}]`)
            .join('; ') || 'not valid';
        throw new InputError(`Asset ID '${shown(value)}' is not valid: ${errors}`);
      }
      if (warnings) ctx.logger.warn(`Asset ID ${shown(verdict.value)}: ${warnings}`);

      const record = verdict.record ?? null;
      ctx.logger.info(
        `Asset ID ${shown(verdict.value)} is valid (scheme ${logText(verdict.scheme ?? '?')}` +
          `${record ? `, record ${logText(record.name ?? record.id)}${record.status ? ` [${logText(record.status)}]` : ''}` : ''})` +
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

import type { CustomFieldValidator } from '@backstage/plugin-scaffolder-react';
import { configErrorMessage } from '../../errors';
import { errorLines, isBlank } from '../../messages';
import type { Verdict } from 'asset-id/format';
import { assetIdApiFrom, resolveFieldSetup, type FieldSetup } from './setup';
import type { ValidateAssetUiOptions } from './schema';

/**
 * The verdict the field and its validator act on: the format check in WASM, then, for a well-formed value,
 * the backend's verdict (a malformed value costs no request: the same core with the same policy decides).
 */
export async function fieldVerdict(setup: FieldSetup, value: unknown): Promise<Verdict> {
  const format = setup.checkFormat(value);
  return format.valid && format.value ? setup.lookup(format.value) : format;
}

/**
 * The `ValidateAsset` field validator, run by the scaffolder on Next / Review.
 *
 * The value is checked for format in WASM with the backend's policy (narrowed by `ui:options.scheme`);
 * a well-formed value is then sent to the asset-id backend plugin (`POST /v1/validate`, through
 * `fetchApi`), whose verdict decides (the CMDB lookup runs there, cached and shared). Each error issue
 * becomes one `validation.addError(message — hint)`; warnings do not block. An empty value passes (use
 * `required` in the template). A setup problem (a refused `ui:options` key, an unknown scheme, the backend
 * plugin missing or unreachable) is reported as ONE clear error, never as a verdict.
 *
 * @public
 */
export const validateAssetValidation: CustomFieldValidator<string, ValidateAssetUiOptions> = async (
  value,
  validation,
  context,
) => {
  if (isBlank(value)) return;
  try {
    const setup = await resolveFieldSetup(assetIdApiFrom(context.apiHolder), context.uiSchema?.['ui:options']);
    const verdict = await fieldVerdict(setup, value);
    for (const line of errorLines(verdict)) validation.addError(line);
  } catch (error) {
    validation.addError(configErrorMessage(error));
  }
};

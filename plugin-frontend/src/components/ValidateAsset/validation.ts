import type { CustomFieldValidator } from '@backstage/plugin-scaffolder-react';
import { apisFromHolder, configErrorMessage, resolveAssetIdSetup } from './setup';
import type { ValidateAssetUiOptions } from './schema';

/** An empty value (absent or blank): required-ness is JSON Schema's job, not this validator's. */
export function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/**
 * The `ValidateAsset` field validator, run by the scaffolder on Next / Review.
 *
 * The policy is the app-config `assetId` section (through `configApi` from `context.apiHolder`) with
 * the field's `ui:options` merged over it. The value is checked for format and looked up in the CMDB
 * (cached, so a value the field already looked up costs no request). Each error issue of the verdict
 * becomes one `validation.addError(message)`; warnings do not block. An empty value passes (use
 * `required` in the template). A configuration problem (no or refused policy, unknown `scheme`) is
 * reported as a single clear error instead of breaking the form.
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
    const setup = await resolveAssetIdSetup(
      apisFromHolder(context.apiHolder),
      context.uiSchema?.['ui:options'],
    );
    const verdict = await setup.validator.validate(value, {
      scheme: setup.scheme,
      fetch: setup.fetch,
    });
    for (const issue of verdict.issues) {
      if (issue.severity === 'error') validation.addError(issue.message);
    }
  } catch (error) {
    validation.addError(configErrorMessage(error));
  }
};

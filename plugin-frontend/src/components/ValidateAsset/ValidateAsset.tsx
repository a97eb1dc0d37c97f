import React, { useEffect, useMemo, useRef, useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import InputAdornment from '@material-ui/core/InputAdornment';
import TextField from '@material-ui/core/TextField';
import { discoveryApiRef, fetchApiRef, useApi } from '@backstage/core-plugin-api';
import type { Verdict } from 'asset-id';
import type { ValidateAssetProps } from './schema';
import { resolveFieldSetup, type FieldSetup } from './setup';
import { configErrorMessage } from '../../errors';
import { describeValid, errorLines, isBlank } from '../../messages';

type SetupState =
  | { status: 'loading' }
  | { status: 'ready'; setup: FieldSetup }
  | { status: 'error'; message: string };

type LookupState =
  | { status: 'idle' }
  | { status: 'done'; value: string; verdict: Verdict }
  | { status: 'failed'; value: string; message: string };

/** What the field shows; exposed as `data-state` on the field's root for tests and styling. */
export type ValidateAssetState =
  | 'loading'
  | 'config-error'
  | 'empty'
  | 'invalid'
  | 'checking'
  | 'valid';

/**
 * The `ValidateAsset` field: a text input with format feedback on every keystroke (synchronous WASM
 * check with the backend's policy, no network), a debounced lookup through the asset-id backend plugin
 * with a progress indicator, and the record found shown as helper text. The stored form value is the
 * normalized ID once the format is valid.
 *
 * A message is shown once: the helper text carries the live verdict; once the form has validated and
 * lists a message under the field (`rawErrors`), the helper text no longer repeats that message.
 * @public
 */
export const ValidateAsset = (props: ValidateAssetProps) => {
  const {
    onChange,
    required,
    disabled,
    readonly,
    schema: { title = 'Asset ID', description },
    rawErrors,
    formData,
    uiSchema,
    idSchema,
    placeholder,
  } = props;
  const uiOptions = uiSchema?.['ui:options'];
  const autoFocus = uiSchema?.['ui:autofocus'] === true;
  const optionsKey = JSON.stringify(uiOptions ?? {});
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);

  const [setupState, setSetupState] = useState<SetupState>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    const options: unknown = JSON.parse(optionsKey);
    resolveFieldSetup({ discoveryApi, fetchApi }, options).then(
      setup => {
        if (live) setSetupState({ status: 'ready', setup });
      },
      error => {
        if (live) setSetupState({ status: 'error', message: configErrorMessage(error) });
      },
    );
    return () => {
      live = false;
    };
  }, [discoveryApi, fetchApi, optionsKey]);
  const setup = setupState.status === 'ready' ? setupState.setup : undefined;

  // What the user typed; the form holds the normalized value once the format is valid.
  const [input, setInput] = useState<string>(formData ?? '');
  const emitted = useRef<string | undefined>(formData);
  useEffect(() => {
    if (formData !== emitted.current) {
      emitted.current = formData;
      setInput(formData ?? '');
    }
  }, [formData]);

  // Format: synchronous, on every keystroke.
  const format = useMemo<Verdict | undefined>(
    () => (setup && !isBlank(input) ? setup.checkFormat(input) : undefined),
    [setup, input],
  );

  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  useEffect(() => {
    let next: string | undefined;
    if (isBlank(input)) next = undefined;
    else if (format?.valid && format.value) next = format.value;
    else next = input;
    if (next !== emitted.current) {
      emitted.current = next;
      onChangeRef.current(next);
    }
  }, [input, format]);

  // Lookup: debounced, only for a well-formed value, keyed by the normalized value.
  const lookupValue = setup && format?.valid && format.value ? format.value : undefined;
  const [lookup, setLookup] = useState<LookupState>({ status: 'idle' });
  useEffect(() => {
    if (!setup || !lookupValue) return undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      // No abort on purpose: the client shares one request between concurrent identical lookups
      // (e.g. this one and the form validator's on Next). A stale answer is simply ignored.
      setup
        .lookup(lookupValue)
        .then(
          verdict => {
            if (!controller.signal.aborted) setLookup({ status: 'done', value: lookupValue, verdict });
          },
          error => {
            if (!controller.signal.aborted) {
              setLookup({ status: 'failed', value: lookupValue, message: configErrorMessage(error) });
            }
          },
        );
    }, setup.debounceMs);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [setup, lookupValue]);

  const lookupResult = lookup.status !== 'idle' && lookup.value === lookupValue ? lookup : undefined;

  let state: ValidateAssetState;
  let lines: string[] = [];
  if (setupState.status === 'error') {
    state = 'config-error';
    lines = [setupState.message];
  } else if (isBlank(input)) {
    state = 'empty';
  } else if (!setup || !format) {
    state = 'loading';
    lines = ['Loading the asset-ID rules…'];
  } else if (!format.valid) {
    state = 'invalid';
    lines = errorLines(format);
  } else if (lookupValue && !lookupResult) {
    state = 'checking';
    lines = [`Checking ${lookupValue}…`];
  } else if (lookupResult?.status === 'failed') {
    // the backend could not be asked: a setup problem, not a verdict (format feedback keeps working)
    state = 'config-error';
    lines = [lookupResult.message];
  } else {
    const verdict = lookupResult?.status === 'done' ? lookupResult.verdict : format;
    state = verdict.valid ? 'valid' : 'invalid';
    lines = verdict.valid ? [describeValid(verdict)] : errorLines(verdict);
  }
  // Shown once: a line the form already lists under the field (rawErrors) is not repeated here.
  const listed = new Set(rawErrors ?? []);
  const ownLines = lines.filter(line => !listed.has(line));
  const helper = ownLines.length ? ownLines.join(' ') : description;

  const normalized = format?.valid ? format.value : null;
  const canNormalize = !!normalized && normalized !== input && !disabled && !readonly;
  const fieldId = idSchema?.$id ?? 'asset-id';
  const isError =
    state === 'invalid' ||
    state === 'config-error' ||
    (state === 'empty' && (rawErrors?.length ?? 0) > 0);

  return (
    <Box
      data-testid="validate-asset"
      data-state={state}
      data-ready={setup ? 'true' : 'false'}
      data-value={normalized ?? ''}
    >
      <TextField
        id={fieldId}
        label={title}
        placeholder={placeholder}
        helperText={helper}
        required={required}
        disabled={disabled}
        value={input}
        onChange={event => setInput(event.target.value)}
        margin="normal"
        fullWidth
        error={isError}
        autoComplete="off"
        inputProps={{
          autoFocus,
          readOnly: readonly,
          spellCheck: false,
          'aria-busy': state === 'checking',
        }}
        InputProps={{
          endAdornment:
            state === 'checking' ? (
              <InputAdornment position="end">
                <CircularProgress size={20} aria-label="Checking the asset ID" />
              </InputAdornment>
            ) : undefined,
        }}
        FormHelperTextProps={{
          margin: 'dense',
          style: { marginLeft: 0 },
          role: 'status',
          'aria-live': 'polite',
        } as React.ComponentProps<typeof TextField>['FormHelperTextProps']}
      />
      {canNormalize && (
        <Button
          size="small"
          color="primary"
          variant="outlined"
          onClick={() => setInput(normalized)}
          aria-controls={fieldId}
        >
          Use {normalized}
        </Button>
      )}
    </Box>
  );
};

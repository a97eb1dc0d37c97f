import React, { useEffect, useMemo, useRef, useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import CircularProgress from '@material-ui/core/CircularProgress';
import InputAdornment from '@material-ui/core/InputAdornment';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Autocomplete, { type AutocompleteRenderInputParams } from '@material-ui/lab/Autocomplete';
import { Link } from '@backstage/core-components';
import { useApiHolder } from '@backstage/core-plugin-api';
import { assetIdApiRef } from '../../api/AssetIdApi';
import type { AssetRecord, Verdict } from 'asset-id/format';
import type { ValidateAssetProps } from './schema';
import { resolveFieldSetup, type FieldSetup } from './setup';
import { SEARCH_DEBOUNCE_MS } from './options';
import { RecordSummary } from '../RecordSummary';
import { configErrorMessage } from '../../errors';
import { describeValid, displayText, errorLines, isBlank } from '../../messages';

type SetupState =
  | { status: 'loading' }
  | { status: 'ready'; setup: FieldSetup }
  | { status: 'error'; message: string };

type LookupState =
  | { status: 'idle' }
  | { status: 'done'; value: string; verdict: Verdict }
  | { status: 'failed'; value: string; message: string };

type SearchState =
  | { status: 'idle' }
  | { status: 'done'; query: string; results: AssetRecord[]; more: boolean }
  | { status: 'failed'; query: string };

const isAbort = (error: unknown) =>
  typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';

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
 * When the backend's policy has `lookup.search` (and `ui:options.search` is not false), the field is also a
 * record picker: text that is not a well-formed ID, of at least `lookup.search.minLength` characters, is
 * searched (`POST /v1/search`, debounced {@link SEARCH_DEBOUNCE_MS} ms, a superseded request aborted), and
 * the matching records are offered in a combobox (MUI Autocomplete); choosing one stores its ID. When nothing
 * matches, the policy's `lookup.requestUrl` becomes a "Request a new asset ID" link.
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
  // (from the holder, not useApi: an app without the asset-id API gets the configuration error, not a crash)
  const assetIdApi = useApiHolder().get(assetIdApiRef);

  const [setupState, setSetupState] = useState<SetupState>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    const options: unknown = JSON.parse(optionsKey);
    resolveFieldSetup(assetIdApi, options).then(
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
  }, [assetIdApi, optionsKey]);
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

  // Search: debounced, for text that is not a well-formed ID (a well-formed one gets the lookup instead).
  const fieldSearch = setup?.search && !readonly && !disabled ? setup.search : undefined;
  const trimmed = input.trim();
  const queryLength = trimmed.length > 256 ? Infinity : [...trimmed].length; // characters, as the core counts
  const searchQuery =
    fieldSearch && format && !format.valid && queryLength >= fieldSearch.minLength && queryLength <= fieldSearch.maxLength
      ? trimmed
      : undefined;
  const [search, setSearch] = useState<SearchState>({ status: 'idle' });
  useEffect(() => {
    if (!fieldSearch || searchQuery === undefined) return undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      fieldSearch.run(searchQuery, controller.signal).then(
        answer => {
          if (!controller.signal.aborted) setSearch({ status: 'done', query: searchQuery, ...answer });
        },
        error => {
          if (!controller.signal.aborted && !isAbort(error)) setSearch({ status: 'failed', query: searchQuery });
        },
      );
    }, SEARCH_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [fieldSearch, searchQuery]);
  const searchResult = search.status !== 'idle' && search.query === searchQuery ? search : undefined;
  // the last answer stays listed while the next one is on its way (no flicker on every keystroke)
  const options = searchQuery !== undefined && search.status === 'done' ? search.results : [];
  // open while the developer types (Escape, a choice or leaving the field closes it), shown only with options:
  // so aria-expanded is true only when a list is there
  const [listOpen, setListOpen] = useState(false);

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

  const noMatch = searchResult?.status === 'done' && searchResult.results.length === 0;
  const notFound =
    lookupResult?.status === 'done' && lookupResult.verdict.issues.some(i => i.code === 'not_found');
  const requestUrl = (noMatch || notFound) && setup?.requestUrl;
  let searchLine: string | undefined;
  if (searchResult?.status === 'failed') {
    searchLine = 'Search is unavailable right now: type the asset ID instead.';
  } else if (noMatch) {
    searchLine = `No asset matches "${displayText(searchResult.query, 64)}".`;
  } else if (searchResult?.status === 'done' && searchResult.more) {
    searchLine = `More than ${searchResult.results.length} assets match: type more of the name to narrow the list.`;
  }

  const textFieldProps = {
    label: title,
    placeholder,
    helperText: helper,
    required,
    disabled,
    margin: 'normal' as const,
    fullWidth: true,
    error: isError,
    FormHelperTextProps: {
      margin: 'dense',
      style: { marginLeft: 0 },
      role: 'status',
      'aria-live': 'polite',
    } as React.ComponentProps<typeof TextField>['FormHelperTextProps'],
  };
  const ownInputProps = {
    autoFocus,
    readOnly: readonly,
    spellCheck: false,
    'aria-busy': state === 'checking',
  };
  const progress =
    state === 'checking' ? (
      <InputAdornment position="end">
        <CircularProgress size={20} aria-label="Checking the asset ID" />
      </InputAdornment>
    ) : undefined;

  const field = fieldSearch ? (
    <Autocomplete<AssetRecord, false, true, true>
      id={fieldId}
      freeSolo
      disableClearable
      open={listOpen && options.length > 0}
      onOpen={() => setListOpen(true)}
      onClose={() => setListOpen(false)}
      forcePopupIcon={false}
      options={options}
      filterOptions={all => all}
      getOptionLabel={option => (typeof option === 'string' ? option : option.id)}
      getOptionSelected={(option, value) => option.id === (value as AssetRecord | undefined)?.id}
      renderOption={option => <RecordSummary record={option} />}
      inputValue={input}
      onInputChange={(_event, value, reason) => {
        if (reason === 'input') setInput(value);
      }}
      onChange={(_event, value) => {
        // a record chosen from the list: its ID becomes the text (and, once checked, the form value)
        if (value && typeof value !== 'string') setInput(value.id);
      }}
      renderInput={(params: AutocompleteRenderInputParams) => (
        <TextField
          {...params}
          {...textFieldProps}
          inputProps={{ ...params.inputProps, ...ownInputProps }}
          InputProps={{ ...params.InputProps, endAdornment: progress }}
        />
      )}
    />
  ) : (
    <TextField
      id={fieldId}
      {...textFieldProps}
      value={input}
      onChange={event => setInput(event.target.value)}
      autoComplete="off"
      inputProps={ownInputProps}
      InputProps={{ endAdornment: progress }}
    />
  );

  return (
    <Box
      data-testid="validate-asset"
      data-state={state}
      data-ready={setup ? 'true' : 'false'}
      data-value={normalized ?? ''}
      data-search={fieldSearch ? 'on' : 'off'}
    >
      {field}
      {(searchLine || requestUrl) && (
        <Box data-testid="asset-id-search" aria-live="polite" mb={1}>
          {searchLine && (
            <Typography variant="body2" color="textSecondary" component="span">
              {searchLine}{' '}
            </Typography>
          )}
          {requestUrl && (
            <Link to={requestUrl} target="_blank" rel="noopener noreferrer">
              Request a new asset ID
            </Link>
          )}
        </Box>
      )}
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

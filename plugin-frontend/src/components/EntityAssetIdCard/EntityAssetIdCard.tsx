import React, { useEffect, useState } from 'react';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { CopyTextButton, InfoCard, Link, Progress } from '@backstage/core-components';
import { useApiHolder } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import type { AssetRecord, Verdict } from 'asset-id/format';
import { configErrorMessage, AssetIdConfigError } from '../../errors';
import { issueText, safeLink } from '../../messages';
import type { FormatPolicy } from '../../api/AssetIdClient';
import { assetIdApiRef } from '../../api/AssetIdApi';
import { loadPolicy, requireAssetIdApi, searchFor, validatorFor } from '../../api/policy';
import { RecordSummary } from '../RecordSummary';
import {
  EDIT_URL_ANNOTATION,
  MAX_SUGGESTIONS,
  fieldText,
  recordLink,
  suggestionQuery,
  verdictState,
  type EntityAssetIdCardState,
} from './cardState';

/**
 * Props of {@link EntityAssetIdCard}.
 * @public
 */
export interface EntityAssetIdCardProps {
  /** Card title (default "Asset"). */
  title?: string;
}

type Loaded =
  | { status: 'loading' }
  | { status: 'config-error'; message: string }
  | { status: 'not-checked'; kind: string }
  | { status: 'no-annotation'; annotation: string; policy: FormatPolicy; example?: string }
  | { status: 'verdict'; annotation: string; policy: FormatPolicy; verdict: Verdict };

type Suggestions =
  | { status: 'idle' }
  | { status: 'done'; key: string; records: AssetRecord[] }
  | { status: 'failed'; key: string };

/**
 * Records that may be the entity's asset, with the exact annotation line to add for each (copyable), the
 * entity's edit link, and the request link when nothing matched.
 */
const SuggestionList = (props: {
  annotation: string;
  records: AssetRecord[];
  editUrl?: string;
  requestUrl?: string;
}) => {
  const { annotation, records, editUrl, requestUrl } = props;
  if (records.length === 0) {
    return requestUrl ? (
      <Box mt={2} data-testid="asset-id-suggestions">
        <Typography variant="body2" color="textSecondary" component="span">
          No CMDB record matches this entity's name.{' '}
        </Typography>
        <Link to={requestUrl} target="_blank" rel="noopener noreferrer">
          Request a new asset ID
        </Link>
      </Box>
    ) : null;
  }
  return (
    <Box mt={2} data-testid="asset-id-suggestions" component="section" aria-labelledby="asset-id-suggestions-title">
      <Typography variant="subtitle2" component="h3" id="asset-id-suggestions-title">
        Suggested assets (found by the entity's name)
      </Typography>
      <Box component="ul" pl={0} m={0} style={{ listStyle: 'none' }}>
        {records.map(record => {
          const line = `${annotation}: ${record.id}`;
          return (
            <Box component="li" key={record.id} py={1} data-testid="asset-id-suggestion">
              <RecordSummary record={record} />
              <Box display="flex" alignItems="center" style={{ gap: 4 }}>
                <Typography variant="body2" component="code" style={{ fontFamily: 'monospace' }}>
                  {line}
                </Typography>
                <CopyTextButton text={line} aria-label={`Copy "${line}"`} tooltipText="Copied: paste it under metadata.annotations" />
              </Box>
            </Box>
          );
        })}
      </Box>
      <Typography variant="body2" color="textSecondary">
        Add the line of the right record under <code>metadata.annotations</code> in the entity's catalog-info.yaml
        {editUrl ? ': ' : '.'}
        {editUrl && (
          <Link to={editUrl} target="_blank" rel="noopener noreferrer">
            Edit catalog-info.yaml
          </Link>
        )}
      </Typography>
    </Box>
  );
};

const HEADLINE: Record<Exclude<EntityAssetIdCardState, 'loading' | 'config-error' | 'no-annotation' | 'not-checked'>, string> = {
  valid: 'Valid',
  retired: 'Retired',
  'not-found': 'Not in the CMDB',
  unavailable: 'CMDB unavailable',
  invalid: 'Not a valid asset ID',
};

/**
 * The entity's asset: its record from the CMDB (ID, name, status, the policy-listed fields), the verdict
 * with its message and hint, and a link to the record when the policy has `lookup.recordUrl`. Data comes
 * from the asset-id backend plugin (`/v1/policy` for the annotation key, `/v1/validate` for the verdict),
 * never from the CMDB directly. For the legacy frontend system; `/alpha` has the extension.
 * @public
 */
export const EntityAssetIdCard = (props: EntityAssetIdCardProps) => {
  const { title = 'Asset' } = props;
  const { entity } = useEntity();
  // (from the holder, not useApi: an app without the asset-id API gets the card's configuration error)
  const client = useApiHolder().get(assetIdApiRef);
  // what the catalog rules read: apiVersion, kind and the annotations
  const entityKey = JSON.stringify({
    apiVersion: entity.apiVersion,
    kind: entity.kind,
    metadata: { annotations: entity.metadata.annotations ?? {} },
  });
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });

  useEffect(() => {
    let live = true;
    setLoaded({ status: 'loading' });
    const current: unknown = JSON.parse(entityKey);
    (async (): Promise<Loaded> => {
      const policy = await loadPolicy(requireAssetIdApi(client));
      const annotation = policy.catalog?.annotation;
      if (!annotation) {
        throw new AssetIdConfigError(
          'The asset-id policy has no catalog.annotation: set assetId.catalog.annotation in the backend app-config.',
          'backend_error',
        );
      }
      // the catalog rules are the core's (the processor and the CLI apply the same ones)
      const check = validatorFor(policy).checkEntity(current);
      if (!check.checked) return { status: 'not-checked', kind: (current as { kind: string }).kind };
      if (!check.verdict) {
        return { status: 'no-annotation', annotation, policy, example: policy.schemes.find(s => s.example)?.example };
      }
      // a malformed annotation costs no request: the same core with the same policy decides
      if (!check.verdict.valid || !check.verdict.value) return { status: 'verdict', annotation, policy, verdict: check.verdict };
      const [verdict] = await requireAssetIdApi(client).validate([check.verdict.value]);
      return { status: 'verdict', annotation, policy, verdict };
    })().then(
      next => live && setLoaded(next),
      error => live && setLoaded({ status: 'config-error', message: configErrorMessage(error) }),
    );
    return () => {
      live = false;
    };
  }, [client, entityKey]);

  // Suggestions for an entity without its asset (no annotation, or an ID the CMDB does not know): the
  // policy's search, by the entity's title, else its name with - and _ as spaces.
  const policy = loaded.status === 'no-annotation' || loaded.status === 'verdict' ? loaded.policy : undefined;
  const wantsSuggestions =
    loaded.status === 'no-annotation' ||
    (loaded.status === 'verdict' && ['no-annotation', 'not-found'].includes(verdictState(loaded.verdict)));
  const query = suggestionQuery(entity.metadata.title, entity.metadata.name);
  const suggestKey = wantsSuggestions && policy && query ? JSON.stringify([query, policy]) : undefined;
  const [suggestions, setSuggestions] = useState<Suggestions>({ status: 'idle' });
  useEffect(() => {
    if (!suggestKey || !client) return undefined;
    const [text, current] = JSON.parse(suggestKey) as [string, FormatPolicy];
    const search = searchFor(client, current, undefined);
    if (!search || [...text].length < search.minLength) return undefined;
    const controller = new AbortController();
    const validator = validatorFor(current);
    client.search(text, { limit: MAX_SUGGESTIONS, signal: controller.signal }).then(
      answer => {
        // only records whose ID is a well-formed, normalized asset ID: the annotation line must be valid
        const records = answer.results
          .filter(r => {
            const format = validator.checkFormat(r.id);
            return format.valid && format.value === r.id;
          })
          .slice(0, MAX_SUGGESTIONS);
        if (!controller.signal.aborted) setSuggestions({ status: 'done', key: suggestKey, records });
      },
      () => {
        // a search outage or a backend without search: the card shows what it knows, quietly
        if (!controller.signal.aborted) setSuggestions({ status: 'failed', key: suggestKey });
      },
    );
    return () => controller.abort();
  }, [client, suggestKey]);
  const suggested =
    suggestKey && suggestions.status === 'done' && suggestions.key === suggestKey && loaded.status !== 'loading' && 'annotation' in loaded ? (
      <SuggestionList
        annotation={loaded.annotation}
        records={suggestions.records}
        editUrl={safeLink(entity.metadata.annotations?.[EDIT_URL_ANNOTATION])}
        requestUrl={safeLink(policy?.lookup?.requestUrl)}
      />
    ) : null;

  let state: EntityAssetIdCardState;
  let body: React.ReactNode;
  if (loaded.status === 'loading') {
    state = 'loading';
    body = <Progress aria-label="Loading the asset" />;
  } else if (loaded.status === 'config-error') {
    state = 'config-error';
    body = (
      <Typography role="alert" color="error" variant="body2">
        {loaded.message}
      </Typography>
    );
  } else if (loaded.status === 'not-checked') {
    state = 'not-checked';
    body = (
      <Typography variant="body2" color="textSecondary">
        asset-id does not check entities of kind {loaded.kind} (the policy's catalog.kinds).
      </Typography>
    );
  } else if (loaded.status === 'no-annotation' || verdictState(loaded.verdict) === 'no-annotation') {
    state = 'no-annotation';
    body = (
      <Typography variant="body2">
        No asset ID: this entity has no <code>{loaded.annotation}</code> annotation. Add{' '}
        <code>
          {loaded.annotation}: {(loaded.status === 'no-annotation' && loaded.example) || '<asset ID>'}
        </code>{' '}
        under <code>metadata.annotations</code> in its catalog-info.yaml.
      </Typography>
    );
    body = (
      <>
        {body}
        {suggested}
      </>
    );
  } else {
    const verdict = loaded.verdict;
    state = verdictState(verdict);
    const record = verdict.record;
    const link = recordLink(record);
    const rows: Array<[string, string]> = [['ID', verdict.value ?? verdict.input ?? '']];
    if (record) {
      if (record.name) rows.push(['Name', record.name]);
      if (record.status) rows.push(['Status', record.status]);
      const shown: Record<string, string | undefined> = { id: record.id, name: record.name, status: record.status };
      for (const [key, value] of Object.entries(record.fields ?? {})) {
        const text = fieldText(value);
        // the fields repeat id/name/status when the CMDB calls its columns so
        if (!(key in shown && shown[key] === text)) rows.push([key, text]);
      }
    }
    const headline = HEADLINE[state as keyof typeof HEADLINE];
    body = (
      <>
        <Box mb={1}>
          <Chip
            size="small"
            label={headline}
            color={state === 'valid' ? 'primary' : state === 'unavailable' ? 'default' : 'secondary'}
          />
        </Box>
        {verdict.issues.length > 0 && (
          <Box mb={1}>
            {verdict.issues.map((issue, i) => (
              <Typography
                key={i}
                variant="body2"
                color={issue.severity === 'error' && state !== 'unavailable' ? 'error' : 'textSecondary'}
                data-testid="asset-id-issue"
              >
                {issueText(issue)}
              </Typography>
            ))}
          </Box>
        )}
        <Table size="small" aria-label="Asset record">
          <TableBody>
            {rows.map(([key, value]) => (
              <TableRow key={key}>
                <TableCell component="th" scope="row">
                  {key}
                </TableCell>
                <TableCell>{value}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
        {link && (
          <Box mt={1}>
            <Link to={link}>Open the record in the CMDB</Link>
          </Box>
        )}
        {state === 'not-found' && suggested}
      </>
    );
  }

  return (
    <InfoCard title={title}>
      <div data-testid="asset-id-card" data-state={state}>
        {body}
      </div>
    </InfoCard>
  );
};

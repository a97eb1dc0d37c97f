import React, { useEffect, useState } from 'react';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { InfoCard, Link, Progress } from '@backstage/core-components';
import { discoveryApiRef, fetchApiRef, useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import type { Verdict } from 'asset-id';
import { configErrorMessage, AssetIdConfigError } from '../../errors';
import { issueText } from '../../messages';
import { clientFor, loadPolicy, validatorFor } from '../ValidateAsset/setup';
import { fieldText, recordLink, verdictState, type EntityAssetIdCardState } from './cardState';

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
  | { status: 'no-annotation'; annotation: string; example?: string }
  | { status: 'verdict'; annotation: string; verdict: Verdict };

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
  const discoveryApi = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
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
      const client = clientFor({ discoveryApi, fetchApi });
      const policy = await loadPolicy(client);
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
        return { status: 'no-annotation', annotation, example: policy.schemes.find(s => s.example)?.example };
      }
      // a malformed annotation costs no request: the same core with the same policy decides
      if (!check.verdict.valid || !check.verdict.value) return { status: 'verdict', annotation, verdict: check.verdict };
      const [verdict] = await client.validate([check.verdict.value]);
      return { status: 'verdict', annotation, verdict };
    })().then(
      next => live && setLoaded(next),
      error => live && setLoaded({ status: 'config-error', message: configErrorMessage(error) }),
    );
    return () => {
      live = false;
    };
  }, [discoveryApi, fetchApi, entityKey]);

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

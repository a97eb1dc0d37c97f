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
import { clientFor } from '../ValidateAsset/setup';
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
  | { status: 'no-annotation'; annotation: string; example?: string }
  | { status: 'verdict'; annotation: string; verdict: Verdict };

const HEADLINE: Record<Exclude<EntityAssetIdCardState, 'loading' | 'config-error' | 'no-annotation'>, string> = {
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
  const annotations = entity.metadata.annotations ?? {};
  const annotationsKey = JSON.stringify(annotations);
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });

  useEffect(() => {
    let live = true;
    setLoaded({ status: 'loading' });
    const current = JSON.parse(annotationsKey) as Record<string, string>;
    (async (): Promise<Loaded> => {
      const client = clientFor({ discoveryApi, fetchApi });
      const policy = await client.getPolicy();
      const annotation = policy.catalog?.annotation;
      if (!annotation) {
        throw new AssetIdConfigError(
          'The asset-id policy has no catalog.annotation: set assetId.catalog.annotation in the backend app-config.',
          'backend_error',
        );
      }
      const value = current[annotation];
      if (value === undefined) {
        return { status: 'no-annotation', annotation, example: policy.schemes.find(s => s.example)?.example };
      }
      const [verdict] = await client.validate([value]);
      return { status: 'verdict', annotation, verdict };
    })().then(
      next => live && setLoaded(next),
      error => live && setLoaded({ status: 'config-error', message: configErrorMessage(error) }),
    );
    return () => {
      live = false;
    };
  }, [discoveryApi, fetchApi, annotationsKey]);

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

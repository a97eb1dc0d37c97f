import React, { useEffect, useState } from 'react';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import LinearProgress from '@material-ui/core/LinearProgress';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { Content, Header, InfoCard, Page, Progress, WarningPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink, catalogApiRef } from '@backstage/plugin-catalog-react';
import { assetIdApiRef, type AssetIdCoverage } from '../../api/AssetIdApi';
import { configErrorMessage } from '../../errors';
import {
  MAX_ATTENTION_ROWS,
  attentionRows,
  attentionStatuses,
  ownerRows,
  percent,
  statusAnnotationOf,
  ownerRef,
  statusRows,
  UNOWNED,
  type AttentionRow,
} from './coverageView';

type Loaded =
  | { status: 'loading' }
  | { status: 'error'; message: string; httpStatus?: number }
  | { status: 'ready'; coverage: AssetIdCoverage; kinds: string[]; statusAnnotation?: string };

type Attention =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'ready'; rows: AttentionRow[]; more: boolean };

/** The page's states; exposed as `data-state` on the page's root for tests and styling. */
export type AssetIdCoverageState = 'loading' | 'error' | 'ready';

/** An owner linking to its page when it is an entity ref, else its text. */
const OwnerLink = ({ owner }: { owner: string }) => {
  const ref = ownerRef(owner);
  return ref ? <EntityRefLink entityRef={ref} /> : <>{owner}</>;
};

const kindsText = (kinds: string[]) => (kinds.length ? kinds.map(k => `${k}s`).join(', ') : 'entities');

/**
 * The entities needing attention: those of the policy's kinds the caller may see whose status annotation holds
 * one of the coverage's statuses other than `valid`, read from the catalog (at most {@link MAX_ATTENTION_ROWS}),
 * each linking to its entity page. The catalog is asked for those statuses only, so valid entities never fill
 * the list's limit.
 */
const AttentionList = (props: { kinds: string[]; statusAnnotation: string; statuses: string[] }) => {
  const { kinds, statusAnnotation, statuses } = props;
  const catalogApi = useApi(catalogApiRef);
  const [attention, setAttention] = useState<Attention>({ status: 'loading' });
  const key = JSON.stringify([kinds, statusAnnotation, statuses]);
  useEffect(() => {
    let live = true;
    const [wantedKinds, annotation, wantedStatuses] = JSON.parse(key) as [string[], string, string[]];
    // nothing to ask for (no such status counted, or no kinds: an empty filter would match every entity)
    if (wantedStatuses.length === 0 || wantedKinds.length === 0) {
      setAttention({ status: 'ready', rows: [], more: false });
      return undefined;
    }
    setAttention({ status: 'loading' });
    catalogApi
      .getEntities({
        // only entities whose status needs attention (the processor writes it on every entity it checks)
        filter: wantedKinds.map(kind => ({ kind, [`metadata.annotations.${annotation}`]: wantedStatuses })),
        fields: ['kind', 'metadata.namespace', 'metadata.name', 'metadata.title', 'metadata.annotations', 'spec.owner'],
        limit: MAX_ATTENTION_ROWS + 1,
      })
      .then(
        ({ items }) => {
          if (!live) return;
          const rows = attentionRows(items.slice(0, MAX_ATTENTION_ROWS), annotation);
          setAttention({ status: 'ready', rows, more: items.length > MAX_ATTENTION_ROWS });
        },
        error => live && setAttention({ status: 'error', message: configErrorMessage(error) }),
      );
    return () => {
      live = false;
    };
  }, [catalogApi, key]);

  let body: React.ReactNode;
  if (attention.status === 'loading') body = <Progress aria-label="Loading the entities needing attention" />;
  else if (attention.status === 'error') {
    body = (
      <Typography role="alert" color="error" variant="body2">
        The catalog could not be read: {attention.message}
      </Typography>
    );
  } else if (attention.rows.length === 0) {
    body = (
      <Typography variant="body2" data-testid="asset-id-attention-none">
        Nothing needs attention: every {kindsText(kinds).replace(/s$/, '')} you can see has a valid asset ID.
      </Typography>
    );
  } else {
    body = (
      <>
        <Table size="small" aria-label="Entities needing attention">
          <TableHead>
            <TableRow>
              <TableCell>Entity</TableCell>
              <TableCell>Owner</TableCell>
              <TableCell>Status</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {attention.rows.map(row => (
              <TableRow key={row.entityRef} data-testid="asset-id-attention-row" data-entity={row.entityRef} data-status={row.status}>
                <TableCell>
                  <EntityRefLink entityRef={row.entityRef} />
                </TableCell>
                <TableCell>{row.owner ? <EntityRefLink entityRef={row.owner} /> : '—'}</TableCell>
                <TableCell>{row.label}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
        {attention.more && (
          <Typography variant="body2" color="textSecondary">
            Only the first {MAX_ATTENTION_ROWS} are listed.
          </Typography>
        )}
      </>
    );
  }
  return (
    <InfoCard title="Needing attention">
      <div data-testid="asset-id-attention" data-state={attention.status}>
        {body}
      </div>
    </InfoCard>
  );
};

/**
 * The catalog's asset-ID coverage, as the signed-in user may see it: the share of valid entities (the
 * policy's `catalog.kinds`, Systems in the example), the breakdown by status and by owner (from the asset-id
 * backend's `GET /v1/coverage`), and the entities needing attention, each linking to its entity page. The
 * content of the page `/asset-id`, without the page's header (the new frontend system's page adds one).
 * @public
 */
export const AssetIdCoverageContent = () => {
  const client = useApi(assetIdApiRef);
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    const controller = new AbortController();
    Promise.all([client.getCoverage({ signal: controller.signal }), client.getPolicy()]).then(
      ([coverage, policy]) => {
        if (!live) return;
        // the annotation the backend read the statuses from; before it said so, the processor's default
        const statusAnnotation = coverage.statusAnnotation ?? statusAnnotationOf(policy);
        setLoaded({
          status: 'ready',
          coverage,
          kinds: coverage.kinds.length ? coverage.kinds : policy.catalog?.kinds ?? [],
          ...(statusAnnotation ? { statusAnnotation } : {}),
        });
      },
      error => {
        if (!live) return;
        const httpStatus = (error as { status?: unknown }).status;
        setLoaded({
          status: 'error',
          message: configErrorMessage(error),
          ...(typeof httpStatus === 'number' ? { httpStatus } : {}),
        });
      },
    );
    return () => {
      live = false;
      controller.abort();
    };
  }, [client]);

  let body: React.ReactNode;
  if (loaded.status === 'loading') body = <Progress aria-label="Loading the coverage" />;
  else if (loaded.status === 'error') {
    body = (
      <WarningPanel
        severity="error"
        title={
          loaded.httpStatus === 403
            ? 'You may not read the asset-ID coverage'
            : loaded.httpStatus === 401
              ? 'Sign in to see the asset-ID coverage'
              : 'The asset-ID coverage could not be loaded'
        }
      >
        <Typography variant="body2" role="alert">
          {loaded.message}
        </Typography>
      </WarningPanel>
    );
  } else {
    const { coverage, kinds, statusAnnotation } = loaded;
    const valid = coverage.byStatus.valid ?? 0;
    const share = percent(valid, coverage.total);
    const what = kindsText(kinds);
    body = (
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <InfoCard title={`Valid asset IDs`}>
            <Box data-testid="asset-id-coverage-share" data-valid={valid} data-total={coverage.total}>
              <Typography variant="h3" component="p">
                {share} %
              </Typography>
              <Typography variant="body1">
                {valid} of {coverage.total} {what} have a valid asset ID.
              </Typography>
              <Box mt={1} mb={1}>
                <LinearProgress variant="determinate" value={share} aria-label={`${share} % valid`} />
              </Box>
              <Typography variant="caption" color="textSecondary">
                Counted {new Date(coverage.generatedAt).toLocaleString()} from the status the catalog processor
                wrote, over the {what} you may see.
              </Typography>
              {!coverage.complete && (
                <Typography variant="body2" color="error" data-testid="asset-id-coverage-incomplete">
                  The catalog holds more {what} than the backend counts: these figures are of the first {coverage.total}.
                </Typography>
              )}
            </Box>
          </InfoCard>
        </Grid>
        <Grid item xs={12} md={6}>
          <InfoCard title="By status">
            <Table size="small" aria-label="Coverage by status" data-testid="asset-id-coverage-status">
              <TableHead>
                <TableRow>
                  <TableCell>Status</TableCell>
                  <TableCell align="right">{what}</TableCell>
                  <TableCell align="right">Share</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {statusRows(coverage).map(row => (
                  <TableRow key={row.status} data-status={row.status} data-count={row.count}>
                    <TableCell component="th" scope="row">
                      {row.label}
                    </TableCell>
                    <TableCell align="right">{row.count}</TableCell>
                    <TableCell align="right">{row.percent} %</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </InfoCard>
        </Grid>
        <Grid item xs={12} md={6}>
          <InfoCard title="By owner">
            <Table size="small" aria-label="Coverage by owner" data-testid="asset-id-coverage-owner">
              <TableHead>
                <TableRow>
                  <TableCell>Owner</TableCell>
                  <TableCell align="right">Valid</TableCell>
                  <TableCell align="right">{what}</TableCell>
                  <TableCell align="right">Share</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {ownerRows(coverage).map(row => (
                  <TableRow key={row.owner} data-owner={row.owner} data-valid={row.valid} data-total={row.total}>
                    <TableCell component="th" scope="row">
                      {row.owner === UNOWNED ? 'No owner' : <OwnerLink owner={row.owner} />}
                    </TableCell>
                    <TableCell align="right">{row.valid}</TableCell>
                    <TableCell align="right">{row.total}</TableCell>
                    <TableCell align="right">{row.percent} %</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
            {coverage.ownersOmitted ? (
              <Typography variant="body2" color="textSecondary" data-testid="asset-id-coverage-owners-omitted">
                {coverage.ownersOmitted} more {coverage.ownersOmitted === 1 ? 'owner' : 'owners'} with fewer
                entities not listed.
              </Typography>
            ) : null}
          </InfoCard>
        </Grid>
        {statusAnnotation && (
          <Grid item xs={12}>
            <AttentionList kinds={kinds} statusAnnotation={statusAnnotation} statuses={attentionStatuses(coverage)} />
          </Grid>
        )}
      </Grid>
    );
  }
  return (
    <div data-testid="asset-id-coverage" data-state={loaded.status}>
      {body}
    </div>
  );
};

/** The new frontend system's page body (the app draws the header from the plugin's title and icon). */
export const AssetIdCoverageNfsPage = () => (
  <Content>
    <AssetIdCoverageContent />
  </Content>
);

/**
 * The page `/asset-id` for the legacy frontend system (header and content); `AssetIdPage` is its routable
 * extension. The new frontend system's page (`page:asset-id`, `/alpha`) shows {@link AssetIdCoverageContent}.
 */
export const AssetIdCoveragePage = () => (
  <Page themeId="tool">
    <Header title="Asset IDs" subtitle="How many catalog entities carry a valid asset ID" />
    <Content>
      <AssetIdCoverageContent />
    </Content>
  </Page>
);

import React from 'react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import type { AssetRecord } from 'asset-id/format';
import { displayText } from '../messages';

/** Longest record name shown in a suggestion (characters; longer names are cut with an ellipsis). */
export const MAX_NAME_CHARS = 80;
/** Longest field value shown in a suggestion. */
export const MAX_SUGGESTION_FIELD_CHARS = 60;
/** Most fields shown per suggestion. */
export const MAX_SUGGESTION_FIELDS = 4;

/** The policy-listed fields of a record worth showing next to its ID, name and status, as `key: value` texts. */
export function recordFieldTexts(record: AssetRecord): string[] {
  const shown = new Set(['id', 'name', 'status']);
  const texts: string[] = [];
  for (const [key, value] of Object.entries(record.fields ?? {})) {
    if (shown.has(key) || value === null || value === undefined || value === '') continue;
    texts.push(`${displayText(key, 40)}: ${displayText(value, MAX_SUGGESTION_FIELD_CHARS)}`);
    if (texts.length === MAX_SUGGESTION_FIELDS) break;
  }
  return texts;
}

/**
 * One record as a suggestion: its ID, name and status on one line, its policy-listed fields (e.g. the
 * owner) below. Every text is CMDB data, shown as text (cut, control characters replaced), never as HTML.
 */
export const RecordSummary = ({ record }: { record: AssetRecord }) => {
  const name = record.name ? displayText(record.name, MAX_NAME_CHARS) : '';
  const status = record.status ? displayText(record.status, 40) : '';
  const fields = recordFieldTexts(record);
  return (
    <Box minWidth={0} style={{ overflowWrap: 'anywhere' }}>
      <Typography variant="body2" component="div">
        <strong>{displayText(record.id, MAX_NAME_CHARS)}</strong>
        {name && ` — ${name}`}
        {status && ` (${status})`}
      </Typography>
      {fields.length > 0 && (
        <Typography variant="caption" color="textSecondary" component="div">
          {fields.join(' · ')}
        </Typography>
      )}
    </Box>
  );
};

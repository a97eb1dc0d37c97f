// Differential test of the gate's YAML reading against Backstage's own reader: the npm `yaml`
// package's parseAllDocuments with its defaults, as @backstage/plugin-catalog-backend's
// parseEntityYaml uses it (a document with errors is refused, the others are kept; toJSON()
// throwing refuses the file). Hundreds of generated and mutated catalog files (NUL, BOM, CRLF,
// lone CR, duplicate keys, anchors and aliases, merge keys, tags, deep nesting, invalid UTF-8,
// control characters, random edits) are checked with `asset-id check --format json --offline`.
// For every file: either the CLI reports invalid_yaml (with a position), or both see the same
// checked entities with the same annotation values. Never "the CLI sees fewer (or other)
// entities and says nothing".
//
// Run: make test-cli-diff (builds target/release/asset-id first), or
//      ASSET_ID_BIN=target/debug/asset-id node --test tests/js/yaml-differential.mjs
// SEED=<n> replays another set of files; FILES=<n> sets how many base files (default 200).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.resolve(root, process.env.ASSET_ID_BIN ?? 'target/release/asset-id');
const SEED = Number(process.env.SEED ?? 20261201);
const FILES = Number(process.env.FILES ?? 200);
const ANNOTATION = 'example.com/asset-id';
const KINDS = ['system', 'component'];

// ------------------------------------------------------------------ a seeded generator

function mulberry32(a) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(SEED);
const int = (n) => Math.floor(rand() * n);
const pick = (xs) => xs[int(xs.length)];

// Annotation values as written in YAML (after `example.com/asset-id: `).
const VALUES = [
  () => `APM${String(int(1e7)).padStart(7, '0')}`,
  () => `'APM000''1234'`,
  () => `"APM\\t0001234"`,
  () => `"APM\\u00e90001234"`,
  () => `"APM\\x41\\0"`,
  () => `|\n      APM0001234\n      second line`,
  () => `>-\n      APM000\n      1234`,
  () => `APM000\n      1234`,
  () => `${int(1e7)}`,
  () => '1.5e3',
  () => '0x1F',
  () => '0o17',
  () => '012',
  () => '+12',
  () => '.inf',
  () => '-.Inf',
  () => '.nan',
  () => '1_000',
  () => 'true',
  () => 'yes',
  () => '~',
  () => 'null',
  () => '',
  () => "''",
  () => '[APM0001234, b]',
  () => '{a: 1, b: [x]}',
  () => '!!str 1234567',
  () => '!foo 99',
  () => '!!int "12"',
  () => '!!int abc',
  () => '!!float 1',
  () => '!!null x',
  () => '!!binary aGk=',
  () => '!!timestamp 2001-01-01',
  () => '!<tag:yaml.org,2002:str> 42',
  () => 'APM0001234 # a comment',
  () => 'APM0001234   ',
  () => 'APM０００1234',
  () => 'APM000\u200b1234',
  () => `"${'A'.repeat(200)}"`,
  () => '"a: b"',
  () => "'#not a comment'",
  () => 'APM: 1',
  () => '*asset',
];

function entityText({ kind, name, namespace, value, labels }) {
  let s = `apiVersion: backstage.io/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\n`;
  if (namespace) s += `  namespace: ${namespace}\n`;
  if (labels) s += '  labels:\n    asset: &asset APM0000042\n';
  if (value !== undefined) s += `  annotations:\n    backstage.io/techdocs-ref: dir:.\n    ${ANNOTATION}: ${value}\n`;
  s += 'spec:\n  owner: team-a\n  type: service\n';
  return s;
}

function flowEntity(i) {
  return `{apiVersion: backstage.io/v1alpha1, kind: System, metadata: {name: flow-${i}, annotations: {${ANNOTATION}: "APM${i}"}}}\n`;
}

const OTHER_DOCS = [
  () => 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n',
  () => 'just a scalar\n',
  () => '',
  () => '# only a comment\n',
  () => 'apiVersion: backstage.io/v1alpha1\nkind: [System]\n',
  () => 'apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata: 5\n',
  () => 'apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\n',
  () => '- a\n- b\n',
  () => 'base: &base\n  x: 1\nuse:\n  <<: *base\n',
  // A top-level block scalar, content at column 0: the next `---` ends it (for the yaml package).
  () => `${pick(['|', '|-', '|+', '>', '>-', '!!str |', '!foo >', '&t |'])}\n${pick(['text\n', '', 'a: 1\n'])}`,
];

function baseFile(i) {
  const docs = [];
  const n = 1 + int(3);
  for (let d = 0; d < n; d++) {
    const r = rand();
    if (r < 0.15) {
      docs.push(pick(OTHER_DOCS)());
    } else if (r < 0.2) {
      docs.push(flowEntity(i * 10 + d));
    } else {
      const valueAt = int(VALUES.length);
      docs.push(
        entityText({
          kind: pick(['System', 'system', 'Component', 'Domain']),
          name: pick([`s-${i}-${d}`, `'quoted-${i}'`, '42', '']),
          namespace: pick([undefined, undefined, 'core', '7']),
          value: rand() < 0.1 ? undefined : VALUES[valueAt](),
          labels: VALUES[valueAt]().startsWith('*') || rand() < 0.1,
        }),
      );
    }
  }
  let text = (rand() < 0.2 ? '---\n' : '') + docs.join(rand() < 0.5 ? '---\n' : '\n---\n');
  if (rand() < 0.1) text += '...\n';
  if (rand() < 0.05) text = '%YAML 1.2\n---\n' + text;
  return Buffer.from(text, 'utf8');
}

// ------------------------------------------------------------------ mutations

const lines = (buf) => buf.toString('utf8').split('\n');
const fromLines = (ls) => Buffer.from(ls.join('\n'), 'utf8');
const insertAt = (buf, at, bytes) => Buffer.concat([buf.subarray(0, at), Buffer.from(bytes), buf.subarray(at)]);
const randomOffset = (buf) => int(buf.length + 1);
const annotationLine = (ls) => ls.findIndex((l) => l.includes(`${ANNOTATION}:`));

const MUTATIONS = {
  nul: (b) => insertAt(b, randomOffset(b), [0]),
  'nul-in-value': (b) => Buffer.from(b.toString('utf8').replace(/(asset-id: \S{3})/, '$1\0'), 'utf8'),
  'nul-in-comment': (b) => Buffer.concat([Buffer.from('# x\0\n'), b]),
  bom: (b) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]),
  'bom-later': (b) => Buffer.from(b.toString('utf8').replace('---\n', '---\n\ufeff'), 'utf8'),
  crlf: (b) => Buffer.from(b.toString('utf8').replace(/\n/g, '\r\n'), 'utf8'),
  'lone-cr': (b) => {
    const s = b.toString('utf8');
    const at = s.indexOf('\n', int(s.length));
    return at < 0 ? b : Buffer.from(s.slice(0, at) + '\r' + s.slice(at + 1), 'utf8');
  },
  'duplicate-annotation': (b) => {
    const ls = lines(b);
    const at = annotationLine(ls);
    if (at < 0) return b;
    ls.splice(at + 1, 0, ls[at].replace(/: .*$/, ': APM0009999'));
    return fromLines(ls);
  },
  'duplicate-quoted-key': (b) => {
    const ls = lines(b);
    const at = annotationLine(ls);
    if (at < 0) return b;
    ls.splice(at, 0, `    '${ANNOTATION}': APM0009999`);
    return fromLines(ls);
  },
  'duplicate-kind': (b) => Buffer.from(b.toString('utf8').replace(/(kind: \w+\n)/, '$1kind: Component\n'), 'utf8'),
  'duplicate-metadata': (b) => Buffer.from(b.toString('utf8').replace(/(\nspec:)/, '\nmetadata:\n  name: again$1'), 'utf8'),
  'merge-key': (b) =>
    Buffer.from(
      b
        .toString('utf8')
        .replace(/^apiVersion: backstage\.io/m, `x-base: &base\n  ${ANNOTATION}: APM0001234\napiVersion: backstage.io`)
        .replace(/\n  annotations:\n/, '\n  annotations:\n    <<: *base\n'),
      'utf8',
    ),
  anchors: (b) => Buffer.from(b.toString('utf8').replace(/(asset-id: )(\S+)/, '$1&a $2\n    other: *a'), 'utf8'),
  'many-aliases': (b) => {
    const extra = ['x-anchor: &x 1', ...Array.from({ length: 90 + int(30) }, (_, k) => `x-${k}: *x`)].join('\n');
    return Buffer.from(b.toString('utf8').replace(/^apiVersion:/m, `${extra}\napiVersion:`), 'utf8');
  },
  'nested-aliases': (b) =>
    Buffer.from(b.toString('utf8').replace(/^apiVersion:/m, 'x-a: &a [1, 2]\nx-b: &b [*a, *a]\nx-c: *b\napiVersion:'), 'utf8'),
  'nested-budget': (b) => {
    // Around the yaml package's alias budget (an anchor's uses times the aliases it holds <= 100).
    const [k, m] = [1 + int(60), 1 + int(4)];
    const extra = `x-a: &a [1]\nx-b: &b [${Array(k).fill('*a').join(', ')}]\nx-c: [${Array(m).fill('*b').join(', ')}]`;
    return Buffer.from(b.toString('utf8').replace(/^apiVersion:/m, `${extra}\napiVersion:`), 'utf8');
  },
  'undefined-alias': (b) => Buffer.from(b.toString('utf8').replace(/\nspec:/, '\nx-ref: *nowhere\nspec:'), 'utf8'),
  tags: (b) => Buffer.from(b.toString('utf8').replace(/(asset-id: )/, `$1${pick(['!!str ', '!local ', '!!binary ', '!!set ', '!!int '])}`), 'utf8'),
  deep: (b) => {
    const depth = pick([50, 200, 300, 1100]);
    return Buffer.from(b.toString('utf8').replace(/\nspec:\n/, `\nspec:\n  deep: ${'['.repeat(depth)}${']'.repeat(depth)}\n`), 'utf8');
  },
  'invalid-utf8': (b) => insertAt(b, randomOffset(b), pick([[0xff], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80]])),
  control: (b) => {
    const s = b.toString('utf8');
    const at = int(s.length + 1);
    return Buffer.from(s.slice(0, at) + pick(['\x01', '\x1b', '\x7f', '\u0085', '\u0086', '\u2028', '\ufffe', '\t']) + s.slice(at), 'utf8');
  },
  'root-block-scalar': (b) => {
    // A document whose root is a block scalar, then a marker in one of its spellings.
    const head = pick(['--- |', '--- |-', '--- |+', '--- >', '--- >-', '--- !!str |', '--- !foo >', '--- &a |', '---\n|', '%TAG ! tag:x,2000:\n--- !foo |']);
    const marker = pick(['---', '--- ', '---\t', '--- #c', '...', '... #c', '----']);
    return Buffer.concat([Buffer.from(`${head}\n${pick(['text\n', '', 'kind: System\n'])}${marker}\n`), b]);
  },
  'yaml-1.1': (b) => Buffer.concat([Buffer.from('%YAML 1.1\n---\n'), b]),
  'long-key': (b) => Buffer.from(b.toString('utf8').replace(/\nspec:/, `\n${'k'.repeat(1030)}: v\nspec:`), 'utf8'),
  'delete-byte': (b) => {
    const at = int(b.length);
    return Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
  },
  'insert-char': (b) => insertAt(b, randomOffset(b), Buffer.from(pick([':', '-', ' ', '\n', "'", '"', '#', '&', '*', '!', '|', '>', '[', '{', ',', '?', '%', '@', '`', '\t']))),
  'duplicate-line': (b) => {
    const ls = lines(b);
    const at = int(ls.length);
    ls.splice(at, 0, ls[at] ?? '');
    return fromLines(ls);
  },
  indent: (b) => {
    const ls = lines(b);
    const at = int(ls.length);
    ls[at] = pick([' ', '\t', '  ']) + (ls[at] ?? '');
    return fromLines(ls);
  },
  dedent: (b) => {
    const ls = lines(b);
    const at = int(ls.length);
    ls[at] = (ls[at] ?? '').replace(/^ /, '');
    return fromLines(ls);
  },
};

// ------------------------------------------------------------------ the two readers

const isPlainObject = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && [Object.prototype, null].includes(Object.getPrototypeOf(v));

/** What Backstage's catalog gets from a file: the entity objects, or 'refused' when it throws. */
function backstageRead(buf) {
  try {
    const out = [];
    for (const doc of parseAllDocuments(buf.toString('utf8')).filter((d) => d)) {
      if (doc.errors?.length) continue;
      const json = doc.toJSON();
      if (isPlainObject(json)) out.push(json);
    }
    return out;
  } catch {
    return 'refused';
  }
}

/** The checked entities as the gate sees them: kind, namespace, name, annotation value. */
function checkedOf(objects) {
  const str = (v) => (typeof v === 'string' ? v : undefined);
  return objects
    .filter((e) => str(e.apiVersion)?.startsWith('backstage.io/') && KINDS.includes(str(e.kind)?.toLowerCase()))
    .map((e) => {
      const meta = isPlainObject(e.metadata) ? e.metadata : {};
      const annotations = isPlainObject(meta.annotations) ? meta.annotations : {};
      const value = Object.hasOwn(annotations, ANNOTATION) ? annotations[ANNOTATION] : null;
      return { kind: e.kind, namespace: str(meta.namespace) ?? 'default', name: str(meta.name) ?? '', value: normalise(value) };
    });
}

/** JSON-comparable: the CLI writes NaN and infinities as strings. */
function normalise(v) {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'NaN';
    if (v === Infinity) return 'inf';
    if (v === -Infinity) return '-inf';
    return v;
  }
  if (Array.isArray(v)) return v.map(normalise);
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]));
  if (v === undefined) return null;
  return v;
}

const POLICY = `# Nothing is valid: every checked entity yields a finding carrying its annotation value.
maxLength: 100000
schemes:
  - name: never
    pattern: 'NEVER[0-9]{40}'
catalog:
  annotation: ${ANNOTATION}
  kinds: [System, Component]
`;

test('the gate reads catalog YAML as Backstage does, or says invalid_yaml', () => {
  assert.ok(fs.existsSync(bin), `${bin} is missing: build it with \`make cli\` (or set ASSET_ID_BIN)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asset-id-yaml-diff-'));
  try {
    fs.writeFileSync(path.join(dir, 'asset-id.yaml'), POLICY);
    fs.mkdirSync(path.join(dir, 'files'));
    const files = new Map();
    const names = Object.keys(MUTATIONS);
    for (let i = 0; i < FILES; i++) {
      const base = baseFile(i);
      files.set(`base-${i}.yaml`, { bytes: base, how: 'base' });
      const how = names[i % names.length];
      files.set(`mut-${i}-${how}.yaml`, { bytes: MUTATIONS[how](base), how });
      if (i % 3 === 0) {
        const how2 = pick(names);
        files.set(`mut2-${i}-${how}-${how2}.yaml`, { bytes: MUTATIONS[how2](MUTATIONS[how](base)), how: `${how}+${how2}` });
      }
    }
    for (const [name, { bytes }] of files) fs.writeFileSync(path.join(dir, 'files', name), bytes);

    const run = spawnSync(bin, ['check', '--format', 'json', '--offline', 'files'], { cwd: dir, encoding: 'utf8', maxBuffer: 256 << 20 });
    assert.ok([0, 1].includes(run.status), `exit ${run.status}: ${run.stderr}`);
    const report = JSON.parse(run.stdout);
    assert.equal(report.summary.files, files.size, 'every file was read');

    const byFile = new Map();
    for (const f of report.findings) {
      const file = f.file.replace(/^files\//, '');
      if (!byFile.has(file)) byFile.set(file, []);
      byFile.get(file).push(f);
    }
    const counts = { agreed: 0, invalidYaml: 0, backstageRefused: 0, entities: 0 };
    const disagreements = [];
    for (const [name, { bytes, how }] of files) {
      const findings = byFile.get(name) ?? [];
      const invalid = findings.filter((f) => f.code === 'invalid_yaml');
      const theirs = backstageRead(bytes);
      if (theirs === 'refused' || theirs.length === 0) counts.backstageRefused += theirs === 'refused' ? 1 : 0;
      if (invalid.length > 0) {
        counts.invalidYaml++;
        for (const f of invalid) assert.ok(f.line >= 1 && f.column >= 1, `${name}: invalid_yaml without a position: ${JSON.stringify(f)}`);
        continue;
      }
      // One finding (or more, for one value) per checked entity, at its annotation.
      const seen = new Set();
      const ours = [];
      for (const f of findings) {
        const key = `${f.line}:${f.column}:${f.kind}:${f.namespace}:${f.name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        ours.push({ kind: f.kind, namespace: f.namespace, name: f.name, value: f.value });
      }
      const expected = theirs === 'refused' ? 'Backstage refuses the file' : checkedOf(theirs);
      try {
        assert.deepStrictEqual(ours, expected);
        counts.agreed++;
        counts.entities += ours.length;
      } catch {
        disagreements.push(`${name} (${how}):\n  asset-id: ${JSON.stringify(ours)}\n  backstage: ${JSON.stringify(expected)}\n  file: ${JSON.stringify(bytes.toString('latin1')).slice(0, 600)}`);
      }
    }
    console.log(`yaml differential (seed ${SEED}): ${files.size} files, ${counts.agreed} read alike (${counts.entities} entities), ${counts.invalidYaml} invalid_yaml`);
    assert.deepEqual(disagreements, [], `${disagreements.length} files read differently without invalid_yaml:\n${disagreements.slice(0, 8).join('\n')}`);
    // The corpus must exercise both outcomes, or it proves nothing.
    assert.ok(counts.agreed > files.size / 4 && counts.entities > files.size / 4, JSON.stringify(counts));
    assert.ok(counts.invalidYaml > files.size / 10, JSON.stringify(counts));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

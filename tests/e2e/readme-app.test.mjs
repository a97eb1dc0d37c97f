// The READMEs' integration snippets are what examples/backstage-app has.
// A code block whose first line is a comment naming one of the app's files (`// packages/app/src/App.tsx`,
// `# app-config.yaml`, ...) must appear in that file: each of its other lines (trimmed; comments, `...`
// and lone brackets skipped) is a line of the file, in the same order. A block headed
// `// packages/app/<file> (legacy frontend system)` is checked against the legacy app, packages/app-legacy/<file>.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const app = join(repo, 'examples', 'backstage-app');
const READMES = ['README.md', 'plugin-frontend/README.md', 'plugin-backend/README.md'];
const APP_FILES = [
  'package.json',
  'packages/app/package.json',
  'packages/backend/package.json',
  'packages/app/src/App.tsx',
  'packages/backend/src/index.ts',
  'app-config.yaml',
  'packages/app-legacy/src/App.tsx',
  'packages/app-legacy/src/components/catalog/EntityPage.tsx',
];
const LEGACY = /^(?:\/\/|#)\s*packages\/app\/(\S+)\s+\(legacy frontend system\)\s*$/;

const norm = line => line.trim().replace(/,$/, '').replace(/\s+\/\/ .*$/, '').replace(/\s+# .*$/, '').trim();
const skip = line => line === '' || /^(\/\/|#)/.test(line) || /^(\.\.\.|[{}[\](),;]+)$/.test(line) ||
  /^\{\/\*.*\*\/\}$/.test(line); // a JSX comment ({/* ...create-app's cards... */})

// `import A, { B, C } from 'm'` -> ['m', ['A', 'B', 'C']] (named imports: the local name)
function importNames(clause) {
  const names = [];
  const named = clause.match(/\{([^}]*)\}/);
  const def = clause.replace(/\{[^}]*\}/, '').replace(/,/g, ' ').trim();
  if (def) names.push(def);
  if (named) names.push(...named[1].split(',').map(n => n.trim().split(/\s+as\s+/).pop()).filter(Boolean));
  return names;
}
function importsOf(text) {
  const map = new Map();
  for (const m of text.matchAll(/^import\s+(?!type\b)([^'";]*?)\s+from\s+'([^']+)';?/gm)) {
    const set = map.get(m[2]) ?? new Set();
    for (const n of importNames(m[1])) set.add(n);
    map.set(m[2], set);
  }
  return map;
}

function blocks(markdown) {
  const out = [];
  const re = /^( *)```[a-z]*\n([\s\S]*?)^ *```/gm;
  let m;
  while ((m = re.exec(markdown))) {
    const lines = m[2].split('\n').map(l => l.trim());
    const legacy = lines[0].match(LEGACY);
    const head = legacy ? [null, `packages/app-legacy/${legacy[1]}`] : lines[0].match(/^(?:\/\/|#)\s*(\S+)\s*$/);
    if (head && APP_FILES.includes(head[1])) out.push({ file: head[1], lines: lines.slice(1) });
  }
  return out;
}

const found = [];
for (const readme of READMES) {
  for (const block of blocks(readFileSync(join(repo, readme), 'utf8'))) found.push({ readme, ...block });
}

test('the READMEs give the integration lines of each app file that carries one', () => {
  const files = new Set(found.map(b => b.file));
  for (const f of ['packages/app/package.json', 'packages/backend/package.json', 'package.json',
    'packages/app/src/App.tsx', 'packages/backend/src/index.ts', 'app-config.yaml']) {
    assert.ok(files.has(f), `no README block starts with "// ${f}" or "# ${f}"`);
  }
  for (const f of ['src/App.tsx', 'src/components/catalog/EntityPage.tsx']) {
    assert.ok(files.has(`packages/app-legacy/${f}`), `no README block starts with "// packages/app/${f} (legacy frontend system)"`);
  }
});

for (const [i, b] of found.entries()) {
  test(`${b.readme} block ${i + 1} (${b.file}) is in examples/backstage-app/${b.file}`, () => {
    const text = readFileSync(join(app, b.file), 'utf8');
    const target = text.split('\n').map(norm);
    const imports = importsOf(text);
    let at = 0;
    for (const raw of b.lines) {
      const line = norm(raw);
      if (skip(line)) continue;
      // An import line: the file imports each of these names from that module (in any import statement:
      // the app may import more names, or format the statement over several lines).
      const imp = line.match(/^import\s+([^'";]*?)\s+from\s+'([^']+)';?$/);
      if (imp) {
        const have = imports.get(imp[2]) ?? new Set();
        for (const n of importNames(imp[1])) {
          assert.ok(have.has(n), `${b.readme}: examples/backstage-app/${b.file} does not import ${n} from '${imp[2]}'`);
        }
        continue;
      }
      const j = target.indexOf(line, at);
      assert.ok(j >= 0, `${b.readme}: "${line}" is not in examples/backstage-app/${b.file} (after line ${at})`);
      at = j + 1;
    }
  });
}

test('the app depends on the four packages by the tarballs of make pack', () => {
  const appPkg = JSON.parse(readFileSync(join(app, 'packages/app/package.json'), 'utf8'));
  const legacyPkg = JSON.parse(readFileSync(join(app, 'packages/app-legacy/package.json'), 'utf8'));
  assert.equal(legacyPkg.dependencies['@asset-id/backstage-plugin-scaffolder-asset-id'], appPkg.dependencies['@asset-id/backstage-plugin-scaffolder-asset-id']);
  // what the frontend README tells a legacy app to add (ScaffolderFieldExtensions)
  assert.ok(legacyPkg.dependencies['@backstage/plugin-scaffolder-react'], 'packages/app-legacy lists @backstage/plugin-scaffolder-react');
  const backendPkg = JSON.parse(readFileSync(join(app, 'packages/backend/package.json'), 'utf8'));
  const rootPkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
  assert.match(appPkg.dependencies['@asset-id/backstage-plugin-scaffolder-asset-id'], /^file:.*vendor\/asset-id-backstage-plugin-scaffolder-asset-id-0\.1\.0\.tgz$/);
  assert.match(backendPkg.dependencies['@asset-id/backstage-plugin-asset-id-backend'], /^file:.*vendor\/asset-id-backstage-plugin-asset-id-backend-0\.1\.0\.tgz$/);
  assert.match(rootPkg.resolutions['asset-id'], /^file:\.\/vendor\/asset-id-0\.1\.0\.tgz$/);
  // The plugins depend on the -common package by its exact version; before it is published, yarn finds it here.
  assert.match(
    rootPkg.resolutions['@asset-id/backstage-plugin-asset-id-common'],
    /^file:\.\/vendor\/asset-id-backstage-plugin-asset-id-common-0\.1\.0\.tgz$/,
  );
});

test('the app-config registry is examples/registry/assets.json', () => {
  const registry = JSON.parse(readFileSync(join(repo, 'examples/registry/assets.json'), 'utf8'));
  const config = readFileSync(join(app, 'app-config.yaml'), 'utf8');
  for (const r of registry) {
    const line = `- { id: ${r.id}, name: ${r.name}, status: ${r.status}, owner: ${r.owner}, install_status: '${r.install_status}' }`;
    assert.ok(config.includes(line), `app-config.yaml lacks ${line}`);
  }
});

test('no proxy endpoint for asset-id: app-config has no proxy endpoints, the CMDB is reached by the backend only', () => {
  const config = readFileSync(join(app, 'app-config.yaml'), 'utf8');
  const proxy = config.match(/^proxy:\n((?:[ \t]+.*\n|\n)*)/m);
  assert.ok(proxy, 'app-config.yaml has create-app\'s proxy section');
  const live = proxy[1].split('\n').filter(l => l.trim() && !l.trim().startsWith('#'));
  assert.deepEqual(live, [], 'no proxy endpoints (uncommented lines under proxy:)');
  assert.doesNotMatch(config, /\/api\/proxy/);
});

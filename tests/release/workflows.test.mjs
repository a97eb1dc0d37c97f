// `make test-release`: the release workflows and dist's configuration agree with each other, with the action and
// with the Makefile. (That .github/workflows/release.yml is exactly what dist generates from dist-workspace.toml
// is checked by `dist generate --mode=ci --check` in the same target.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = p => readFileSync(join(REPO, p), 'utf8');
const workflow = name => parse(read(`.github/workflows/${name}`));
const VERSION = JSON.parse(read('package.json')).version;

/** GitHub's filter pattern syntax for branches and tags (*, **, ?, +, [..]) as a RegExp. */
function filterPattern(p) {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '*' && p[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?' || c === '+') re += c;
    else if (c === '[') {
      const end = p.indexOf(']', i);
      re += p.slice(i, end + 1);
      i = end;
    } else re += c.replace(/[.\\^$|(){}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
const tagsOf = wf => (wf.on ?? wf[true]).push.tags.map(filterPattern);
const runs = wf => Object.values(wf.jobs).flatMap(j => (j.steps ?? []).filter(s => s.run).map(s => s.run));

/** dist-workspace.toml's [dist] keys, read as the simple TOML dist init writes (strings, booleans, arrays of strings). */
function distConfig() {
  const out = {};
  let table = null;
  for (const line of read('dist-workspace.toml').split('\n')) {
    const h = /^\[([^\]]+)\]/.exec(line);
    if (h) table = h[1];
    const kv = /^([A-Za-z0-9_-]+)\s*=\s*(.+)$/.exec(line);
    if (kv && table === 'dist') out[kv[1]] = JSON.parse(kv[2]);
  }
  return out;
}

test('filter patterns are read as GitHub reads them', () => {
  assert.ok(filterPattern('v[0-9]+.[0-9]+.[0-9]+').test('v10.2.3'));
  assert.ok(!filterPattern('v[0-9]+.[0-9]+.[0-9]+').test('v1.2'));
  assert.ok(!filterPattern('v[0-9]+.[0-9]+.[0-9]+').test('v1x2.3'));
  assert.ok(filterPattern('**[0-9]+.[0-9]+.[0-9]+*').test('v1.2.3-rc.1'));
});

test('dist builds the five platforms, static on Linux, with the cli feature, SHA-256 files and a shell installer', () => {
  const dist = distConfig();
  assert.deepEqual([...dist.targets].sort(), [
    'aarch64-apple-darwin',
    'aarch64-unknown-linux-musl',
    'x86_64-apple-darwin',
    'x86_64-pc-windows-msvc',
    'x86_64-unknown-linux-musl',
  ]);
  assert.deepEqual(dist.features, ['cli']);
  assert.deepEqual(dist.installers, ['shell']);
  assert.equal(dist.checksum, 'sha256');
  assert.equal(dist['unix-archive'], '.tar.gz');
  assert.equal(dist.ci, 'github');
  assert.equal(dist['github-attestations'], true);
  // bootstrap.sh installs the dist version the workflow uses.
  assert.match(read('.github/workflows/release.yml'), new RegExp(`cargo-dist/releases/download/v${dist['cargo-dist-version'].replace(/\./g, '\\.')}/`));
});

test('the action downloads only archives the release builds, by the name dist gives them', () => {
  const dist = distConfig();
  const step = parse(read('action.yml')).runs.steps.find(s => s.name === 'Download the release binary');
  const targets = [...step.run.matchAll(/^\s+[A-Za-z]+\/[A-Z0-9]+\) target=([a-z0-9_-]+) ;;$/gm)].map(m => m[1]);
  assert.equal(targets.length, 4);
  for (const t of targets) assert.ok(dist.targets.includes(t), `${t} is built by dist`);
  assert.match(step.run, new RegExp(`name=asset-id-\\$target${dist['unix-archive'].replace(/\./g, '\\.')}$`, 'm'));
});

test('one tag releases everything: release.yml (dist) and publish.yml (npm) both run on v<version>', () => {
  for (const name of ['release.yml', 'publish.yml']) {
    const patterns = tagsOf(workflow(name));
    assert.ok(patterns.some(p => p.test(`v${VERSION}`)), `${name} runs on v${VERSION}`);
    assert.ok(!patterns.some(p => p.test('main')), `${name} does not run on a branch name`);
  }
});

test('publish.yml: checks the tag, packs as make test does, publishes each tarball with provenance', () => {
  const wf = workflow('publish.yml');
  const job = wf.jobs.publish;
  assert.equal(job.permissions['id-token'], 'write', 'provenance needs the OIDC token');
  assert.equal(wf.permissions.contents, 'read');
  const scripts = runs(wf).join('\n');
  assert.match(scripts, /node scripts\/versions\.mjs tag "\$REF"/);
  assert.match(scripts, /scripts\/bootstrap\.sh pack/);
  assert.match(scripts, /^make pack$/m);
  assert.match(scripts, /npm publish --provenance --access public "\$t"/);
  // pack mode: the npm packages and the Rust tools `make pack` builds with (wasm-pack, wasm-bindgen), then stop.
  assert.match(read('scripts/bootstrap.sh'), /if \[ "\$\{1:-\}" = pack \]; then root_npm; wait_tools; exit 0; fi/);
  assert.match(read('Makefile'), /^pack: /m);
  // The publish step uses the checked tarballs, never a fresh `npm publish` of a folder.
  assert.doesNotMatch(scripts, /npm publish(?! --provenance --access public "\$t")/);
});

test('changesets.yml versions with npm run version-packages and publishes nothing', () => {
  const wf = workflow('changesets.yml');
  const step = wf.jobs.version.steps.find(s => String(s.uses).startsWith('changesets/action@'));
  assert.equal(step.with.version, 'npm run version-packages');
  assert.equal(step.with.publish, undefined);
  assert.equal(JSON.parse(read('package.json')).scripts['version-packages'], 'changeset version && node scripts/versions.mjs sync');
});

test('the hand-written workflows put no ${{ }} into a run: script (data goes in through env:)', () => {
  for (const name of ['publish.yml', 'changesets.yml']) {
    for (const script of runs(workflow(name))) assert.doesNotMatch(script, /\$\{\{/, `${name}: ${script}`);
  }
});

test('each npm package names this repository (npm publish --provenance refuses a package.json whose repository.url differs)', () => {
  const url = JSON.parse(read('package.json')).repository.url;
  assert.match(url, /^https:\/\/github\.com\/[^/]+\/[^/]+$/);
  for (const dir of ['plugin-frontend', 'plugin-backend']) {
    const repo = JSON.parse(read(`${dir}/package.json`)).repository;
    assert.deepEqual(repo, { type: 'git', url, directory: dir }, dir);
  }
  // dist's release and the action's downloads name the same repository.
  assert.match(read('Cargo.toml'), new RegExp(`^repository = "${url.replace(/[./]/g, '\\$&')}"$`, 'm'));
});

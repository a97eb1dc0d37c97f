// `make test-release`: scripts/versions.mjs on copies of the repository's version files, and the release flow a
// maintainer runs (`npm run version-packages`: Changesets' `changeset version`, then `versions.mjs sync`) on a
// scratch copy: every package gets the new version and a changelog entry, the crate follows, the check passes.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { check, COMMON, isReleaseTag, PACKAGES, sync } from './versions.mjs';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const FILES = [
  'Cargo.toml',
  'Cargo.lock',
  'pnpm-workspace.yaml',
  '.changeset/config.json',
  ...PACKAGES.flatMap(({ dir }) => ['package.json', 'package-lock.json', 'CHANGELOG.md'].map(f => (dir === '.' ? f : `${dir}/${f}`))),
];
const scratch = mkdtempSync(join(tmpdir(), 'asset-id-versions-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
function copy() {
  const d = join(scratch, String(++n));
  for (const f of FILES) {
    mkdirSync(dirname(join(d, f)), { recursive: true });
    cpSync(join(REPO, f), join(d, f));
  }
  return d;
}
const edit = (d, f, fn) => writeFileSync(join(d, f), fn(readFileSync(join(d, f), 'utf8')));
const editJson = (d, f, fn) => edit(d, f, t => `${JSON.stringify(fn(JSON.parse(t)), null, 2)}\n`);
const version = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version;

test('the repository has one version everywhere', () => {
  assert.deepEqual(check(REPO), []);
});

test('a crate version that differs from package.json fails the check', () => {
  const d = copy();
  edit(d, 'Cargo.toml', t => t.replace(/^version = "[^"]*"/m, 'version = "9.9.9"'));
  assert.deepEqual(check(d), [`Cargo.toml: [package] version 9.9.9, package.json ${version} (npm run version-packages syncs it)`]);
  // A `version` key of another table (a dependency's) is not the crate's.
  const e = copy();
  edit(e, 'Cargo.toml', t => `${t}\n[workspace.metadata.other]\nversion = "${version}"\n`);
  edit(e, 'Cargo.toml', t => t.replace(/^version = "[^"]*"/m, 'version = "1.0.0"'));
  assert.match(check(e).join('\n'), /Cargo\.toml: \[package\] version 1\.0\.0/);
});

test('Cargo.lock, a Backstage package, its asset-id range, a lockfile or a changelog that differs fails the check', () => {
  const cases = [
    [d => edit(d, 'Cargo.lock', t => t.replace(/(name = "asset-id"\nversion = ")[^"]*/, '$10.0.9')), /Cargo\.lock: asset-id 0\.0\.9/],
    [d => editJson(d, 'plugin-frontend/package.json', p => ({ ...p, version: '7.0.0' })), /plugin-frontend\/package\.json: version 7\.0\.0/],
    [
      d => editJson(d, 'plugin-backend/package.json', p => ({ ...p, dependencies: { ...p.dependencies, 'asset-id': '*' } })),
      /plugin-backend\/package\.json: dependency asset-id \*, expected \^/,
    ],
    [d => editJson(d, 'plugin-backend/package-lock.json', l => ({ ...l, version: '0.0.1' })), /plugin-backend\/package-lock\.json: version 0\.0\.1/],
    [
      d => editJson(d, 'plugin-backend/package.json', p => ({ ...p, dependencies: { ...p.dependencies, [COMMON]: `^${version}` } })),
      /plugin-backend\/package\.json: dependency @asset-id\/backstage-plugin-asset-id-common \^.*, expected exactly/,
    ],
    [
      d => editJson(d, 'plugin-common/package.json', p => ({ ...p, peerDependencies: { 'asset-id': '*' } })),
      /plugin-common\/package\.json: peer dependency asset-id \*, expected \^/,
    ],
    [d => editJson(d, 'plugin-common/package.json', p => ({ ...p, version: '0.0.2' })), /plugin-common\/package\.json: version 0\.0\.2/],
    [d => edit(d, 'CHANGELOG.md', t => t.replace(/^## .*$/m, '## 0.0.1')), /^CHANGELOG\.md: top entry 0\.0\.1/],
    [d => rmSync(join(d, 'plugin-frontend/CHANGELOG.md')), /plugin-frontend\/CHANGELOG\.md: missing/],
    [d => editJson(d, 'package.json', p => ({ ...p, version: '1.0' })), /package\.json: version "1\.0" is not a SemVer version/],
    [d => editJson(d, 'package.json', p => ({ ...p, version: '01.0.0' })), /is not a SemVer version/],
  ];
  for (const [mutate, expected] of cases) {
    const d = copy();
    mutate(d);
    const problems = check(d);
    assert.ok(problems.length > 0, `${expected}: no problem reported`);
    assert.match(problems.join('\n'), expected);
  }
});

test('sync makes the crate and the lockfiles follow package.json, touching nothing else', () => {
  const d = copy();
  const tomlBefore = readFileSync(join(d, 'Cargo.toml'), 'utf8');
  for (const { dir } of PACKAGES) {
    const f = dir === '.' ? 'package.json' : `${dir}/package.json`;
    editJson(d, f, p => {
      const next = { ...p, version: '3.4.5' };
      if (p.dependencies?.['asset-id']) next.dependencies = { ...p.dependencies, 'asset-id': '^3.4.5' };
      if (p.dependencies?.[COMMON]) next.dependencies = { ...next.dependencies, [COMMON]: '3.4.5' };
      if (p.peerDependencies?.['asset-id']) next.peerDependencies = { ...p.peerDependencies, 'asset-id': '^3.4.5' };
      return next;
    });
    edit(d, dir === '.' ? 'CHANGELOG.md' : `${dir}/CHANGELOG.md`, t => t.replace(/^(# .*\n)/, '$1\n## 3.4.5\n\n- next\n'));
  }
  assert.ok(check(d).length >= 4);
  const changed = sync(d);
  assert.deepEqual(changed.sort(), [
    'Cargo.lock',
    'Cargo.toml',
    'package-lock.json',
    'plugin-backend/package-lock.json',
    'plugin-common/package-lock.json',
    'plugin-frontend/package-lock.json',
  ]);
  assert.equal(JSON.parse(readFileSync(join(d, 'plugin-backend', 'package-lock.json'), 'utf8')).packages['../plugin-common'].version, '3.4.5');
  assert.deepEqual(check(d), []);
  const tomlAfter = readFileSync(join(d, 'Cargo.toml'), 'utf8');
  assert.equal(tomlAfter, tomlBefore.replace(`version = "${version}"`, 'version = "3.4.5"'), 'only the [package] version line changed');
  assert.deepEqual(sync(d), [], 'a second sync changes nothing');
});

test('a release tag is v<version>', () => {
  assert.ok(isReleaseTag('v1.2.3', '1.2.3'));
  assert.ok(isReleaseTag('refs/tags/v1.2.3', '1.2.3'));
  for (const ref of ['1.2.3', 'v1.2.30', 'v1.2', 'refs/heads/v1.2.3', 'asset-id@1.2.3', 'v1.2.3-rc.1']) {
    assert.ok(!isReleaseTag(ref, '1.2.3'), ref);
  }
});

test('npm run version-packages: Changesets bumps the fixed group and writes changelogs, the crate follows', () => {
  const d = copy();
  symlinkSync(join(REPO, 'node_modules'), join(d, 'node_modules'));
  mkdirSync(join(d, 'scripts'));
  cpSync(join(REPO, 'scripts', 'versions.mjs'), join(d, 'scripts', 'versions.mjs'));
  const git = (...args) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: d, encoding: 'utf8', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
  // A change to the backend alone: the fixed group moves all four packages (and so the crate) together.
  writeFileSync(join(d, '.changeset', 'quick-fox.md'), '---\n"@asset-id/backstage-plugin-asset-id-backend": minor\n---\n\nA new backend option.\n');
  const script = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).scripts['version-packages'];
  assert.equal(script, 'changeset version && node scripts/versions.mjs sync');
  execFileSync('bash', ['-c', script], { cwd: d, encoding: 'utf8', env: { ...process.env, PATH: `${join(REPO, 'node_modules', '.bin')}:${process.env.PATH}` } });
  const [major, minor] = version.split('.').map(Number);
  const next = major === 0 ? `0.${minor + 1}.0` : `${major}.${minor + 1}.0`;
  assert.deepEqual(check(d), []);
  assert.match(readFileSync(join(d, 'Cargo.toml'), 'utf8'), new RegExp(`^version = "${next.replace(/\./g, '\\.')}"$`, 'm'));
  assert.match(readFileSync(join(d, 'plugin-backend', 'CHANGELOG.md'), 'utf8'), new RegExp(`^## ${next}\\n\\n### Minor Changes\\n\\n- A new backend option\\.`, 'm'));
  assert.match(readFileSync(join(d, 'CHANGELOG.md'), 'utf8'), new RegExp(`^## ${next}$`, 'm'));
  assert.equal(JSON.parse(readFileSync(join(d, 'plugin-frontend', 'package.json'), 'utf8')).dependencies['asset-id'], `^${next}`);
  // The -common package moves with the group; the plugins' exact dependency on it and its asset-id peer follow.
  assert.equal(JSON.parse(readFileSync(join(d, 'plugin-backend', 'package.json'), 'utf8')).dependencies[COMMON], next);
  assert.equal(JSON.parse(readFileSync(join(d, 'plugin-common', 'package.json'), 'utf8')).peerDependencies['asset-id'], `^${next}`);
});

test('the tag command (publish.yml\'s first check) exits 0 only for v<version>', () => {
  const cli = ref => spawnSync(process.execPath, [join(REPO, 'scripts', 'versions.mjs'), 'tag', ref], { encoding: 'utf8' });
  assert.equal(cli(`refs/tags/v${version}`).status, 0);
  for (const ref of [`refs/tags/v${version}.1`, 'refs/heads/main', `${version}`]) {
    const r = cli(ref);
    assert.equal(r.status, 1, ref);
    assert.match(r.stderr, new RegExp(`is not this version's release tag \\(v${version.replace(/\./g, '\\.')}\\)`));
  }
});

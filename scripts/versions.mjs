#!/usr/bin/env node
// One version for the whole project: the crate (Cargo.toml, Cargo.lock), the root npm package asset-id and the
// three Backstage packages (a Changesets "fixed" group, .changeset/config.json) carry the same version, the
// Backstage plugins depend on asset-id ^<that version> (the -common package names it as a peer, for its types)
// and on the -common package at exactly <that version>, and each package's CHANGELOG.md starts with it. A
// release tag is v<that version>: the CLI archives (dist, .github/workflows/release.yml) and the npm packages
// (.github/workflows/publish.yml) of one tag are built from the same rules.
//
//   node scripts/versions.mjs check        every place above agrees (make test-release); exit 1 naming each one that differs
//   node scripts/versions.mjs sync         after `changeset version`: Cargo.toml, Cargo.lock and the package-lock.json
//                                          files follow the root package.json (npm run version-packages does both)
//   node scripts/versions.mjs tag REF      exit 1 unless REF (e.g. refs/tags/v0.2.0 or v0.2.0) is v<version>
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGES = [
  { dir: '.', name: 'asset-id' },
  { dir: 'plugin-frontend', name: '@asset-id/backstage-plugin-scaffolder-asset-id' },
  { dir: 'plugin-backend', name: '@asset-id/backstage-plugin-asset-id-backend' },
  { dir: 'plugin-common', name: '@asset-id/backstage-plugin-asset-id-common' },
];
/** The -common package: the plugins depend on it at exactly the project's version. */
export const COMMON = '@asset-id/backstage-plugin-asset-id-common';
/** Where a package names asset-id: the -common package as a peer (types only), the plugins as a dependency. */
const assetIdField = dir => (dir === 'plugin-common' ? 'peerDependencies' : 'dependencies');
// What npm and Cargo both accept as a version (SemVer 2.0.0: no leading zeros, optional pre-release).
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/;

const read = (root, path) => readFileSync(join(root, path), 'utf8');
const readJson = (root, path) => JSON.parse(read(root, path));

/** The `version = "..."` line of Cargo.toml's [package] table: its value and where it is. */
function cargoTomlVersion(text) {
  const lines = text.split('\n');
  let table = null;
  for (let i = 0; i < lines.length; i++) {
    const header = /^\s*\[([^\]]+)\]\s*(#.*)?$/.exec(lines[i]);
    if (header) table = header[1].trim();
    else if (table === 'package') {
      const m = /^(\s*version\s*=\s*")([^"]*)(".*)$/.exec(lines[i]);
      if (m) return { version: m[2], line: i, prefix: m[1], suffix: m[3], lines };
    }
  }
  return null;
}

/** The version of the [[package]] named `name` in Cargo.lock (the lock's own package: no source line). */
function cargoLockVersion(text, name) {
  const re = new RegExp(`\\[\\[package\\]\\]\\nname = "${name.replace(/[-.]/g, '\\$&')}"\\nversion = "([^"]*)"\\n(?!source)`);
  const m = re.exec(text.replace(/\r\n/g, '\n'));
  return m ? m[1] : null;
}

/** The top `## <version>` heading of a Changesets CHANGELOG.md. */
function changelogVersion(text) {
  const m = /^## (\S+)\s*$/m.exec(text);
  return m ? m[1] : null;
}

/** Every disagreement, as sentences; [] when the project has one version. */
export function check(root) {
  const problems = [];
  const rootPkg = readJson(root, 'package.json');
  const v = rootPkg.version;
  if (typeof v !== 'string' || !SEMVER.test(v)) {
    return [`package.json: version ${JSON.stringify(v)} is not a SemVer version (X.Y.Z)`];
  }
  const toml = cargoTomlVersion(read(root, 'Cargo.toml'));
  if (!toml) problems.push('Cargo.toml: no version in [package]');
  else if (toml.version !== v) problems.push(`Cargo.toml: [package] version ${toml.version}, package.json ${v} (npm run version-packages syncs it)`);
  const lock = cargoLockVersion(read(root, 'Cargo.lock'), 'asset-id');
  if (lock !== v) problems.push(`Cargo.lock: asset-id ${lock ?? '(missing)'}, package.json ${v}`);
  for (const { dir, name } of PACKAGES) {
    const where = p => (dir === '.' ? p : `${dir}/${p}`);
    const pkg = readJson(root, where('package.json'));
    if (pkg.name !== name) problems.push(`${where('package.json')}: name ${pkg.name}, expected ${name}`);
    if (pkg.version !== v) problems.push(`${where('package.json')}: version ${pkg.version}, the root package ${v} (one fixed Changesets group)`);
    if (dir !== '.') {
      const field = assetIdField(dir);
      const dep = pkg[field]?.['asset-id'];
      if (dep !== `^${v}`) problems.push(`${where('package.json')}: ${field === 'dependencies' ? 'dependency' : 'peer dependency'} asset-id ${dep ?? '(missing)'}, expected ^${v}`);
    }
    // The plugins name the -common package by the exact version (as published; the fixed group moves it with them).
    const common = pkg.dependencies?.[COMMON];
    if (common !== undefined || dir === 'plugin-backend') {
      if (common !== v) problems.push(`${where('package.json')}: dependency ${COMMON} ${common ?? '(missing)'}, expected exactly ${v}`);
    }
    const lockfile = readJson(root, where('package-lock.json'));
    if (lockfile.version !== pkg.version || lockfile.packages?.['']?.version !== pkg.version) {
      problems.push(`${where('package-lock.json')}: version ${lockfile.version} / ${lockfile.packages?.['']?.version}, package.json ${pkg.version}`);
    }
    for (const [field, name] of dir === '.' ? [] : [[assetIdField(dir), 'asset-id'], ['dependencies', COMMON]]) {
      const lockDep = lockfile.packages?.['']?.[field]?.[name];
      if (lockDep !== pkg[field]?.[name]) {
        problems.push(`${where('package-lock.json')}: ${field} ${name} ${lockDep ?? '(missing)'}, package.json ${pkg[field]?.[name] ?? '(missing)'}`);
      }
    }
    const linked = lockfile.packages?.['../plugin-common'];
    if (linked && linked.version !== v) {
      problems.push(`${where('package-lock.json')}: the linked ../plugin-common is version ${linked.version}, expected ${v}`);
    }
    let log;
    try {
      log = read(root, where('CHANGELOG.md'));
    } catch {
      problems.push(`${where('CHANGELOG.md')}: missing`);
      continue;
    }
    const top = changelogVersion(log);
    if (top !== pkg.version) problems.push(`${where('CHANGELOG.md')}: top entry ${top ?? '(none)'}, package.json ${pkg.version}`);
  }
  return problems;
}

/** Cargo.toml, Cargo.lock and the lockfiles take the root package.json's version; returns the files changed. */
export function sync(root) {
  const v = readJson(root, 'package.json').version;
  if (typeof v !== 'string' || !SEMVER.test(v)) throw new Error(`package.json: version ${JSON.stringify(v)} is not X.Y.Z`);
  const changed = [];
  const write = (path, before, after) => {
    if (before !== after) {
      writeFileSync(join(root, path), after);
      changed.push(path);
    }
  };
  const tomlText = read(root, 'Cargo.toml');
  const toml = cargoTomlVersion(tomlText);
  if (!toml) throw new Error('Cargo.toml: no version in [package]');
  toml.lines[toml.line] = `${toml.prefix}${v}${toml.suffix}`;
  write('Cargo.toml', tomlText, toml.lines.join('\n'));
  const lockText = read(root, 'Cargo.lock');
  if (cargoLockVersion(lockText, 'asset-id') === null) throw new Error('Cargo.lock: no asset-id package');
  write(
    'Cargo.lock',
    lockText,
    lockText.replace(/(\[\[package\]\]\r?\nname = "asset-id"\r?\nversion = ")[^"]*("\r?\n(?!source))/, `$1${v}$2`),
  );
  for (const { dir } of PACKAGES) {
    const where = p => (dir === '.' ? p : `${dir}/${p}`);
    const pkg = readJson(root, where('package.json'));
    const before = read(root, where('package-lock.json'));
    const lockfile = JSON.parse(before);
    lockfile.version = pkg.version;
    if (lockfile.packages?.['']) {
      lockfile.packages[''].version = pkg.version;
      for (const [field, name] of dir === '.' ? [] : [[assetIdField(dir), 'asset-id'], ['dependencies', COMMON]]) {
        if (pkg[field]?.[name] && lockfile.packages[''][field]) lockfile.packages[''][field][name] = pkg[field][name];
      }
      // The linked -common package's own entry in a plugin's lockfile carries its version too.
      const linked = lockfile.packages['../plugin-common'];
      if (dir !== '.' && dir !== 'plugin-common' && linked) {
        const common = readJson(root, 'plugin-common/package.json');
        linked.version = common.version;
        if (linked.peerDependencies && common.peerDependencies) linked.peerDependencies = { ...common.peerDependencies };
      }
    }
    write(where('package-lock.json'), before, `${JSON.stringify(lockfile, null, 2)}\n`);
  }
  return changed;
}

/** Whether a git ref (refs/tags/v1.2.3 or v1.2.3) is this version's release tag. */
export function isReleaseTag(ref, version) {
  return ref.replace(/^refs\/tags\//, '') === `v${version}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const [cmd, arg] = process.argv.slice(2);
  if (cmd === 'check') {
    const problems = check(root);
    for (const p of problems) console.error(`versions: ${p}`);
    if (problems.length) process.exit(1);
    console.log(`versions: ${readJson(root, 'package.json').version} everywhere (crate, four npm packages, lockfiles, changelogs)`);
  } else if (cmd === 'sync') {
    const changed = sync(root);
    console.log(changed.length ? `versions: updated ${changed.join(', ')}` : 'versions: nothing to update');
    const problems = check(root);
    for (const p of problems) console.error(`versions: ${p}`);
    if (problems.length) process.exit(1);
  } else if (cmd === 'tag' && arg) {
    const v = readJson(root, 'package.json').version;
    if (!isReleaseTag(arg, v)) {
      console.error(`versions: ${arg} is not this version's release tag (v${v})`);
      process.exit(1);
    }
    const problems = check(root);
    for (const p of problems) console.error(`versions: ${p}`);
    if (problems.length) process.exit(1);
  } else {
    console.error('usage: node scripts/versions.mjs check | sync | tag REF');
    process.exit(2);
  }
}

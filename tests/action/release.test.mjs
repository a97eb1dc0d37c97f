// `make test-action` (and `make test-dist` with the real release archive): every step of action.yml run in order as
// the runner runs a composite action (./run-step.mjs runAction), with a local stand-in for the release host on
// loopback (github.server_url points at it; the action's download URL is <server_url>/<repo>/releases/download/<tag>/).
//
// - At a release tag (v<the action's version>, or its v<major> / v<major>.<minor> alias) the action downloads that
//   release's archive for the runner, checks its SHA-256 against the release's .sha256 file and runs the binary in
//   it: no Rust toolchain on PATH, the build steps skipped.
// - A branch or commit ref, another version's tag, an unsupported platform, a failed download or `binary:` set:
//   the action builds as before (the build step's stand-in copies the CLI), or runs the given binary.
// - A checksum that does not match, a malformed checksum file, an oversized asset, a link or a binary of another
//   version in the archive: exit 2 with an ::error:: line, nothing run.
//
// The archive served is, by default, made here in dist's layout (asset-id-<target>/asset-id in a .tar.gz, and
// "<sha256>  <name>" in <name>.sha256) from target/release/asset-id (or $ASSET_ID_BIN); with $ASSET_ID_RELEASE_DIR
// (make test-dist: target/distrib) it is the archive and checksum file `dist build` wrote, byte for byte.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ACTION, REPO, runAction } from './run-step.mjs';

const BIN = resolve(process.env.ASSET_ID_BIN ?? join(REPO, 'target', 'release', 'asset-id'));
const RELEASE_DIR = process.env.ASSET_ID_RELEASE_DIR ? resolve(process.env.ASSET_ID_RELEASE_DIR) : null;
const VERSION = /^version = "([^"]+)"$/m.exec(readFileSync(join(REPO, 'Cargo.toml'), 'utf8').split(/^\[/m).find(t => t.startsWith('package]')))[1];
const TAG = `v${VERSION}`;
const REPOSITORY = 'asset-id/asset-id';
const LINUX = 'x86_64-unknown-linux-musl';
const NAME = `asset-id-${LINUX}.tar.gz`;
// Where the runner's Rust would be: not on the PATH the release path runs with.
const NO_RUST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const scratch = mkdtempSync(join(tmpdir(), 'asset-id-release-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const fresh = name => {
  const d = join(scratch, `${++n}-${name}`);
  mkdirSync(d, { recursive: true });
  return d;
};
const sha256 = buf => createHash('sha256').update(buf).digest('hex');

/** A .tar.gz in dist's layout holding `files` ({ 'asset-id': Buffer | { symlink } }) under asset-id-<target>/. */
function archive(target, files) {
  const d = fresh('archive');
  const top = join(d, `asset-id-${target}`);
  mkdirSync(top);
  for (const [name, content] of Object.entries(files)) {
    if (content && typeof content === 'object' && 'symlink' in content) symlinkSync(content.symlink, join(top, name));
    else {
      writeFileSync(join(top, name), content);
      chmodSync(join(top, name), 0o755);
    }
  }
  execFileSync('tar', ['-czf', join(d, 'out.tar.gz'), '-C', d, `asset-id-${target}`]);
  return readFileSync(join(d, 'out.tar.gz'));
}

/** The release host on loopback: `assets` maps a file name of release `tag` to its bytes; records requests. */
function startReleaseHost() {
  const requests = [];
  const host = { assets: new Map(), tag: TAG, requests };
  const server = createServer((req, res) => {
    requests.push(req.url);
    const prefix = `/${REPOSITORY}/releases/download/${host.tag}/`;
    const body = req.url.startsWith(prefix) ? host.assets.get(decodeURIComponent(req.url.slice(prefix.length))) : undefined;
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not Found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
  return new Promise(ok =>
    server.listen(0, '127.0.0.1', () => ok(Object.assign(host, { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() }))),
  );
}

let host;
let real; // { archive, checksum }: the release's files for Linux x86_64
let workspace;
before(async () => {
  assert.ok(existsSync(BIN), `${BIN} is missing: build it with \`make cli\``);
  if (RELEASE_DIR) {
    real = { archive: readFileSync(join(RELEASE_DIR, NAME)), checksum: readFileSync(join(RELEASE_DIR, `${NAME}.sha256`)) };
  } else {
    const a = archive(LINUX, { 'asset-id': readFileSync(BIN), 'README.md': '# asset-id\n' });
    real = { archive: a, checksum: Buffer.from(`${sha256(a)} *${NAME}\n`) }; // as dist writes it
  }
  host = await startReleaseHost();
  // The example systems repository (with its registry), committed: the gate run at the end of each case.
  workspace = fresh('workspace');
  execFileSync('cp', ['-R', join(REPO, 'examples', 'systems-repo'), join(REPO, 'examples', 'registry'), workspace]);
  const git = (...args) =>
    execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], {
      cwd: workspace,
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
    });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'systems');
});
after(() => host?.close());

/** Run the whole action; the build steps' stand-ins record that they ran and put the CLI where the build would. */
async function run({ ref = TAG, runner = {}, inputs = {}, assets, github = {}, env = {} } = {}) {
  host.requests.length = 0;
  host.assets = new Map(Object.entries(assets ?? { [NAME]: real.archive, [`${NAME}.sha256`]: real.checksum }));
  const built = [];
  const r = await runAction({
    workspace,
    event: { name: 'push', payload: {} },
    inputs: { args: 'check --format github', 'working-directory': 'systems-repo', ...inputs },
    github: { action_ref: ref, action_repository: REPOSITORY, server_url: host.url, ...github },
    runner,
    env: { PATH: NO_RUST_PATH, ...env },
    standIns: {
      'Cache the asset-id binary': () => ({ outputs: { 'cache-hit': 'false' } }),
      'Build asset-id': ({ env: e }) => {
        mkdirSync(join(e.ROOT, 'bin'), { recursive: true });
        copyFileSync(BIN, join(e.ROOT, 'bin', 'asset-id'));
        chmodSync(join(e.ROOT, 'bin', 'asset-id'), 0o755);
        built.push(e.ROOT);
      },
    },
  });
  const step = name => r.steps.find(s => s.name === name);
  const download = step('Download the release binary');
  const gate = step('Run asset-id');
  const detail = `exit ${r.code}\n${r.steps.map(s => `--- ${s.name}: ${s.ran ? `exit ${s.code}\n${s.stdout}${s.stderr}` : 'skipped'}`).join('\n')}`;
  return { ...r, built, download, gate, detail, requests: [...host.requests] };
}

/** The gate's result on the example repository (examples/systems-repo/README.md): exit 1, annotations. */
function assertGateRan(r) {
  assert.ok(r.gate?.ran, `Run asset-id did not run\n${r.detail}`);
  assert.equal(r.gate.code, 1, r.detail);
  assert.equal(r.outputs['exit-code'], '1');
  assert.match(r.gate.stdout, /^::error file=catalog\/fax\/catalog-info\.yaml,line=7,.*title=asset-id not_found::/m, r.detail);
  assert.match(r.gate.stdout, /^::error file=catalog\/billing\/catalog-info\.yaml,.*title=asset-id retired::/m, r.detail);
}

const downloaded = r => `${r.runnerTemp}/asset-id-release/unpacked/asset-id-${LINUX}/asset-id`;

describe('at a release tag', () => {
  test(`${TAG}: the release archive is downloaded, its SHA-256 checked, and run without Rust or a build`, async () => {
    assert.throws(() => execFileSync('cargo', ['--version'], { env: { PATH: NO_RUST_PATH }, stdio: 'ignore' }), 'cargo is not on the PATH the action runs with');
    const r = await run();
    assert.equal(r.download.code, 0, r.detail);
    assert.match(r.download.stdout, new RegExp(`${NAME} of release ${TAG}, SHA-256 ${sha256(real.archive)} \\(verified\\)`));
    assert.equal(r.download.outputs.bin, downloaded(r));
    assert.deepEqual(r.requests, [`/${REPOSITORY}/releases/download/${TAG}/${NAME}.sha256`, `/${REPOSITORY}/releases/download/${TAG}/${NAME}`]);
    for (const name of ['Fingerprint the action\'s sources', 'Cache the asset-id binary', 'Build asset-id']) {
      assert.equal(r.steps.find(s => s.name === name).ran, false, `${name} was skipped`);
    }
    assert.deepEqual(r.built, []);
    assert.equal(r.gate.env.ASSET_ID_BIN, downloaded(r));
    assertGateRan(r);
  });

  test('its aliases v<major> and v<major>.<minor> download the same release', async () => {
    const [major, minor] = VERSION.split('.');
    for (const ref of [`v${major}`, `v${major}.${minor}`]) {
      const r = await run({ ref });
      assert.equal(r.download.outputs.bin, downloaded(r), `${ref}\n${r.detail}`);
      assert.equal(r.requests.length, 2);
      assert.ok(r.requests.every(u => u.includes(`/download/${TAG}/`)), r.requests.join('\n'));
      assertGateRan(r);
    }
  });

  test('when github.action_ref is empty (composite actions), the ref and repository come from the action path', async () => {
    const path = join(fresh('runner'), '_actions', 'asset-id', 'asset-id', TAG);
    mkdirSync(join(path, '..'), { recursive: true });
    symlinkSync(REPO, path);
    const r = await run({ ref: '', github: { action_repository: '', action_path: path } });
    assert.equal(r.download.outputs.bin, downloaded(r), r.detail);
    assertGateRan(r);
  });

  test('macOS on ARM64 asks for the aarch64-apple-darwin archive; a failed download falls back to the build', async () => {
    const r = await run({ runner: { os: 'macOS', arch: 'ARM64' } });
    assert.deepEqual(r.requests, [`/${REPOSITORY}/releases/download/${TAG}/asset-id-aarch64-apple-darwin.tar.gz.sha256`]);
    assert.match(r.download.stdout, /^::warning title=asset-id::could not download asset-id-aarch64-apple-darwin\.tar\.gz of release/m);
    assert.equal(r.download.outputs.bin, undefined);
    assert.equal(r.built.length, 1, r.detail);
    assertGateRan(r);
  });
});

describe('otherwise the action builds as before', () => {
  const cases = [
    ['a branch', { ref: 'main' }, /the action's ref 'main' is not the release tag/],
    ['a commit', { ref: 'a'.repeat(40) }, /is not the release tag/],
    ['another version\'s tag', { ref: 'v99.0.0' }, /the action's ref 'v99\.0\.0' is not the release tag/],
    ['a tag that only starts like the version', { ref: `${TAG}9` }, /is not the release tag/],
    ['an unknown ref (empty, no _actions path)', { ref: '' }, /the action's ref 'unknown' is not the release tag/],
    ['Windows', { runner: { os: 'Windows', arch: 'X64' } }, /no release archive for Windows X64 in this action/],
    ['Linux on 32-bit ARM', { runner: { os: 'Linux', arch: 'ARM' } }, /no release archive for Linux ARM/],
    ['a server URL that is not HTTPS', { github: { server_url: 'http://github.example.com' } }, /is not HTTPS/],
  ];
  for (const [what, options, reason] of cases) {
    test(`${what}: no download, the build steps run`, async () => {
      const r = await run(options);
      assert.equal(r.download.code, 0, r.detail);
      assert.match(r.download.stdout, reason);
      assert.match(r.download.stdout, /building from the action's source instead/);
      assert.equal(r.download.outputs.bin, undefined);
      assert.deepEqual(r.requests, []);
      assert.equal(r.built.length, 1, r.detail);
      assert.equal(r.gate.env.ASSET_ID_BIN, join(r.built[0], 'bin', 'asset-id'));
      assertGateRan(r);
    });
  }

  test('a release without this platform\'s archive (404): a warning, then the build', async () => {
    const r = await run({ assets: {} });
    assert.match(r.download.stdout, /::warning title=asset-id::could not download/);
    assert.equal(r.built.length, 1, r.detail);
    assertGateRan(r);
  });

  test('binary: set: neither download nor build', async () => {
    const r = await run({ inputs: { binary: BIN } });
    assert.equal(r.download.ran, false);
    assert.deepEqual(r.requests, []);
    assert.deepEqual(r.built, []);
    assert.equal(r.gate.env.ASSET_ID_BIN, BIN);
    assertGateRan(r);
  });
});

describe('a release download that does not check out is never run (exit 2, nothing built either)', () => {
  const fake = version => Buffer.from(`#!/bin/sh\necho "asset-id ${version}"\nexit 0\n`);
  const withSum = (a, name = NAME) => ({ [NAME]: a, [`${NAME}.sha256`]: Buffer.from(`${sha256(a)}  ${name}\n`) });
  const cases = [
    ['an archive whose SHA-256 differs from the release\'s', () => ({ [NAME]: Buffer.concat([real.archive, Buffer.from([0])]), [`${NAME}.sha256`]: real.checksum }), /has SHA-256 [0-9a-f]{64}, the release says [0-9a-f]{64}: not run/],
    ['a checksum file for another file', () => withSum(real.archive, 'asset-id-aarch64-apple-darwin.tar.gz'), /is not '<sha256> \*asset-id-x86_64-unknown-linux-musl\.tar\.gz'/],
    ['a checksum file that is not one', () => ({ [NAME]: real.archive, [`${NAME}.sha256`]: Buffer.from('<html>rate limited</html>\n') }), /is not '<sha256>/],
    ['a checksum file above 4096 bytes', () => ({ [NAME]: real.archive, [`${NAME}.sha256`]: Buffer.alloc(5000, 'a') }), /\.sha256 is larger than 4096 bytes/],
    ['an archive above 64 MiB', () => withSum(Buffer.alloc(64 * 1024 * 1024 + 1)), /\.tar\.gz is larger than 67108864 bytes/],
    ['an archive without the binary', () => withSum(archive(LINUX, { 'README.md': 'x' })), /holds no asset-id-x86_64-unknown-linux-musl\/asset-id/],
    ['an archive whose binary is a symbolic link', () => withSum(archive(LINUX, { 'asset-id': { symlink: '/bin/sh' } })), /is not a regular file/],
    ['a binary of another version', () => withSum(archive(LINUX, { 'asset-id': fake('0.0.1') })), new RegExp(`the release binary says 'asset-id 0\\.0\\.1', the action is asset-id ${VERSION.replace(/\./g, '\\.')}`)],
  ];
  for (const [what, assets, message] of cases) {
    test(what, async () => {
      const r = await run({ assets: assets() });
      assert.equal(r.code, 2, r.detail);
      assert.equal(r.download.code, 2);
      assert.match(r.download.stdout, /^::error title=asset-id::/m);
      assert.match(r.download.stdout, message, r.detail);
      assert.equal(r.gate, undefined, 'Run asset-id never ran');
      assert.deepEqual(r.built, []);
    });
  }
});

test("no step's run script holds ${{ }} (the runner would paste data into it: a script injection)", () => {
  const scripts = ACTION.runs.steps.filter(s => s.run);
  assert.ok(scripts.length >= 4);
  for (const s of scripts) assert.doesNotMatch(s.run, /\$\{\{/, s.name);
});

// `make test-dist`: the Linux x86_64 release archive that `make dist` builds with dist (cargo-dist), as a release
// tag publishes it: its .sha256 file matches, it holds asset-id-<target>/asset-id, the binary is static (no
// dynamic loader: it runs on any Linux x86_64, whatever its libc), reports the crate's version, and gates the
// example systems repository as documented. The action suites then run with this binary (see the Makefile).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TARGET = 'x86_64-unknown-linux-musl';
const DIR = process.env.ASSET_ID_RELEASE_DIR ?? join(REPO, 'target', 'distrib');
const NAME = `asset-id-${TARGET}.tar.gz`;
const VERSION = /^version = "([^"]+)"$/m.exec(readFileSync(join(REPO, 'Cargo.toml'), 'utf8').split(/^\[/m).find(t => t.startsWith('package]')))[1];

let scratch;
let bin;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'asset-id-dist-'));
  execFileSync('tar', ['-xzf', join(DIR, NAME), '-C', scratch]);
  bin = join(scratch, `asset-id-${TARGET}`, 'asset-id');
});
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The program header types of a 64-bit little-endian ELF file. */
function programHeaders(buf) {
  assert.equal(buf.readUInt32BE(0), 0x7f454c46, 'an ELF file');
  assert.equal(buf[4], 2, 'ELF64');
  assert.equal(buf[5], 1, 'little-endian');
  const phoff = Number(buf.readBigUInt64LE(0x20));
  const phentsize = buf.readUInt16LE(0x36);
  const phnum = buf.readUInt16LE(0x38);
  return Array.from({ length: phnum }, (_, i) => buf.readUInt32LE(phoff + i * phentsize));
}
const PT_INTERP = 3;

test(`${NAME}.sha256 is "<sha256> *${NAME}" (or two spaces) and matches the archive`, () => {
  const line = readFileSync(join(DIR, `${NAME}.sha256`), 'utf8');
  const m = /^([0-9a-f]{64}) [ *](\S+)\n*$/.exec(line);
  assert.ok(m, `checksum file: ${JSON.stringify(line)}`);
  assert.equal(m[2], NAME);
  assert.equal(createHash('sha256').update(readFileSync(join(DIR, NAME))).digest('hex'), m[1]);
});

test('the archive holds asset-id-<target>/asset-id, executable, with the README', () => {
  const list = execFileSync('tar', ['-tzf', join(DIR, NAME)], { encoding: 'utf8' }).split('\n').filter(Boolean);
  assert.ok(list.includes(`asset-id-${TARGET}/asset-id`), list.join('\n'));
  assert.ok(list.includes(`asset-id-${TARGET}/README.md`), list.join('\n'));
  assert.ok(list.every(p => p.startsWith(`asset-id-${TARGET}/`)), 'one top folder');
  const mode = execFileSync('tar', ['-tvzf', join(DIR, NAME), `asset-id-${TARGET}/asset-id`], { encoding: 'utf8' });
  assert.match(mode, /^-rwx/);
});

test('the binary is static: no program interpreter (dynamic loader) to find', () => {
  const headers = programHeaders(readFileSync(bin));
  assert.ok(headers.length > 0);
  assert.ok(!headers.includes(PT_INTERP), `PT_INTERP in ${headers}`);
  // The check can fail: a dynamically linked executable has one (this test's own Node, for one).
  assert.ok(programHeaders(readFileSync(process.execPath)).includes(PT_INTERP));
});

test(`it runs and is asset-id ${VERSION}`, () => {
  assert.equal(execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim(), `asset-id ${VERSION}`);
  // With an empty environment: nothing from the build machine is needed at run time.
  const r = spawnSync(bin, ['validate', '--config', join(REPO, 'examples', 'asset-id.yaml'), '--offline', 'apm-000 1234'], { env: {}, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /APM0001234/);
});

test('it gates the example systems repository as its README shows (exit 1)', () => {
  const r = spawnSync(bin, ['check'], { cwd: join(REPO, 'examples', 'systems-repo'), encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /error\[not_found\]: APM9999999 does not exist in the asset registry/);
  assert.match(r.stdout, /error\[retired\]: APM0000042 \(Legacy Billing\) is retired/);
  assert.match(r.stdout, /error\[pattern_mismatch\]: "APM12" is not a valid asset ID/);
  assert.match(r.stdout, /error\[missing_annotation\]: System has no example\.com\/asset-id annotation/);
  assert.match(r.stdout, /^asset-id: \d+ files, \d+ entities, \d+ checked: [1-9]\d* errors, 0 warnings\n$/m);
});

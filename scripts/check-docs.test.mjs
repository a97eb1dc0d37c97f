// Tests of scripts/check-docs.mjs on scratch git repositories: every kind of problem it must find is
// found, with its file and line, and what it must accept raises nothing.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anchors, checkRepository, slug } from './check-docs.mjs';

// Built from parts so that this file itself holds none of the references it tests.
const SHARED_DIR = ['..', 'shared'].join('/');
const SHARED = `${SHARED_DIR}/DESIGN.md`;
const WORK_DIR = '/' + 'work' + '/';
const WORK = `${WORK_DIR}main/notes.md`;
const HOME_DIR = '/' + 'home' + '/alice/';
const HOME = `${HOME_DIR}project`;
const MAC_DIR = '/' + 'Users' + '/bob/';
const MAC = `${MAC_DIR}src`;
const ROOT_DIR = '/' + 'root' + '/';
const ROOT = `${ROOT_DIR}.cargo/bin`;

/** A scratch repository with `files` (path -> text or Buffer) added to git; `untracked` left out. */
function repo(files, untracked = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'check-docs-'));
  const git = (...args) => execFileSync('git', ['-C', dir, ...args], { stdio: 'pipe' });
  git('init', '-q');
  for (const [path, body] of Object.entries({ ...files, ...untracked })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), body);
  }
  git('add', '--', ...Object.keys(files));
  return dir;
}

function problems(files, untracked) {
  const dir = repo(files, untracked);
  try {
    return checkRepository(dir).map(p => `${p.file}:${p.line}: ${p.message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a clean repository has no problems', () => {
  const found = problems({
    'README.md': [
      '# Title',
      '',
      '## Size and speed (`make bench`)',
      '',
      'See [the design](docs/design.md#budgets), [the CLI](docs/cli.md), [a folder](docs/),',
      '[root-relative](/docs/cli.md), [here](#size-and-speed-make-bench), [web](https://example.com/x),',
      '[mail](mailto:a@example.com), ![logo](img/logo.png) and [ref].',
      '',
      '[ref]: docs/cli.md#exit-status',
      '',
      '```sh',
      '[not a link](nowhere.md)',
      '```',
      'Inline code is not a link either: `[x](nowhere.md)`.',
    ].join('\n'),
    'docs/design.md': '# Design\n\n## Budgets\n\nBack to [README](../README.md).\n',
    'docs/cli.md': '# CLI\n\n## Exit status\n\n<a id="custom"></a> [custom](#custom)\n',
    'img/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]),
    'src/main.rs': '// no paths outside here\nconst P: &str = "../../fixtures/x"; // inside\n',
  });
  assert.deepEqual(found, []);
});

test('finds references to paths outside the repository in any tracked text file', () => {
  const found = problems(
    {
      'README.md': `Contracts: see ${SHARED}.\n`,
      'scripts/install.mjs': `// from ${WORK}\nconst home = '${HOME}';\nconst mac = "${MAC}";\n`,
      'notes.txt': `PATH=${ROOT}:$PATH\nC:\\Users\\carol\\x\n`,
      // Skipped: lockfiles and binary files.
      'package-lock.json': `{ "resolved": "${WORK}" }\n`,
      'sub/Cargo.lock': `# ${HOME}\n`,
      'data.bin': Buffer.concat([Buffer.from(WORK), Buffer.from([0])]),
    },
    // Untracked files are not the repository's.
    { 'scratch.md': `${SHARED}\n` },
  );
  assert.deepEqual(found, [
    `README.md:1: refers to a sibling folder outside the repository: ${SHARED_DIR}`,
    `notes.txt:1: refers to root's home directory: =${ROOT_DIR}`,
    'notes.txt:2: refers to a home directory: C:\\Users\\',
    `scripts/install.mjs:1: refers to the machine's work folder: ${WORK_DIR}`,
    `scripts/install.mjs:2: refers to a home directory: '${HOME_DIR}`,
    `scripts/install.mjs:3: refers to a home directory: "${MAC_DIR}`,
  ]);
});

test('does not mistake URLs and similar paths for machine paths', () => {
  const found = problems({
    'a.md': [
      // Built from parts, like the constants above, so this file holds no path-like literal.
      ['https://github.com/org', 'work', 'tree/main and https://example.com', 'home', 'page'].join('/'),
      ['src', 'work', 'x.rs, .', 'home', 'readme, my-project', 'Users', 'list, ~', '.cargo', 'bin'].join('/'),
    ].join('\n'),
  });
  assert.deepEqual(found, []);
});

test('finds Markdown links that do not resolve', () => {
  const found = problems(
    {
      'README.md': [
        '# Top',
        '[missing](docs/nope.md)',
        '[outside](../other/README.md)',
        `[shared](${SHARED})`,
        '[untracked](build/out.md)',
        '[bad anchor](docs/cli.md#no-such-heading)',
        '[self anchor](#nothing-here)',
        '![image](img/missing.png)',
        '<img src="img/gone.svg">',
        '[ref]: docs/absent.md',
      ].join('\n'),
      'docs/cli.md': '# CLI\n## Exit status\n',
      'docs/deep/page.md': '[up too far](../../../x.md)\n[fine](../cli.md#exit-status)\n',
    },
    { 'build/out.md': '# Out\n' },
  );
  assert.deepEqual(found.sort(), [
    "README.md:10: link 'docs/absent.md': docs/absent.md does not exist",
    "README.md:2: link 'docs/nope.md': docs/nope.md does not exist",
    "README.md:3: link '../other/README.md' points outside the repository",
    `README.md:4: link '${SHARED}' points outside the repository`,
    `README.md:4: refers to a sibling folder outside the repository: ${SHARED_DIR}`,
    "README.md:5: link 'build/out.md': build/out.md is not tracked by git",
    "README.md:6: link 'docs/cli.md#no-such-heading': docs/cli.md has no heading or anchor '#no-such-heading'",
    "README.md:7: link '#nothing-here': README.md has no heading or anchor '#nothing-here'",
    "README.md:8: link 'img/missing.png': img/missing.png does not exist",
    "README.md:9: link 'img/gone.svg': img/gone.svg does not exist",
    "docs/deep/page.md:1: link '../../../x.md' points outside the repository",
  ].sort());
});

test('anchors follow GitHub: rendered text, lower case, punctuation dropped, duplicates numbered', () => {
  assert.equal(slug('Measured (`npm run bench`)'), 'measured-npm-run-bench');
  assert.equal(slug('Where this extends DESIGN.md'), 'where-this-extends-designmd');
  assert.equal(slug('The [npm](https://npmjs.com) package: *fast*'), 'the-npm-package-fast');
  assert.equal(slug('snake_case & Ümlaut'), 'snake_case--ümlaut');
  assert.deepEqual([...anchors('# A\n## A\n```\n# not a heading\n```\n### A ###\n')], ['a', 'a-1', 'a-2']);
});

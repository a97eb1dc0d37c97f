// `make test-action`: action.yml's "Run asset-id" step, run as the GitHub runner runs it (./run-step.mjs) with
// the real CLI (target/release/asset-id, or $ASSET_ID_BIN), on git repositories shaped like a pull request's
// checkout (actions/checkout's default: refs/pull/N/merge, depth 1) and CMDBs on loopback.
//
// - By default a pull request is judged by its base commit's policy: a head commit that points
//   lookup.servicenow.baseUrl at another server (the attacker's) gets no request there, ASSET_ID_TOKEN included.
// - `policy-from: head` (the opt-out), and args holding --config-rev, use what they say.
// - `output:` is written only inside the workspace, never through a symbolic link, and the exit status is kept.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { actionStep, evaluate, interpolate, REPO, runStep } from './run-step.mjs';

const BIN = resolve(process.env.ASSET_ID_BIN ?? join(REPO, 'target', 'release', 'asset-id'));
const TOKEN = 'cmdb-token-for-the-gate';

// ---- CMDBs on loopback ----------------------------------------------------------------------------------

/** A ServiceNow Table API on loopback that knows `known` IDs (all of them when `known` is '*'); records requests. */
function startCmdb(known) {
  const requests = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    requests.push({ method: req.method, path: url.pathname, authorization: req.headers.authorization ?? null, query: url.searchParams.get('sysparm_query') });
    const m = /number(?:IN|=)([^^]*)/.exec(url.searchParams.get('sysparm_query') ?? '');
    const ids = m ? m[1].split(',').filter(Boolean) : [];
    const rows = ids
      .filter(id => known === '*' || known.includes(id))
      .map(id => ({ number: id, name: `Record ${id}`, install_status: '1', sys_id: id.toLowerCase() }));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ result: rows }));
  });
  return new Promise(res =>
    server.listen(0, '127.0.0.1', () => res({ url: `http://127.0.0.1:${server.address().port}`, requests, close: () => server.close() })),
  );
}

// ---- repositories -----------------------------------------------------------------------------------------

const scratch = mkdtempSync(join(tmpdir(), 'asset-id-action-'));
let n = 0;
const fresh = name => {
  const d = join(scratch, `${++n}-${name}`);
  mkdirSync(d, { recursive: true });
  return d;
};

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};
const git = (cwd, ...args) =>
  execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', '-c', 'protocol.file.allow=always', ...args], {
    cwd,
    env: GIT_ENV,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();

const policy = baseUrl => `\
schemes:
  - { name: business-app, pattern: 'APM\\d{7}', normalize: [trim, uppercase] }
catalog: { annotation: example.com/asset-id, kinds: [System] }
lookup:
  source: servicenow
  servicenow: { baseUrl: '${baseUrl}', table: cmdb_ci_business_app, idField: number }
  timeoutMs: 3000
`;
const system = (name, id) => `\
apiVersion: backstage.io/v1alpha1
kind: System
metadata: { name: ${name}, annotations: { example.com/asset-id: ${id} } }
spec: { owner: team-a }
`;

function write(dir, files) {
  for (const [path, content] of Object.entries(files)) {
    const p = join(dir, path);
    mkdirSync(dirname(p), { recursive: true });
    if (content && typeof content === 'object' && 'symlink' in content) symlinkSync(content.symlink, p);
    else writeFileSync(p, content);
  }
}

/**
 * A pull request as actions/checkout leaves it: `origin` has main at the base commit (the honest CMDB's policy,
 * a System that exists) and refs/pull/1/merge, the merge of a head commit that applies `head` (by default: the
 * policy pointed at the attacker's CMDB, and a System with an ID only the attacker "knows"); the workspace is a
 * depth-1 fetch of the merge ref, so the base commit is not in it.
 */
function pullRequest({ honest, attacker, head = {}, base = {} }) {
  const origin = fresh('origin');
  git(origin, 'init', '-q');
  write(origin, { 'asset-id.yaml': policy(honest.url), 'catalog/payments.yaml': system('payments', 'APM0001234'), ...base });
  git(origin, 'add', '-A');
  git(origin, 'commit', '-q', '-m', 'base');
  const baseSha = git(origin, 'rev-parse', 'HEAD');
  git(origin, 'checkout', '-q', '-b', 'feature');
  write(origin, { 'asset-id.yaml': policy(attacker.url), 'catalog/evil.yaml': system('evil', 'APM7777777'), ...head });
  git(origin, 'add', '-A');
  git(origin, 'commit', '-q', '-m', 'head: my own CMDB');
  const headSha = git(origin, 'rev-parse', 'HEAD');
  git(origin, 'checkout', '-q', '--detach', 'main');
  git(origin, 'merge', '-q', '--no-ff', '-m', 'Merge feature into main', 'feature');
  git(origin, 'update-ref', 'refs/pull/1/merge', 'HEAD');
  git(origin, 'checkout', '-q', 'main');

  const workspace = fresh('workspace');
  git(workspace, 'init', '-q');
  git(workspace, 'remote', 'add', 'origin', `file://${origin}`);
  git(workspace, 'fetch', '-q', '--no-tags', '--depth=1', 'origin', '+refs/pull/1/merge:refs/remotes/pull/1/merge');
  git(workspace, 'checkout', '-q', '--detach', 'refs/remotes/pull/1/merge');
  assert.throws(() => git(workspace, 'cat-file', '-e', `${baseSha}^{commit}`), 'the checkout lacks the base commit, as actions/checkout leaves it');
  const payload = {
    action: 'synchronize',
    number: 1,
    pull_request: {
      number: 1,
      // Data the pull request's author controls, shaped like the keys the action needs.
      title: `"base": {"sha": "${headSha}"}`,
      body: `{"pull_request": {"base": {"sha": "${headSha}"}}}\n"sha": "${headSha}"`,
      head: { ref: 'feature', sha: headSha, label: `x:"base":{"sha":"${headSha}"}` },
      base: { ref: 'main', sha: baseSha, label: 'x:main' },
      merge_commit_sha: git(origin, 'rev-parse', 'refs/pull/1/merge'),
    },
  };
  return { workspace, origin, baseSha, headSha, event: { name: 'pull_request', payload } };
}

/** Bytes, mode and link status of a path (or null), to prove nothing changed. */
function snapshot(path) {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return null;
  }
  return {
    link: st.isSymbolicLink() ? readlinkSync(path) : null,
    mode: st.mode,
    sha256: st.isFile() ? createHash('sha256').update(readFileSync(path)).digest('hex') : null,
    size: st.size,
    mtimeMs: st.mtimeMs,
  };
}
const listing = dir => readdirSync(dir).sort();

// ---- the tests --------------------------------------------------------------------------------------------

let honest;
let attacker;
before(async () => {
  assert.ok(existsSync(BIN), `${BIN} is missing: build it with \`make cli\` (cargo build --release --features cli --bin asset-id)`);
  assert.match(execFileSync(BIN, ['check', '--help'], { encoding: 'utf8' }), /--config-rev/, `${BIN} has no check --config-rev`);
  honest = await startCmdb(['APM0001234']);
  attacker = await startCmdb('*');
});
after(() => {
  honest?.close();
  attacker?.close();
  rmSync(scratch, { recursive: true, force: true });
});
const reset = () => {
  honest.requests.length = 0;
  attacker.requests.length = 0;
};
const run = ({ inputs = {}, env = {}, ...rest }) =>
  runStep({ ...rest, inputs: { binary: BIN, ...inputs }, env: { ASSET_ID_TOKEN: TOKEN, ...env } });
const detail = r => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

describe('the runner emulation', () => {
  test('evaluates the expressions action.yml uses', () => {
    const ctx = { inputs: { binary: '', x: 'a' }, runner: { temp: '/t' }, github: { event: { pull_request: { base: { sha: 'abc' } } } } };
    const bin = "inputs.binary != '' && inputs.binary || format('{0}/asset-id-bin/bin/asset-id', runner.temp)";
    assert.equal(evaluate(bin, ctx), '/t/asset-id-bin/bin/asset-id');
    assert.equal(evaluate(bin, { ...ctx, inputs: { binary: '/b' } }), '/b');
    assert.equal(evaluate('github.event.pull_request.base.sha', ctx), 'abc');
    assert.equal(evaluate('github.event.merge_group.base_sha', ctx), null);
    assert.equal(interpolate('${{ github.event.merge_group.base_sha }}', ctx), '');
    assert.equal(evaluate("inputs.binary == '' && steps.cache.outputs.cache-hit != 'true'", { ...ctx, steps: {} }), true);
    assert.throws(() => evaluate('toJSON(github)', ctx), /not emulated/);
  });

  test("the run script holds no ${{ }} (the runner would paste data into it: a script injection)", () => {
    for (const step of [actionStep('Run asset-id')]) assert.doesNotMatch(step.run, /\$\{\{/);
  });
});

describe('whose policy judges a pull request', () => {
  test('by default the base commit\'s: the head commit\'s CMDB (the attacker\'s) gets no request, no token', async () => {
    reset();
    const pr = pullRequest({ honest, attacker });
    const r = await run({ workspace: pr.workspace, event: pr.event, inputs: { args: 'check --format github' } });
    assert.equal(attacker.requests.length, 0, `the attacker's server was asked: ${JSON.stringify(attacker.requests)}\n${detail(r)}`);
    // The base policy was used: the honest CMDB was asked, with the token, and does not know the PR's ID.
    assert.ok(honest.requests.length > 0, detail(r));
    assert.ok(honest.requests.every(q => q.authorization === `Bearer ${TOKEN}`), JSON.stringify(honest.requests));
    assert.ok(honest.requests.some(q => q.query?.includes('APM7777777')), JSON.stringify(honest.requests));
    assert.equal(r.code, 1, detail(r));
    assert.equal(r.outputs['exit-code'], '1');
    assert.match(r.stdout, /^::error file=catalog\/evil\.yaml,.*APM7777777 does not exist/m, detail(r));
    assert.match(r.stdout, new RegExp(`the policy as committed in ${pr.baseSha}`), detail(r));
    // The base commit was fetched by its sha (the depth-1 checkout lacked it), and the summary written.
    git(pr.workspace, 'cat-file', '-e', `${pr.baseSha}^{commit}`);
    assert.match(r.summary, /asset-id check/);
  });

  test('pull_request_target and merge_group events use their base commit too', async () => {
    for (const kind of ['pull_request_target', 'merge_group']) {
      reset();
      const pr = pullRequest({ honest, attacker });
      const event =
        kind === 'merge_group'
          ? { name: 'merge_group', payload: { merge_group: { base_sha: pr.baseSha, head_sha: pr.headSha } } }
          : { name: kind, payload: pr.event.payload };
      const r = await run({ workspace: pr.workspace, event, inputs: { args: 'check --format github' } });
      assert.equal(attacker.requests.length, 0, `${kind}: ${detail(r)}`);
      assert.equal(r.code, 1, `${kind}: ${detail(r)}`);
    }
  });

  test('a base commit the repository cannot provide fails closed (exit 2), never falls back to the head policy', async () => {
    reset();
    const pr = pullRequest({ honest, attacker });
    const missing = structuredClone(pr.event.payload);
    missing.pull_request.base.sha = 'f'.repeat(40);
    let r = await run({ workspace: pr.workspace, event: { name: 'pull_request', payload: missing }, inputs: { args: 'check' } });
    assert.equal(r.code, 2, detail(r));
    assert.match(r.stdout, /^::error title=asset-id::policy-from: base: cannot fetch f{40}/m, detail(r));
    delete missing.pull_request.base;
    r = await run({ workspace: pr.workspace, event: { name: 'pull_request', payload: missing }, inputs: { args: 'check' } });
    assert.equal(r.code, 2, detail(r));
    assert.match(r.stdout, /^::error title=asset-id::policy-from: base: no commit to read the policy from/m, detail(r));
    assert.equal(r.outputs['exit-code'], '2');
    assert.equal(attacker.requests.length + honest.requests.length, 0);
  });

  test('policy-from: head (the opt-out) uses the pull request\'s own policy', async () => {
    reset();
    const pr = pullRequest({ honest, attacker });
    const r = await run({ workspace: pr.workspace, event: pr.event, inputs: { args: 'check --format github', 'policy-from': 'head' } });
    assert.ok(attacker.requests.length > 0, detail(r));
    assert.equal(honest.requests.length, 0);
    assert.equal(r.code, 0, detail(r));
    assert.doesNotMatch(r.stdout, /the policy as committed in/);
  });

  test('args that name --config-rev are left as they are (no second --config-rev)', async () => {
    reset();
    const pr = pullRequest({ honest, attacker });
    for (const args of ['check --format github --config-rev HEAD', 'check --config-rev=HEAD']) {
      const r = await run({ workspace: pr.workspace, event: pr.event, inputs: { args } });
      assert.equal(r.code, 0, `${args}: ${detail(r)}`); // HEAD is the merge commit: the head's policy, as asked
    }
    assert.ok(attacker.requests.length > 0);
  });

  test('an unknown policy-from is a usage error', async () => {
    const pr = pullRequest({ honest, attacker });
    const r = await run({ workspace: pr.workspace, event: pr.event, inputs: { 'policy-from': 'pr' } });
    assert.equal(r.code, 2, detail(r));
    assert.match(r.stdout, /^::error title=asset-id::policy-from must be 'base' or 'head', not 'pr'/m);
  });

  test('outside a pull request: the checked-out commit (HEAD), not an edited work tree', async () => {
    reset();
    const pr = pullRequest({ honest, attacker });
    const ws = fresh('push');
    git(ws, 'clone', '-q', `file://${pr.origin}`, '.');
    // An earlier step (or a build script) rewrote the policy in the work tree.
    writeFileSync(join(ws, 'asset-id.yaml'), policy(attacker.url));
    writeFileSync(join(ws, 'catalog/evil.yaml'), system('evil', 'APM7777777'));
    const r = await run({ workspace: ws, event: { name: 'push', payload: { after: pr.baseSha } }, inputs: { args: 'check --format github' } });
    assert.equal(attacker.requests.length, 0, detail(r));
    assert.equal(r.code, 1, detail(r));
    assert.match(r.stdout, new RegExp(`the policy as committed in ${pr.baseSha} \\(the checked-out commit \\(HEAD\\)\\)`));
  });
});

describe('output:', () => {
  test('a symbolic link committed in the pull request is refused: nothing outside the workspace changes', async () => {
    reset();
    const outside = fresh('outside');
    const victim = join(outside, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    chmodSync(victim, 0o640);
    const pr = pullRequest({
      honest,
      attacker,
      head: {
        'asset-id.sarif': { symlink: victim },
        'dangling.sarif': { symlink: join(outside, 'new.txt') },
        'inside.sarif': { symlink: 'catalog/payments.yaml' },
        reports: { symlink: outside },
      },
    });
    const before = { victim: snapshot(victim), listing: listing(outside), payments: snapshot(join(pr.workspace, 'catalog/payments.yaml')) };
    for (const [output, why] of [
      ['asset-id.sarif', /is a symbolic link/],
      ['dangling.sarif', /is a symbolic link/],
      ['inside.sarif', /is a symbolic link/],
      ['reports/asset-id.sarif', /outside the workspace/],
      ['../asset-id.sarif', /outside the workspace/],
      [join(outside, 'abs.sarif'), /outside the workspace/],
      ['catalog', /is a symbolic link or not a regular file/],
      ['no-such-dir/x.sarif', /does not exist/],
    ]) {
      const r = await run({ workspace: pr.workspace, event: pr.event, inputs: { args: 'check --format sarif', output } });
      assert.deepEqual(snapshot(victim), before.victim, `${output}: the file outside the workspace changed`);
      assert.deepEqual(listing(outside), before.listing, `${output}: a file appeared outside the workspace`);
      assert.deepEqual(snapshot(join(pr.workspace, 'catalog/payments.yaml')), before.payments, `${output}: written through the link`);
      assert.equal(readlinkSync(join(pr.workspace, 'asset-id.sarif')), victim, 'the link stays a link');
      assert.equal(r.code, 2, `${output}: ${detail(r)}`);
      assert.equal(r.outputs['exit-code'], '2', output);
      assert.match(r.stdout, new RegExp(`^::error title=asset-id::output: .*${why.source}`, 'm'), `${output}: ${detail(r)}`);
      assert.deepEqual(listing(pr.workspace).filter(f => f.startsWith('.asset-id-output')), []);
    }
    // Refused before anything ran: no CMDB was asked.
    assert.equal(honest.requests.length + attacker.requests.length, 0);
  });

  test('a normal path is written (a new file, or one replaced), with the exit status kept', async () => {
    reset();
    const pr = pullRequest({ honest, attacker, head: { 'reports/old.json': 'old\n' } });
    for (const output of ['reports/old.json', 'reports/new.json', 'asset-id.json', join(pr.workspace, 'abs.json')]) {
      const r = await run({ workspace: pr.workspace, event: pr.event, inputs: { args: 'check --format json', output } });
      assert.equal(r.code, 1, `${output}: ${detail(r)}`); // APM7777777 is not in the base policy's CMDB
      assert.equal(r.outputs['exit-code'], '1');
      const path = resolve(pr.workspace, output);
      const st = lstatSync(path);
      assert.ok(st.isFile(), output);
      assert.equal(st.mode & 0o777, 0o666 & ~process.umask(), `${output}: mode ${(st.mode & 0o777).toString(8)}`);
      const report = JSON.parse(readFileSync(path, 'utf8'));
      assert.deepEqual(
        report.findings.map(f => [f.file, f.code]),
        [['catalog/evil.yaml', 'not_found']],
        output,
      );
      assert.deepEqual(readdirSync(dirname(path)).filter(f => f.startsWith('.asset-id-output')), [], 'no temporary file left');
    }
    // From a working-directory, a relative output is relative to it.
    const r = await run({ workspace: pr.workspace, event: pr.event, inputs: { args: 'check --format json', output: 'here.json', 'working-directory': 'reports' } });
    assert.ok(statSync(join(pr.workspace, 'reports', 'here.json')).isFile(), detail(r));
    assert.equal(attacker.requests.length, 0);
  });

  test('a clean run exits 0 with the report written', async () => {
    reset();
    const pr = pullRequest({ honest, attacker, head: { 'catalog/evil.yaml': system('evil', 'APM0001234') } });
    const r = await run({ workspace: pr.workspace, event: pr.event, inputs: { args: 'check --format sarif', output: 'asset-id.sarif' } });
    assert.equal(r.code, 0, detail(r));
    assert.equal(r.outputs['exit-code'], '0');
    assert.equal(JSON.parse(readFileSync(join(pr.workspace, 'asset-id.sarif'), 'utf8')).version, '2.1.0');
  });
});

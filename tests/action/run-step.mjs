// Runs one step of action.yml the way the GitHub runner runs a composite action's `shell: bash` step:
// the step's `env:` and `working-directory:` with their ${{ }} expressions evaluated (inputs with the
// action's defaults, github.event from the event file, runner.temp), then the `run:` script, unchanged, with
// `bash --noprofile --norc -eo pipefail {0}` and the variables the runner sets (GITHUB_WORKSPACE,
// GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP, ...).
//
// The expression evaluator covers the GitHub expression syntax the action's steps use (literals, property
// paths, !, ==, !=, &&, ||, parentheses, format()); anything else throws, so a new expression in action.yml
// fails the test until it is understood here.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// ACTION_YML: another action.yml through the same cases (e.g. `git show HEAD~3:action.yml > /tmp/old.yml`).
export const ACTION = parse(readFileSync(process.env.ACTION_YML ?? join(REPO, 'action.yml'), 'utf8'));

/** The step named `name` of action.yml's composite steps. */
export function actionStep(name) {
  const step = ACTION.runs.steps.find(s => s.name === name);
  if (!step) throw new Error(`action.yml has no step named '${name}'`);
  return step;
}

// ---- GitHub expressions -------------------------------------------------------------------------------

function tokenize(src) {
  const tokens = [];
  const re = /\s+|'((?:[^']|'')*)'|(-?\d+(?:\.\d+)?)\b|(==|!=|&&|\|\||[!(),])|([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)/y;
  let m;
  re.lastIndex = 0;
  while (re.lastIndex < src.length) {
    const at = re.lastIndex;
    if (!(m = re.exec(src))) throw new Error(`expression: cannot read '${src.slice(at)}' in '${src}'`);
    if (m[1] !== undefined) tokens.push({ t: 'lit', v: m[1].replace(/''/g, "'") });
    else if (m[2] !== undefined) tokens.push({ t: 'lit', v: Number(m[2]) });
    else if (m[3] !== undefined) tokens.push({ t: m[3] });
    else if (m[4] !== undefined) tokens.push({ t: 'id', v: m[4] });
  }
  return tokens;
}

const truthy = v => !(v === false || v === null || v === undefined || v === '' || v === 0);
function looseEqual(a, b) {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if ((a ?? null) === null && (b ?? null) === null) return true;
  if (typeof a === 'string' || typeof b === 'string') return String(a ?? '').toLowerCase() === String(b ?? '').toLowerCase();
  return a === b;
}

/** Evaluate one GitHub expression (the text inside ${{ }}) against `ctx`. */
export function evaluate(src, ctx) {
  const tokens = tokenize(src);
  let i = 0;
  const peek = () => tokens[i]?.t;
  const take = t => {
    if (peek() !== t) throw new Error(`expression: expected ${t} in '${src}'`);
    return tokens[i++];
  };
  const lookup = path => {
    let v = ctx;
    for (const key of path.split('.')) {
      if (v === null || typeof v !== 'object') return null;
      v = Object.prototype.hasOwnProperty.call(v, key) ? v[key] : null;
    }
    return v ?? null;
  };
  const functions = {
    format: (fmt, ...args) => String(fmt).replace(/\{(\d+)\}/g, (_, n) => String(args[Number(n)] ?? '')),
  };
  function primary() {
    const tok = tokens[i++];
    if (!tok) throw new Error(`expression: unexpected end of '${src}'`);
    if (tok.t === 'lit') return tok.v;
    if (tok.t === '(') {
      const v = or();
      take(')');
      return v;
    }
    if (tok.t === 'id') {
      if (tok.v === 'true') return true;
      if (tok.v === 'false') return false;
      if (tok.v === 'null') return null;
      if (peek() === '(') {
        const fn = functions[tok.v];
        if (!fn) throw new Error(`expression: function ${tok.v}() is not emulated`);
        take('(');
        const args = [];
        if (peek() !== ')') {
          args.push(or());
          while (peek() === ',') {
            take(',');
            args.push(or());
          }
        }
        take(')');
        return fn(...args);
      }
      return lookup(tok.v);
    }
    throw new Error(`expression: unexpected '${tok.t}' in '${src}'`);
  }
  function unary() {
    if (peek() === '!') {
      take('!');
      return !truthy(unary());
    }
    return primary();
  }
  function equality() {
    let v = unary();
    while (peek() === '==' || peek() === '!=') {
      const op = tokens[i++].t;
      const r = unary();
      v = op === '==' ? looseEqual(v, r) : !looseEqual(v, r);
    }
    return v;
  }
  function and() {
    let v = equality();
    while (peek() === '&&') {
      take('&&');
      const r = equality();
      v = truthy(v) ? r : v;
    }
    return v;
  }
  function or() {
    let v = and();
    while (peek() === '||') {
      take('||');
      const r = and();
      v = truthy(v) ? v : r;
    }
    return v;
  }
  const v = or();
  if (i !== tokens.length) throw new Error(`expression: trailing tokens in '${src}'`);
  return v;
}

/** A string with ${{ }} expressions replaced, as the runner does for `env:`, `with:` and `working-directory:`. */
export function interpolate(text, ctx) {
  return String(text).replace(/\$\{\{(.*?)\}\}/gs, (_, expr) => {
    const v = evaluate(expr.trim(), ctx);
    return v === null || v === undefined ? '' : String(v);
  });
}

// ---- running the steps -------------------------------------------------------------------------------

/**
 * A job's runner for this action: RUNNER_TEMP, the event file and the expression context.
 *   workspace    GITHUB_WORKSPACE (the checkout)
 *   event        { name, payload }: GITHUB_EVENT_NAME and the JSON written to GITHUB_EVENT_PATH
 *   inputs       the `with:` of the workflow (the action's defaults fill the rest)
 *   env          the workflow step's `env:` (e.g. ASSET_ID_TOKEN)
 *   github       more of the github context: action_ref (e.g. 'v0.2.0', a branch or a sha; '' by default, as
 *                composite actions often see it), action_repository, server_url, action_path
 *   runner       { os, arch }: runner.os (Linux, macOS, Windows) and runner.arch (X64, ARM64)
 */
function prepare({ workspace, event = { name: 'push', payload: {} }, inputs = {}, env = {}, github = {}, runner = {} }) {
  const runnerTemp = mkdtempSync(join(tmpdir(), 'asset-id-runner-'));
  const eventPath = join(runnerTemp, 'event.json');
  writeFileSync(eventPath, JSON.stringify(event.payload, null, 2));
  const stepSummary = join(runnerTemp, 'step_summary');
  writeFileSync(stepSummary, '');
  const allInputs = {};
  for (const [name, spec] of Object.entries(ACTION.inputs ?? {})) allInputs[name] = String(spec.default ?? '');
  for (const [name, value] of Object.entries(inputs)) {
    if (!(name in allInputs)) throw new Error(`action.yml has no input '${name}'`);
    allInputs[name] = String(value);
  }
  const ctx = {
    inputs: allInputs,
    github: {
      event: event.payload,
      event_name: event.name,
      workspace,
      action_path: REPO,
      action_ref: '',
      action_repository: '',
      server_url: 'https://github.com',
      ...github,
    },
    runner: { temp: runnerTemp, os: 'Linux', arch: 'X64', ...runner },
    steps: {},
    env,
  };
  const home = join(runnerTemp, 'home');
  mkdirSync(home);
  return { ctx, runnerTemp, eventPath, stepSummary, home, workspace, event, env, cleanup: () => rmSync(runnerTemp, { recursive: true, force: true }) };
}

/** Run one `shell: bash` step of action.yml in the job `job` (from prepare()); its outputs go to ctx.steps[id]. */
async function execStep(job, s) {
  const { ctx, runnerTemp, workspace, event, env } = job;
  if (s.shell !== 'bash') throw new Error(`step '${s.name}': shell is ${s.shell}, the harness runs bash`);
  const stepEnv = {};
  for (const [k, v] of Object.entries(s.env ?? {})) stepEnv[k] = interpolate(v, ctx);
  const cwd = resolve(workspace, interpolate(s['working-directory'] ?? '.', ctx));
  const script = join(runnerTemp, 'step.sh');
  // The runner writes the script as it is: `run:` must hold no ${{ }} (checked by a test; it would be a
  // script injection), so nothing is substituted here.
  writeFileSync(script, s.run);
  const githubOutput = join(runnerTemp, 'github_output');
  writeFileSync(githubOutput, '');
  const childEnv = {
    PATH: process.env.PATH,
    HOME: job.home,
    LANG: 'C.UTF-8',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: job.eventPath,
    GITHUB_OUTPUT: githubOutput,
    GITHUB_STEP_SUMMARY: job.stepSummary,
    GITHUB_SERVER_URL: ctx.github.server_url,
    GITHUB_ACTION_PATH: ctx.github.action_path,
    RUNNER_TEMP: runnerTemp,
    RUNNER_OS: ctx.runner.os,
    RUNNER_ARCH: ctx.runner.arch,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    ...env,
    ...stepEnv,
  };
  const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd, env: childEnv });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', d => (stdout += d));
  child.stderr.on('data', d => (stderr += d));
  const code = await new Promise((res, rej) => {
    child.on('error', rej);
    child.on('close', c => res(c));
  });
  const outputs = {};
  for (const line of readFileSync(githubOutput, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) outputs[line.slice(0, eq)] = line.slice(eq + 1);
  }
  if (s.id) ctx.steps[s.id] = { outputs, conclusion: code === 0 ? 'success' : 'failure' };
  return { code, stdout, stderr, outputs, env: stepEnv, cwd };
}

/**
 * Run action.yml's "Run asset-id" step (see prepare() for the arguments).
 * Resolves to { code, stdout, stderr, outputs: {name: value}, summary, env (the step's, evaluated), cwd }; RUNNER_TEMP is removed.
 */
export async function runStep({ step = 'Run asset-id', ...options }) {
  const s = actionStep(step);
  const job = prepare(options);
  try {
    const r = await execStep(job, s);
    return { ...r, summary: readFileSync(job.stepSummary, 'utf8') };
  } finally {
    job.cleanup();
  }
}

/**
 * Run every step of action.yml in order, as the runner runs a composite action: a step runs when its `if:`
 * (evaluated with the outputs of the steps before it) is true, and the action stops at the first step that
 * fails. `uses:` steps and any step named in `standIns` run as the stand-in says instead:
 * standIns[name] = async ({ env, ctx }) => ({ code?, outputs? }) with the step's `env:`/`with:` evaluated.
 * Resolves to { code, steps: [{ name, ran, code, stdout, stderr, outputs }], outputs (the action's), summary,
 * runnerTemp }; RUNNER_TEMP is removed afterwards unless `keep` is set.
 */
export async function runAction({ standIns = {}, keep = false, ...options }) {
  const job = prepare(options);
  const steps = [];
  let code = 0;
  try {
    for (const s of ACTION.runs.steps) {
      const cond = s.if === undefined ? true : truthy(evaluate(String(s.if).replace(/^\$\{\{(.*)\}\}$/s, '$1').trim(), job.ctx));
      if (!cond) {
        steps.push({ name: s.name, ran: false });
        continue;
      }
      let r;
      const standIn = standIns[s.name];
      if (standIn || s.uses) {
        if (!standIn) throw new Error(`step '${s.name}' uses ${s.uses}: the harness needs a stand-in for it`);
        const env = {};
        for (const [k, v] of Object.entries({ ...(s.env ?? {}), ...(s.with ?? {}) })) env[k] = interpolate(v, job.ctx);
        const got = (await standIn({ env, ctx: job.ctx })) ?? {};
        r = { code: got.code ?? 0, stdout: '', stderr: '', outputs: got.outputs ?? {} };
        if (s.id) job.ctx.steps[s.id] = { outputs: r.outputs, conclusion: r.code === 0 ? 'success' : 'failure' };
      } else {
        r = await execStep(job, s);
      }
      steps.push({ name: s.name, ran: true, ...r });
      if (r.code !== 0) {
        code = r.code;
        break;
      }
    }
    const outputs = {};
    for (const [name, spec] of Object.entries(ACTION.outputs ?? {})) outputs[name] = interpolate(spec.value, job.ctx);
    return { code, steps, outputs, summary: readFileSync(job.stepSummary, 'utf8'), runnerTemp: job.runnerTemp };
  } finally {
    if (!keep) job.cleanup();
  }
}

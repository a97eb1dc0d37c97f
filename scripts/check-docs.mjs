#!/usr/bin/env node
// `make test-docs`: the repository is self-contained.
//
//  1. No tracked file refers to a path outside the repository: the sibling folder "shared" next to the
//     checkout, the machine's work folder, a home directory (Linux, macOS, root's, Windows). The patterns
//     are below (written so that this file does not match them). Lockfiles and binary files are skipped.
//  2. Every relative link in a tracked Markdown file resolves: to a tracked file or a folder holding
//     tracked files, inside the repository, and, for `#fragment`s into Markdown, to a heading (GitHub's
//     anchor rules) or an explicit `id`/`name` anchor.
//
// Prints one line per problem (`path:line: message`) and exits 1 when there is any.
// `checkRepository(root)` is the same check as a function (scripts/check-docs.test.mjs tests it).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const LOCKFILES = new Set(['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'Cargo.lock']);

/** Patterns of references to paths outside the repository, each with what to say about it. */
const OUTSIDE = [
  { re: /\.\.\/shared\b/, what: 'a sibling folder outside the repository' },
  { re: /(?:^|[^\w.-])\/work\//, what: "the machine's work folder" },
  { re: /(?:^|[^\w.-])\/home\/[A-Za-z0-9._-]+\//, what: 'a home directory' },
  { re: /(?:^|[^\w.-])\/Users\/[A-Za-z0-9._-]+\//, what: 'a home directory' },
  { re: /(?:^|[^\w.-])\/root\//, what: "root's home directory" },
  { re: /\b[A-Za-z]:\\Users\\/, what: 'a home directory' },
];

function isBinary(buf) {
  return buf.subarray(0, 8192).includes(0);
}

/** GitHub's anchor for a heading: rendered text, lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading) {
  const text = heading
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1') // images
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // links
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/[`*_~]/g, ch => (ch === '_' ? '_' : '')); // code and emphasis markers (GitHub keeps '_')
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Lines of a Markdown file outside fenced code blocks, with their 1-based numbers. */
function proseLines(text) {
  const out = [];
  let fence = null;
  text.split('\n').forEach((line, i) => {
    const m = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length && /^\s*(`+|~+)\s*$/.test(line)) fence = null;
      return;
    }
    if (m) {
      fence = m[1];
      return;
    }
    out.push({ raw: line, line: line.replace(/(`+)[\s\S]*?\1/g, ''), n: i + 1 }); // inline code is not a link
  });
  return out;
}

/** The anchors a Markdown file offers: heading slugs (duplicates numbered) and explicit id/name. */
export function anchors(text) {
  const seen = new Map();
  const set = new Set();
  for (const { raw } of proseLines(text)) {
    const h = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(raw);
    if (h) {
      const base = slug(h[1]);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      set.add(count === 0 ? base : `${base}-${count}`);
    }
  }
  for (const m of text.matchAll(/<[a-z][^>]*\s(?:id|name)=["']([^"']+)["']/gi)) set.add(m[1]);
  return set;
}

/** Link targets in a Markdown file: inline links and images, reference definitions, HTML href/src. */
export function links(text) {
  const out = [];
  for (const { line, n } of proseLines(text)) {
    for (const m of line.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g)) {
      out.push({ target: m[1].replace(/^<|>$/g, ''), n });
    }
    const ref = /^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/.exec(line);
    if (ref) out.push({ target: ref[1].replace(/^<|>$/g, ''), n });
    for (const m of line.matchAll(/<(?:a|img|source)\s[^>]*\b(?:href|src)=["']([^"']+)["']/gi)) {
      out.push({ target: m[1], n });
    }
  }
  return out;
}

function trackedFiles(root) {
  const out = execFileSync('git', ['-C', root, 'ls-files', '-z'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return out.split('\0').filter(Boolean);
}

/** Every problem in the repository at `root`, as `{ file, line, message }` (file relative to root). */
export function checkRepository(root) {
  root = resolve(root);
  const files = trackedFiles(root);
  const tracked = new Set(files);
  const trackedDirs = new Set();
  for (const f of files) {
    for (let d = posix.dirname(f); d !== '.'; d = posix.dirname(d)) trackedDirs.add(d);
  }
  const problems = [];
  const texts = new Map();
  const read = file => {
    if (!texts.has(file)) {
      const path = join(root, file);
      let buf = null;
      try {
        if (statSync(path).isFile()) buf = readFileSync(path);
      } catch {
        buf = null;
      }
      texts.set(file, buf && !isBinary(buf) ? buf.toString('utf8') : null);
    }
    return texts.get(file);
  };

  for (const file of files) {
    if (LOCKFILES.has(posix.basename(file))) continue;
    const text = read(file);
    if (text === null) continue; // binary, or deleted from the work tree
    text.split('\n').forEach((line, i) => {
      for (const { re, what } of OUTSIDE) {
        const m = re.exec(line);
        if (m) problems.push({ file, line: i + 1, message: `refers to ${what}: ${m[0].trim()}` });
      }
    });

    if (!/\.(md|markdown)$/i.test(file)) continue;
    for (const { target, n } of links(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // URL, mailto:, ...
      const hash = target.indexOf('#');
      const rawPath = hash === -1 ? target : target.slice(0, hash);
      const fragment = hash === -1 ? '' : target.slice(hash + 1);
      let pathPart;
      try {
        pathPart = decodeURIComponent(rawPath.split('?')[0]);
      } catch {
        problems.push({ file, line: n, message: `link '${target}' is not a valid URL path` });
        continue;
      }
      let rel = file;
      if (pathPart !== '') {
        const abs = pathPart.startsWith('/') ? join(root, pathPart) : resolve(root, dirname(file), pathPart);
        rel = relative(root, abs).split(sep).join('/');
        if (rel === '..' || rel.startsWith('../') || resolve(root, rel) !== abs.replace(/\/+$/, '')) {
          problems.push({ file, line: n, message: `link '${target}' points outside the repository` });
          continue;
        }
        const clean = rel.replace(/\/+$/, '');
        if (!(clean === '' || tracked.has(clean) || trackedDirs.has(clean))) {
          const why = existsSync(abs) ? 'is not tracked by git' : 'does not exist';
          problems.push({ file, line: n, message: `link '${target}': ${clean || '.'} ${why}` });
          continue;
        }
        rel = clean;
      }
      if (fragment !== '' && /\.(md|markdown)$/i.test(rel)) {
        const t = read(rel);
        let wanted = fragment;
        try {
          wanted = decodeURIComponent(fragment);
        } catch {
          // keep it as written
        }
        if (t !== null && !anchors(t).has(wanted.toLowerCase()) && !anchors(t).has(wanted)) {
          problems.push({ file, line: n, message: `link '${target}': ${rel} has no heading or anchor '#${fragment}'` });
        }
      }
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const problems = checkRepository(root);
  for (const p of problems) console.error(`${p.file}:${p.line}: ${p.message}`);
  const count = trackedFiles(root).length;
  if (problems.length) {
    console.error(`check-docs: ${problems.length} problem(s) in ${count} tracked files`);
    process.exit(1);
  }
  console.log(`check-docs: ${count} tracked files, no path outside the repository, every Markdown link resolves`);
}

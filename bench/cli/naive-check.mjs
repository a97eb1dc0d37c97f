// The same job as `asset-id check`, written the straightforward way in Node: walk, js-yaml loadAll,
// RegExp + string methods for the format, Luhn, a Map for the registry. Used as the baseline in
// bench/cli/check-bench.sh. Usage: node naive-check.mjs DIR [--offline]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';

const [dir, flag] = process.argv.slice(2);
const offline = flag === '--offline';
const schemes = [
  { name: 'business-app', re: /^(?:APM\d{7})$/ },
  { name: 'business-service', re: /^(?:BSN\d{7})$/ },
  { name: 'legacy-asset', re: /^(?:AST\d{7})$/, luhn: true },
];
const normalize = (s) => s.trim().toUpperCase().replace(/\s+/g, '').replace(/[-\u2010-\u2015\u2212]/g, '');
function luhn(v) {
  const digits = [...v].map((c) => (/[0-9]/.test(c) ? c : String(c.charCodeAt(0) - 55))).join('');
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return sum % 10 === 0;
}
const registry = new Map();
if (!offline) {
  const [header, ...rows] = readFileSync(join(dir, 'assets.csv'), 'utf8').trim().split(/\r?\n/);
  const cols = header.split(',');
  for (const row of rows) {
    const rec = Object.fromEntries(row.split(',').map((v, i) => [cols[i], v]));
    registry.set(rec.id, rec);
  }
}
let files = 0, checked = 0, errors = 0;
for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !/\.ya?ml$/i.test(entry.name)) continue;
  const path = join(entry.parentPath ?? entry.path, entry.name);
  files++;
  let docs;
  try { docs = yaml.loadAll(readFileSync(path, 'utf8')); } catch { errors++; continue; }
  for (const doc of docs) {
    if (!doc || typeof doc.apiVersion !== 'string' || !doc.apiVersion.startsWith('backstage.io/')) continue;
    if (String(doc.kind).toLowerCase() !== 'system') continue;
    checked++;
    const value = doc.metadata?.annotations?.['example.com/asset-id'];
    if (typeof value !== 'string' || !value.trim()) { errors++; continue; }
    const v = normalize(value);
    const scheme = schemes.find((s) => s.re.test(v));
    if (!scheme || (scheme.luhn && !luhn(v))) { errors++; continue; }
    if (!offline) {
      const rec = registry.get(v);
      if (!rec || rec.install_status === '7' || rec.status === 'retired') errors++;
    }
  }
}
process.stdout.write(`${files} files, ${checked} checked, ${errors} errors\n`);
process.exit(errors ? 1 : 0);

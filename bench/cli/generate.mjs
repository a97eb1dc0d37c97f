// Generate a systems repository with N catalog files (default 10,000) for bench/cli/check-bench.sh.
// Usage: node generate.mjs DIR [N]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, nArg] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: node generate.mjs DIR [N]\n');
  process.exit(2);
}
const n = Number(nArg ?? 10000);
// Every System gets its own ID. 1 in 10 is missing from the registry, 1 in 50 is retired,
// 1 in 25 is malformed, 1 in 7 is written in lower case with a hyphen (valid after normalization).
const idFor = (i) => {
  const id = `APM${String(i).padStart(7, '0')}`;
  if (i % 25 === 24) return `APM${i}-x`;
  if (i % 7 === 3) return `apm-${id.slice(3)}`;
  return id;
};
mkdirSync(dir, { recursive: true });
const csv = ['id,name,status,owner,install_status'];
for (let i = 0; i < n; i++) {
  if (i % 10 === 9) continue;
  const retired = i % 50 === 0;
  csv.push(`APM${String(i).padStart(7, '0')},System ${i},${retired ? 'retired' : 'operational'},team-${i % 37},${retired ? 7 : 1}`);
}
writeFileSync(join(dir, 'assets.csv'), csv.join('\n') + '\n');
writeFileSync(join(dir, 'asset-id.yaml'), `schemes:
  - name: business-app
    pattern: 'APM\\d{7}'
    normalize: [trim, uppercase, strip-whitespace, strip-hyphens]
  - name: business-service
    pattern: 'BSN\\d{7}'
    normalize: [trim, uppercase, strip-whitespace, strip-hyphens]
  - name: legacy-asset
    pattern: 'AST\\d{7}'
    normalize: [trim, uppercase, strip-whitespace, strip-hyphens]
    checksum: luhn
lookup:
  source: registry
  registry:
    path: assets.csv
catalog:
  annotation: example.com/asset-id
`);
for (let i = 0; i < n; i++) {
  const sub = join(dir, 'systems', `team-${String(Math.floor(i / 100)).padStart(3, '0')}`, `system-${i}`);
  mkdirSync(sub, { recursive: true });
  const id = idFor(i);
  writeFileSync(join(sub, 'catalog-info.yaml'), `# System ${i}
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: system-${i}
  description: Generated system number ${i} for the asset-id benchmark
  tags: [generated, bench]
  annotations:
    example.com/asset-id: "${id}"
    backstage.io/techdocs-ref: dir:.
spec:
  owner: team-${i % 37}
  domain: commerce
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: system-${i}-api
spec:
  type: service
  lifecycle: production
  owner: team-${i % 37}
  system: system-${i}
`);
}
process.stdout.write(`generated ${n} catalog files in ${dir}\n`);

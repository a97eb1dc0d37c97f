// `make demo`: start examples/backstage-app (backend :7007 + frontend :3000) and keep it running until
// Ctrl-C, which stops the whole process group. The app must be installed (make app-install).
// DEMO_APP=app-legacy serves the legacy-frontend-system app (packages/app-legacy) instead of packages/app.
import { BACKEND, FRONTEND, startApp } from './e2e-app-lib.mjs';

const frontend = process.env.DEMO_APP ?? 'app';
if (!['app', 'app-legacy'].includes(frontend)) {
  console.error(`demo: DEMO_APP must be app or app-legacy, not ${JSON.stringify(frontend)}`);
  process.exit(2);
}
console.log(`demo: starting examples/backstage-app (yarn start ${frontend} backend); the first start takes about a minute`);
const app = await startApp({ log: true, timeoutMs: 600_000, packages: [frontend, 'backend'] });
console.log(`
demo: ready (packages/${frontend})
  form:     ${FRONTEND}/create/templates/default/asset-id-system   (guest sign-in: Enter)
  catalog:  ${FRONTEND}/catalog?filters[kind]=system   (each System's page has the asset card)
  backend:  ${BACKEND}
  Ctrl-C stops it.
`);
const stop = async () => { await app.stop(); process.exit(0); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
app.child.once('exit', code => { console.error(`demo: yarn start exited (${code})`); process.exit(code ?? 1); });

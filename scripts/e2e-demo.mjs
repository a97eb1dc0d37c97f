// `make demo`: start examples/backstage-app (backend :7007 + frontend :3000) and keep it running until
// Ctrl-C, which stops the whole process group. The app must be installed (make app-install).
import { BACKEND, FRONTEND, startApp } from './e2e-app-lib.mjs';

console.log('demo: starting examples/backstage-app (yarn start); the first start takes about a minute');
const app = await startApp({ log: true, timeoutMs: 600_000 });
console.log(`
demo: ready
  form:     ${FRONTEND}/create/templates/default/asset-id-system   (guest sign-in: Enter)
  catalog:  ${FRONTEND}/catalog?filters[kind]=system
  backend:  ${BACKEND}
  Ctrl-C stops it.
`);
const stop = async () => { await app.stop(); process.exit(0); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
app.child.once('exit', code => { console.error(`demo: yarn start exited (${code})`); process.exit(code ?? 1); });

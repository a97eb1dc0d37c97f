// `npm run demo`: the scaffolder form of examples/templates/asset-id-system on http://localhost:3000
import { PAGE_URL, PLUGIN_PATH, BACKEND_PORT, startDemo } from './demo-lib.mjs';

let demo;
try {
  demo = await startDemo({ log: true });
} catch (error) {
  console.error(`\nasset-id demo could not start:\n${error.message}`);
  process.exit(1);
}
console.log(`\nasset-id demo ready: ${PAGE_URL}`);
console.log(`  asset-id backend stand-in at http://127.0.0.1:${BACKEND_PORT}${PLUGIN_PATH} (/v1/policy, /v1/validate)`);
console.log('  try APM0001234, " apm-000 1234 ", APM12, APM9999999, APM0000042, AST0001239, AST0001238');
console.log('  Ctrl-C to stop');
const shutdown = async () => {
  await demo.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
demo.child.on('exit', code => {
  console.error(`dev server exited (${code})`);
  demo.backend.close().then(() => process.exit(code ?? 1));
});

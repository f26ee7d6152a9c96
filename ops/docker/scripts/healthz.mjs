// HEALTHCHECK of the Node-based images (no curl in them): GET http://HOST:PORT/PATH answers 2xx.
//   node healthz.mjs PORT_VAR PATH [HOST_VAR]
// PORT_VAR / HOST_VAR name the environment variables the process listens by, so the check
// follows the configuration; a wildcard host (0.0.0.0, ::) is reached on loopback.
const [portVar = 'PORT', path = '/healthz', hostVar = 'HOST'] = process.argv.slice(2);
const port = process.env[portVar];
let host = process.env[hostVar] || '127.0.0.1';
if (host === '0.0.0.0' || host === '::') host = '127.0.0.1';
if (host.includes(':')) host = `[${host}]`;
if (!port) {
  console.error(`healthz: ${portVar} is not set`);
  process.exit(1);
}
try {
  const res = await fetch(`http://${host}:${port}${path}`, { signal: AbortSignal.timeout(4000) });
  if (!res.ok) console.error(`healthz: ${path} answered ${res.status}`);
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`healthz: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

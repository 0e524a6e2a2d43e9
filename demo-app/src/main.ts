// Standalone start of the demo DUO app (default http://localhost:3200).
//
// Environment (all optional):
//   DEMO_ISSUER              gateway issuer            (http://localhost:3000/oidc)
//   DEMO_CLIENT_ID           client id at the gateway  (demo-app)
//   DEMO_CLIENT_SECRET       client secret, or else read from
//   DEMO_CLIENT_SECRET_FILE  (certs/demo-app.secret, the file the gateway's dev config names)
//   DEMO_BASE_URL            where browsers reach this app (http://localhost:3200)
//   DEMO_HOST / DEMO_PORT    listen address            (127.0.0.1 / 3200)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startDemoApp } from './app.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

function secret(): string {
  if (process.env.DEMO_CLIENT_SECRET) return process.env.DEMO_CLIENT_SECRET;
  const file = path.resolve(ROOT, process.env.DEMO_CLIENT_SECRET_FILE ?? 'certs/demo-app.secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new Error(`demo-app: no client secret; set DEMO_CLIENT_SECRET or create ${file} (npm start generates it)`);
  }
}

async function main(): Promise<void> {
  const port = Number(process.env.DEMO_PORT ?? 3200);
  const baseUrl = (process.env.DEMO_BASE_URL ?? `http://localhost:${port}`).replace(/\/$/, '');
  const app = await startDemoApp({
    issuer: process.env.DEMO_ISSUER ?? 'http://localhost:3000/oidc',
    clientId: process.env.DEMO_CLIENT_ID ?? 'demo-app',
    clientSecret: secret(),
    redirectUri: `${baseUrl}/callback`,
    baseUrl,
    host: process.env.DEMO_HOST ?? '127.0.0.1',
    port,
  });
  console.log(`Demo DUO-applicatie: ${baseUrl} (listening on ${app.url})`);
  const stop = (): void => {
    void app.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

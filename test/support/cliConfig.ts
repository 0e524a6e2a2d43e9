// A throw-away configuration for tests that run the mijnduo command: dev keys, PGlite and the
// mail outbox in a temp directory that is removed afterwards.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../gateway/src/config.ts';

export interface CliConfig {
  tmp: string;
  cfg: Config;
}

/** Made before the tests of the calling `describe`, removed after them. */
export function cliTestConfig(prefix: string): CliConfig {
  const c = {} as CliConfig;
  before(async () => {
    c.tmp = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    c.cfg = loadConfig({
      env: { NODE_ENV: 'test' },
      overrides: {
        keys: { dir: path.join(c.tmp, 'certs'), generateDevKeys: true },
        stores: { pgliteDir: path.join(c.tmp, 'pglite') },
        mail: { outboxDir: path.join(c.tmp, 'outbox') },
      },
    });
  });
  after(async () => {
    await fs.rm(c.tmp, { recursive: true, force: true });
  });
  return c;
}

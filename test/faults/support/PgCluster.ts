// A throwaway PostgreSQL cluster of the test's own (initdb into a temp dir, pg_ctl on a free
// loopback port), so a test can stop and restart a real server without touching the shared
// one. As root it runs the server tools as the `postgres` user (PostgreSQL refuses root).
// pg_ctl -w does the waiting: it returns once the server accepts connections, or fails.
import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { closedPort } from '../../contract/support/TcpProxy.ts';

const run = promisify(execFile);

/** Directory with initdb and pg_ctl, or null when this machine has none. */
export function postgresBinDir(): string | null {
  const candidates: string[] = [];
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(path.join(base, v, 'bin'));
  }
  candidates.push(...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean));
  return candidates.find((d) => existsSync(path.join(d, 'initdb')) && existsSync(path.join(d, 'pg_ctl'))) ?? null;
}

async function postgresUser(): Promise<{ uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** True when a throwaway cluster can be made here (binaries, and a postgres user when root). */
export function canRunPgCluster(): boolean {
  if (!postgresBinDir()) return false;
  if (process.getuid?.() !== 0) return true;
  return existsSync('/usr/sbin/runuser') || existsSync('/sbin/runuser') || existsSync('/usr/bin/runuser');
}

export class PgCluster {
  private running = false;

  private constructor(
    private readonly bin: string,
    readonly dir: string,
    readonly port: number,
    private readonly asPostgres: boolean,
  ) {}

  static async create(): Promise<PgCluster> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('no PostgreSQL server binaries');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mijnduo-pg-'));
    const owner = await postgresUser();
    if (owner) await chown(dir, owner.uid, owner.gid);
    const cluster = new PgCluster(bin, dir, await closedPort(), owner !== null);
    await cluster.tool('initdb', ['-D', path.join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
    await cluster.start();
    return cluster;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
    await this.tool('pg_ctl', ['-D', path.join(this.dir, 'data'), '-l', path.join(this.dir, 'server.log'), '-o', opts, '-w', '-t', '30', 'start']);
    this.running = true;
  }

  /** A clean, fast stop: every connection is terminated, new ones are refused. */
  async stop(): Promise<void> {
    if (!this.running) return;
    await this.tool('pg_ctl', ['-D', path.join(this.dir, 'data'), '-m', 'fast', '-w', '-t', '30', 'stop']);
    this.running = false;
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  private async tool(name: string, args: string[]): Promise<void> {
    const exe = path.join(this.bin, name);
    const [cmd, argv] = this.asPostgres ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
    try {
      await run(cmd as string, argv as string[], { cwd: this.dir, timeout: 60_000 });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${name} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
  }
}

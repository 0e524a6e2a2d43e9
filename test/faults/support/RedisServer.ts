// A redis-server of the test's own, on a free loopback port with its data in a temp dir and
// AOF on (appendfsync always, as the docs advise for lockouts), so a test can kill and
// restart it without touching the shared Redis. Waits only on real conditions: the process
// answering PING, the process having exited.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { closedPort } from '../../contract/support/TcpProxy.ts';

/** True when a redis-server binary is on the PATH. */
export function haveRedisServer(): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && existsSync(path.join(d, 'redis-server')));
}

/** One PING over a fresh connection: resolves true on +PONG, false on anything else. */
export function pingRedis(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      data += d.toString('utf8');
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}

export class RedisServer {
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private log = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  static async start(): Promise<RedisServer> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mijnduo-redis-'));
    const server = new RedisServer(await closedPort(), dir);
    await server.run();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  /** Start (again) on the same port and data directory. */
  async run(): Promise<void> {
    this.log = '';
    const proc = spawn(
      'redis-server',
      [
        '--port', String(this.port),
        '--bind', '127.0.0.1',
        '--save', '',
        '--appendonly', 'yes',
        '--appendfsync', 'always',
        '--dir', this.dir,
        '--maxmemory-policy', 'noeviction',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc = proc;
    this.exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    // Wait for the server's own "ready" line (it has loaded the AOF by then), bounded.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server on ${this.port} did not get ready:\n${this.log}`)), 10_000);
      const onData = (d: Buffer): void => {
        this.log = (this.log + d.toString('utf8')).slice(-20_000);
        if (/Ready to accept connections/.test(this.log)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited at start:\n${this.log}`));
      });
    });
    if (!(await pingRedis(this.port))) throw new Error(`redis-server on ${this.port} does not answer PING`);
  }

  /** A crash: SIGKILL, no shutdown save. What survives is what the AOF had. */
  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    p.kill('SIGKILL');
    await this.exited;
  }

  async destroy(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}

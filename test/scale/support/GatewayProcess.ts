// A gateway in a child process of its own (node --import tsx gatewayChild.ts): started, asked
// over IPC, stopped with SIGTERM. Waits only on events (the child's message, its exit).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../gateway/src/config.ts';
import type { ChildSpec } from './gatewayChild.ts';

const ENTRY = path.join(import.meta.dirname, 'gatewayChild.ts');

export class GatewayProcess {
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stderr = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
    readonly opsUrl: string | null,
    exited: Promise<number | null>,
  ) {
    this.exited = exited;
    child.on('message', (raw) => {
      const msg = raw as { id?: number; ok?: boolean; result?: unknown; error?: string };
      if (typeof msg.id !== 'number') return;
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (msg.ok) p?.resolve(msg.result);
      else p?.reject(new Error(msg.error ?? 'child command failed'));
    });
  }

  /** Starts a child and resolves once it listens (or rejects with its stderr when it dies first). */
  static start(spec: ChildSpec, opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<GatewayProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...opts.env, MIJNDUO_CHILD_SPEC: JSON.stringify(spec) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      if (stderr.length > 100_000) stderr = stderr.slice(-50_000);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`gateway child did not start within ${opts.timeoutMs ?? 60_000} ms\n${stderr}`));
      }, opts.timeoutMs ?? 60_000);
      const onMessage = (raw: unknown): void => {
        const msg = raw as { type?: string; url?: string; opsUrl?: string | null };
        if (msg.type !== 'listening' || !msg.url) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        const gp = new GatewayProcess(child, msg.url, msg.opsUrl ?? null, exited);
        gp.stderr = stderr;
        child.stderr!.on('data', (d: Buffer) => {
          gp.stderr = (gp.stderr + d.toString('utf8')).slice(-50_000);
        });
        resolve(gp);
      };
      child.on('message', onMessage);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`gateway child exited (${code}) before listening\n${stderr}`));
      });
    });
  }

  get output(): string {
    return this.stderr;
  }

  /** One test command over IPC. */
  ask<T>(cmd: Record<string, unknown>): Promise<T> {
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...cmd, id });
    });
  }

  /** SIGTERM (graceful stop) and the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

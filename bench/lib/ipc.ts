// A tiny request/response protocol over a child process's IPC channel, so the bench can ask
// a child (gateway, bare provider, mock broker) for numbers — memory after a forced GC, CPU
// time, a refresh token — without sharing its event loop. One module for both ends.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export type Handler = (args: Record<string, unknown>) => Promise<unknown> | unknown;

interface Request {
  id: number;
  cmd: string;
  args: Record<string, unknown>;
}
interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** Child side: answer the parent's commands; `ready` is sent once, with what the parent needs. */
export function serveParent(handlers: Record<string, Handler>, ready: Record<string, unknown>): void {
  if (!process.send) throw new Error('bench child started without an IPC channel');
  process.on('message', (msg: Request) => {
    const handler = handlers[msg.cmd];
    const reply = (r: Omit<Reply, 'id'>): void => {
      process.send?.({ id: msg.id, ...r });
    };
    if (!handler) {
      reply({ ok: false, error: `unknown command ${msg.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(msg.args ?? {}))
      .then(
        (result) => reply({ ok: true, result }),
        (err: unknown) => reply({ ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }),
      );
  });
  // The parent going away ends the child: never an orphan holding a port.
  process.on('disconnect', () => process.exit(0));
  process.send({ id: 0, ok: true, result: ready });
}

export interface Child {
  readonly process: ChildProcess;
  readonly info: Record<string, unknown>;
  call<T = unknown>(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Ask it to stop (command 'stop'), then wait for the exit; SIGKILL after a grace period. */
  stop(): Promise<void>;
}

export interface StartChildOptions {
  /** Extra node flags, e.g. --expose-gc, --cpu-prof. */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Where the child's stdout goes (logs): 'ignore' (default) or 'inherit'. */
  stdout?: 'ignore' | 'inherit';
  startTimeoutMs?: number;
}

/** Start `script` (a .ts file) under tsx with an IPC channel and wait for its ready message. */
export async function startChild(script: string, opts: StartChildOptions = {}): Promise<Child> {
  const child = fork(path.resolve(script), [], {
    execArgv: ['--import', 'tsx', ...(opts.execArgv ?? [])],
    env: opts.env ?? process.env,
    stdio: ['ignore', opts.stdout ?? 'ignore', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`${path.basename(script)} exited`));
    }
    pending.clear();
    resolve();
  }));

  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${opts.startTimeoutMs ?? 60_000} ms`)), opts.startTimeoutMs ?? 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready`));
    });
    child.on('message', (msg: Reply) => {
      if (msg.id === 0) {
        clearTimeout(timer);
        if (msg.ok) resolve(msg.result as Record<string, unknown>);
        else reject(new Error(msg.error));
        return;
      }
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.error));
    });
  });

  return {
    process: child,
    info,
    call<T>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<T> {
      if (exited) return Promise.reject(new Error(`${path.basename(script)} has exited`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${cmd}: no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
        child.send({ id, cmd, args } satisfies Request);
      });
    },
    async stop() {
      if (exited) return;
      const grace = setTimeout(() => child.kill('SIGKILL'), 15_000);
      try {
        child.send({ id: nextId++, cmd: 'stop', args: {} } satisfies Request);
      } catch {
        child.kill('SIGTERM');
      }
      await exit;
      clearTimeout(grace);
    },
  };
}

/** What children report about themselves. */
export interface ProcessStats {
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  /** User + system CPU time since the process started, ms. */
  cpuMs: number;
  gc: boolean;
}

const MB = 1024 * 1024;

/** Memory (after a forced full GC when the process runs with --expose-gc) and CPU time. */
export function processStats(forceGc: boolean): ProcessStats {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (forceGc && gc) {
    // Twice: the first pass can leave objects whose finalizers free more.
    gc();
    gc();
  }
  const m = process.memoryUsage();
  const c = process.cpuUsage();
  return {
    rssMb: m.rss / MB,
    heapUsedMb: m.heapUsed / MB,
    heapTotalMb: m.heapTotal / MB,
    externalMb: m.external / MB,
    arrayBuffersMb: m.arrayBuffers / MB,
    cpuMs: (c.user + c.system) / 1000,
    gc: Boolean(forceGc && gc),
  };
}

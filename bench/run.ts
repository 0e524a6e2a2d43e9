// npm run bench — speed of the gateway on loopback, in one run:
//   1. ACS: artifact logins per second (startLogin + resolve over mutual TLS + verify + decrypt +
//      checks), against the crypto floor of the same run (bare node:crypto, same keys).
//   2. Full login (authorize → gateway → broker → artifact → tokens) at concurrency 1, 16, 64:
//      logins/s, p50/p95/p99, the gateway's memory before and after (after a forced GC).
//   3. Token endpoint (refresh_token grant): the gateway against a bare oidc-provider with the
//      same configuration, in the same run.
// The gateway, the bare provider and the mock broker each run in a child process of their own;
// this process only generates load and measures. Everything listens on 127.0.0.1.
// Stores: Redis / PostgreSQL when REDIS_URL / DATABASE_URL are set, embedded otherwise.
// Knobs (env, see docs/performance.md): BENCH_LOGINS (full logins in part 2, default 400),
// BENCH_ACS_LOGINS (200), BENCH_ACS_CONCURRENCY (8), BENCH_TOKEN_SECONDS (per round and side,
// 2.5), BENCH_TOKEN_ROUNDS (4), BENCH_TOKEN_WARMUP_SECONDS (8, per side), BENCH_TOKEN_CONCURRENCY (16), BENCH_PERSONAS (32),
// BENCH_LOG_LEVEL (the gateway's, default info), BENCH_PARTS (default "acs,login,token"),
// BENCH_GATEWAY_NODE_OPTIONS (extra node flags for the gateway), BENCH_CPU_PROF=1 (a
// .cpuprofile of the gateway, the bare provider and the mock broker; summarise with bench/cpuprofile-summary.ts).
// A bench is not a test: it always exits 0 once it has printed, marking missed targets.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PROJECT_ROOT } from '../gateway/src/config.ts';
import { ensureDevKeys } from '../gateway/src/keys/DevKeys.ts';
import { countLoginCrypto, measureCryptoFloor, type FloorResult } from './lib/cryptoFloor.ts';
import { request } from './lib/http.ts';
import { startChild, type Child, type ProcessStats } from './lib/ipc.ts';
import { freePort, runLoad, summary, type LoadResult } from './lib/load.ts';
import * as login from './lib/login.ts';
import { BENCH_CLIENT, newClientSecret, storeNames } from './lib/shared.ts';

const env = process.env;
const num = (name: string, dflt: number): number => {
  const v = Number(env[name]);
  return Number.isFinite(v) && v > 0 ? v : dflt;
};
const CFG = {
  logins: Math.round(num('BENCH_LOGINS', 400)),
  acsLogins: Math.round(num('BENCH_ACS_LOGINS', 200)),
  acsConcurrency: Math.round(num('BENCH_ACS_CONCURRENCY', 8)),
  tokenSeconds: num('BENCH_TOKEN_SECONDS', 2.5),
  tokenRounds: Math.round(num('BENCH_TOKEN_ROUNDS', 4)),
  tokenWarmupSeconds: num('BENCH_TOKEN_WARMUP_SECONDS', 8),
  tokenConcurrency: Math.round(num('BENCH_TOKEN_CONCURRENCY', 16)),
  personas: Math.round(num('BENCH_PERSONAS', 32)),
  logLevel: env.BENCH_LOG_LEVEL ?? 'info',
  cpuProf: env.BENCH_CPU_PROF === '1',
  parts: new Set((env.BENCH_PARTS ?? 'acs,login,token').split(',').map((p) => p.trim())),
  gatewayNodeOptions: (env.BENCH_GATEWAY_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean),
};
const TARGET = { acsRatio: 0.6, p99At16Ms: 100, tokenRatio: 0.9 };

type GatewayStats = ProcessStats & { kvEntries: number | null };

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f0 = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '–');
const pct = (r: number): string => `${(r * 100).toFixed(1)} %`;
const mark = (ok: boolean): string => (ok ? 'ok' : 'BELOW TARGET');
const progress = (msg: string): void => {
  process.stderr.write(`  … ${msg}\n`);
};

/** Failed requests, for the report: a failure is a finding too (e.g. a 504 under overload). */
const failures: string[] = [];

function failIf(r: LoadResult, what: string): void {
  if (r.errors > 0) {
    const first = (r.firstError ?? '').replace(/<!doctype[\s\S]*?<title>([^<]*)<\/title>[\s\S]*/i, '"$1"').slice(0, 160);
    failures.push(`${what}: ${r.errors} of ${r.errors + r.count} failed; first: ${first}`);
    process.stderr.write(`  ! ${what}: ${r.errors} failed (first: ${r.firstError})\n`);
  }
  if (r.count === 0) throw new Error(`${what}: nothing succeeded (${r.firstError})`);
}

/** Run `job` for every item with `concurrency` workers; results in order. */
async function forEachConcurrent<T, R>(items: T[], concurrency: number, job: (item: T) => Promise<R>): Promise<{ results: (R | undefined)[]; load: LoadResult }> {
  const results: (R | undefined)[] = new Array(items.length);
  const load = await runLoad({
    concurrency,
    total: items.length,
    job: async (i) => {
      results[i] = await job(items[i]!);
    },
  });
  return { results, load };
}

async function gatewayStats(gw: Child, gc: boolean): Promise<GatewayStats> {
  return gw.call<GatewayStats>('stats', { gc });
}

// ---- part 1: ACS ------------------------------------------------------------------------
interface AcsResult {
  floor: FloorResult;
  start: LoadResult;
  startCpuMs: number;
  acs: LoadResult;
  acsCpuMs: number;
  /** startLogin + ACS, one after the other on the gateway: logins per second. */
  loginsPerSecond: number;
  ratio: number;
}

async function benchAcs(ctx: login.LoginContext, gw: Child, mock: Child, spEntityId: string): Promise<AcsResult> {
  const n = CFG.acsLogins;
  // What one login asks of the keys, counted from a real answer of this run's mock broker.
  const count = countLoginCrypto(await mock.call<string | null>('lastResponseXml'), spEntityId);
  progress(`crypto floor (${count.signatures} signatures, ${count.verifications} verifications, ${count.decryptions} RSA-OAEP decryptions per login)`);
  const floor = measureCryptoFloor(count, { certsDir: path.join(PROJECT_ROOT, 'certs') });

  progress(`ACS: ${n} interactions opened, login page shown (untimed)`);
  await mock.call('presets', { count: n });
  const opened = await forEachConcurrent(Array.from({ length: n }, (_, i) => i), CFG.acsConcurrency, async () => {
    const l = await login.authorize(ctx);
    return { l, page: await login.openLoginPage(l) };
  });
  failIf(opened.load, 'authorize + login page');
  const logins = opened.results.filter((x): x is { l: login.StartedLogin; page: login.LoginPage } => !!x);
  if (logins.some((x) => x.page.kind === 'broker')) process.stderr.write('  ! this gateway has no login page: startLogin was part of the untimed step\n');

  progress('ACS: "Log in met eHerkenning" → AuthnRequest (timed)');
  let cpu0 = (await gatewayStats(gw, false)).cpuMs;
  const started = await forEachConcurrent(logins, CFG.acsConcurrency, (x) => login.startAtGateway(x.l, x.page));
  const startCpuMs = ((await gatewayStats(gw, false)).cpuMs - cpu0) / Math.max(1, started.load.count);
  failIf(started.load, 'startLogin');

  progress('ACS: at the broker (untimed)');
  const pairs = logins.map((x, i) => ({ l: x.l, sso: started.results[i] })).filter((p) => !!p.sso);
  const atBroker = await forEachConcurrent(pairs, CFG.acsConcurrency, (p) => login.atBroker(p.l, p.sso!));
  failIf(atBroker.load, 'broker SSO');
  const legs = pairs.map((p, i) => ({ l: p.l, leg: atBroker.results[i] })).filter((p) => !!p.leg);

  progress('ACS: artifacts to /saml/acs (timed)');
  cpu0 = (await gatewayStats(gw, false)).cpuMs;
  const acs = await forEachConcurrent(legs, CFG.acsConcurrency, (p) => login.acs(p.l, p.leg!));
  const acsCpuMs = ((await gatewayStats(gw, false)).cpuMs - cpu0) / Math.max(1, acs.load.count);
  failIf(acs.load, 'ACS');

  const loginsPerSecond = 1 / (1 / started.load.perSecond + 1 / acs.load.perSecond);
  return { floor, start: started.load, startCpuMs, acs: acs.load, acsCpuMs, loginsPerSecond, ratio: loginsPerSecond / floor.loginsPerSecond };
}

// ---- part 2: full login -----------------------------------------------------------------
interface LevelResult {
  concurrency: number;
  load: LoadResult;
  rssBeforeMb: number;
  rssAfterMb: number;
  cpuMsPerLogin: number;
  /** CPU per login of the other two processes on the same two cores. */
  mockCpuMsPerLogin: number;
  driverCpuMsPerLogin: number;
}

/** Full logins that succeeded over all levels of part 2. */
function loginsDone(full: { levels: LevelResult[] }): number {
  return full.levels.reduce((a, l) => a + l.load.count, 0);
}

async function benchFullLogin(
  ctx: login.LoginContext,
  gw: Child,
  mock: Child,
): Promise<{ levels: LevelResult[]; before: GatewayStats; after: GatewayStats; checkpoints: Array<{ logins: number; stats: GatewayStats }> }> {
  const shares: Array<[number, number]> = [
    [1, 0.1],
    [16, 0.45],
    [64, 0.45],
  ];
  const before = await gatewayStats(gw, true);
  const levels: LevelResult[] = [];
  // Heap after a forced GC after each level: growth that flattens out is warm-up, growth that
  // keeps pace with the logins is retention.
  const checkpoints: Array<{ logins: number; stats: GatewayStats }> = [{ logins: 0, stats: before }];
  let done = 0;
  for (const [concurrency, share] of shares) {
    const total = Math.max(concurrency, Math.round(CFG.logins * share));
    progress(`full login: ${total} at concurrency ${concurrency}`);
    await mock.call('presets', { count: total });
    const s0 = await gatewayStats(gw, false);
    const m0 = (await mock.call<ProcessStats>('stats')).cpuMs;
    const d0 = process.cpuUsage();
    const load = await runLoad({ concurrency, total, job: () => login.fullLogin(ctx) });
    const d1 = process.cpuUsage(d0);
    const m1 = (await mock.call<ProcessStats>('stats')).cpuMs;
    const s1 = await gatewayStats(gw, false);
    failIf(load, `full login at ${concurrency}`);
    await mock.call('clearPresets');
    const per = (ms: number): number => ms / Math.max(1, load.count);
    levels.push({
      concurrency,
      load,
      rssBeforeMb: s0.rssMb,
      rssAfterMb: s1.rssMb,
      cpuMsPerLogin: per(s1.cpuMs - s0.cpuMs),
      mockCpuMsPerLogin: per(m1 - m0),
      driverCpuMsPerLogin: per((d1.user + d1.system) / 1000),
    });
    done += load.count;
    checkpoints.push({ logins: done, stats: await gatewayStats(gw, true) });
  }
  const after = checkpoints[checkpoints.length - 1]!.stats;
  return { levels, before, after, checkpoints };
}

// ---- part 3: token endpoint -------------------------------------------------------------
async function tokenJob(baseUrl: string, refreshToken: string, secret: string): Promise<void> {
  const url = new URL(`${baseUrl}/oidc/token`);
  const res = await request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      authorization: login.basicAuth(BENCH_CLIENT.client_id, secret),
    },
    body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(refreshToken)}`,
  });
  if (res.status !== 200 || !res.body.includes('"id_token"')) throw new Error(`token: ${res.status} ${res.body.slice(0, 200)}`);
}

interface TokenRound {
  gateway: number;
  bare: number;
}

interface TokenSide {
  count: number;
  ms: number;
  latencies: number[];
  errors: number;
  /** CPU time of the serving process (user + system) during the timed rounds. */
  cpuMs: number;
}

async function benchToken(
  gw: Child,
  bare: Child,
  secret: string,
  gatewayLogins: number,
): Promise<{ gateway: TokenSide; bare: TokenSide; rounds: TokenRound[]; bareLogins: number }> {
  // The same history on both sides: the gateway has served `gatewayLogins` logins by now, and
  // its oidc-provider code (authorization, interactions, sessions, codes, tokens) was compiled
  // for all of them; a bare provider that had only ever answered refresh tokens would be in a
  // state no production provider is in. A control: in the sixth round it moved the ratio by
  // less than the noise, so the gap is not the bare side's narrower history.
  progress(`token endpoint: ${gatewayLogins} logins at the bare provider, as the gateway has had`);
  const bareCtx: login.LoginContext = { gatewayUrl: String(bare.info.url), clientSecret: secret };
  const bareWarm = await runLoad({ concurrency: 4, total: gatewayLogins, job: () => login.bareLogin(bareCtx) });
  failIf(bareWarm, 'logins at the bare provider');
  const sides = {
    gateway: { child: gw, url: String(gw.info.url), token: await gw.call<string>('mintRefreshToken') },
    bare: { child: bare, url: String(bare.info.url), token: await bare.call<string>('mintRefreshToken') },
  };
  const acc: Record<'gateway' | 'bare', TokenSide> = {
    gateway: { count: 0, ms: 0, latencies: [], errors: 0, cpuMs: 0 },
    bare: { count: 0, ms: 0, latencies: [], errors: 0, cpuMs: 0 },
  };
  for (const side of ['bare', 'gateway'] as const) {
    const s = sides[side];
    // Long enough for both sides' JIT to settle: after 300 requests the bare provider's cost per
    // refresh still moved by up to 14 % over the next 30 s (sixth round).
    const warm = await runLoad({ concurrency: CFG.tokenConcurrency, durationMs: CFG.tokenWarmupSeconds * 1000, job: () => tokenJob(s.url, s.token, secret) });
    failIf(warm, `token warm-up (${side})`);
    // The gateway comes from the login parts: without this, the garbage of hundreds of logins
    // would be collected during the token rounds and charged to its token endpoint.
    await s.child.call('stats', { gc: true });
  }
  // Alternate the two, so a disturbance on this shared machine hits both alike.
  const rounds: TokenRound[] = [];
  for (let round = 0; round < CFG.tokenRounds; round++) {
    const thisRound: TokenRound = { gateway: 0, bare: 0 };
    rounds.push(thisRound);
    for (const side of round % 2 === 0 ? (['bare', 'gateway'] as const) : (['gateway', 'bare'] as const)) {
      progress(`token endpoint: ${side}, round ${round + 1}/${CFG.tokenRounds}`);
      const s = sides[side];
      const cpu0 = (await s.child.call<ProcessStats>('stats')).cpuMs;
      const r = await runLoad({ concurrency: CFG.tokenConcurrency, durationMs: CFG.tokenSeconds * 1000, job: () => tokenJob(s.url, s.token, secret) });
      acc[side].cpuMs += (await s.child.call<ProcessStats>('stats')).cpuMs - cpu0;
      failIf(r, `token endpoint (${side})`);
      acc[side].count += r.count;
      acc[side].ms += r.wallMs;
      acc[side].errors += r.errors;
      acc[side].latencies.push(...r.latencies);
      thisRound[side] = r.perSecond;
    }
  }
  return { ...acc, rounds, bareLogins: bareWarm.count };
}

// ---- report -----------------------------------------------------------------------------
function report(r: {
  stores: { kv: string; sql: string };
  acs: AcsResult | null;
  full: Awaited<ReturnType<typeof benchFullLogin>> | null;
  token: Awaited<ReturnType<typeof benchToken>> | null;
  startedAt: number;
  loadBefore: number[];
}): void {
  const cpus = os.cpus();
  const { acs, full, token } = r;
  out('');
  out('Mijn DUO eHerkenning gateway — npm run bench');
  out(`machine   ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, Node ${process.version}, load average before ${r.loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
  out(`stores    KeyValue: ${r.stores.kv}; accounts: ${r.stores.sql}`);
  out(`gateway   own process, log level ${CFG.logLevel} (to /dev/null); mock broker and bare provider in processes of their own; all on 127.0.0.1`);
  if (acs) reportAcs(acs);
  if (full) reportFull(full);
  if (token) reportToken(token);
  if (failures.length) {
    out('');
    out('failed requests (not counted in the rates):');
    for (const f of failures) out(`   ${f}`);
  }
  out('');
  out(`done in ${((performance.now() - r.startedAt) / 1000).toFixed(0)} s; load average after ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

function reportAcs(acs: AcsResult): void {
  const fl = acs.floor;
  out('');
  out('1. ACS — artifact logins (startLogin + resolve over mutual TLS + verify + decrypt + checks)');
  out(
    `   crypto floor   ${fl.count.signatures} sign × ${fl.signMs.toFixed(2)} ms + ${fl.count.verifications} verify × ${fl.verifyMs.toFixed(2)} ms + ` +
      `${fl.count.decryptions} RSA-OAEP+AES × ${fl.decryptMs.toFixed(2)} ms = ${fl.perLoginMs.toFixed(2)} ms CPU/login → ${f0(fl.loginsPerSecond)} logins/s (one core)`,
  );
  out(`   startLogin     ${f0(acs.start.perSecond).padStart(6)} /s   gateway CPU ${acs.startCpuMs.toFixed(1)} ms each   (${acs.start.count} at concurrency ${CFG.acsConcurrency})`);
  out(`   ACS            ${f0(acs.acs.perSecond).padStart(6)} /s   gateway CPU ${acs.acsCpuMs.toFixed(1)} ms each   (${acs.acs.count} at concurrency ${CFG.acsConcurrency}; p50 ${f1(summary(acs.acs.latencies).p50)} ms)`);
  out(`   together       ${f0(acs.loginsPerSecond).padStart(6)} logins/s   gateway CPU ${(acs.startCpuMs + acs.acsCpuMs).toFixed(1)} ms/login vs floor ${fl.perLoginMs.toFixed(1)} ms`);
  out(`   ratio to floor ${pct(acs.ratio).padStart(6)}        target ≥ ${pct(TARGET.acsRatio)}   ${mark(acs.ratio >= TARGET.acsRatio)}`);
  out(`   (CPU-time view, robust on a shared machine: floor / gateway CPU per login = ${pct(fl.perLoginMs / (acs.startCpuMs + acs.acsCpuMs))})`);
}

function reportFull(full: Awaited<ReturnType<typeof benchFullLogin>>): void {
  out('');
  out('2. Full login — authorize → gateway → broker → artifact → tokens (already linked: no koppel step)');
  out('   concurrency   logins/s     p50      p95      p99  (ms)   errors   gateway CPU/login   RSS before → after');
  for (const l of full.levels) {
    const s = summary(l.load.latencies);
    const target = l.concurrency === 16 ? `   p99 target < ${TARGET.p99At16Ms} ms: ${mark(s.p99 < TARGET.p99At16Ms)}` : '';
    out(
      `   ${String(l.concurrency).padStart(11)}   ${f1(l.load.perSecond).padStart(8)}  ${f1(s.p50).padStart(6)}   ${f1(s.p95).padStart(6)}   ${f1(s.p99).padStart(6)}        ` +
        `${String(l.load.errors).padStart(6)}   ${l.cpuMsPerLogin.toFixed(1).padStart(10)} ms      ${f0(l.rssBeforeMb)} → ${f0(l.rssAfterMb)} MB${target}`,
    );
  }
  const cpu = full.levels[full.levels.length - 1];
  if (cpu) {
    const total = cpu.cpuMsPerLogin + cpu.mockCpuMsPerLogin + cpu.driverCpuMsPerLogin;
    out(
      `   CPU per login on the two shared cores (at concurrency ${cpu.concurrency}): gateway ${cpu.cpuMsPerLogin.toFixed(1)} ms + mock broker ` +
        `${cpu.mockCpuMsPerLogin.toFixed(1)} ms + load generator ${cpu.driverCpuMsPerLogin.toFixed(1)} ms = ${total.toFixed(1)} ms → at most ` +
        `${f0((2 * 1000) / total)} logins/s on 2 cores, and at most ${f0(1000 / cpu.cpuMsPerLogin)} for the (single-threaded) gateway`,
    );
    // Little's law: N in flight = throughput × mean latency, and throughput ≤ 1000 / CPU per login.
    out(
      `   so with 16 logins in flight the mean latency is at least 16 × ${cpu.cpuMsPerLogin.toFixed(1)} ms = ${f0(16 * cpu.cpuMsPerLogin)} ms ` +
        `(Little's law); p99 < ${TARGET.p99At16Ms} ms at 16 needs < ${(TARGET.p99At16Ms / 16).toFixed(1)} ms of gateway CPU per login`,
    );
  }
  const logins = loginsDone(full);
  const b = full.before;
  const a = full.after;
  out(
    `   memory after a forced GC (--expose-gc), before → after ${logins} logins: RSS ${f0(b.rssMb)} → ${f0(a.rssMb)} MB, ` +
      `heap ${f1(b.heapUsedMb)} → ${f1(a.heapUsedMb)} MB (${(((a.heapUsedMb - b.heapUsedMb) * 1024) / Math.max(1, logins)).toFixed(2)} KB/login), ` +
      `external ${f0(b.externalMb)} → ${f0(a.externalMb)} MB`,
  );
  out(
    `   heap after GC at each step: ${full.checkpoints.map((c) => `${c.logins} logins ${f1(c.stats.heapUsedMb)} MB`).join(' → ')}; ` +
      `RSS ${full.checkpoints.map((c) => f0(c.stats.rssMb)).join(' → ')} MB`,
  );
  if (a.kvEntries !== null) {
    out(
      `   (in-memory KeyValue store: ${b.kvEntries} → ${a.kvEntries} live entries — sessions and grants are kept for their TTL (8 h), ` +
        `so heap grows with logins by design; with REDIS_URL they live in Redis)`,
    );
  }
}

function reportToken(token: Awaited<ReturnType<typeof benchToken>>): void {
  out('');
  out(`3. Token endpoint — refresh_token grant (offline_access, confidential client), concurrency ${CFG.tokenConcurrency}, ${CFG.tokenRounds} × ${CFG.tokenSeconds} s each, alternating`);
  const side = (name: string, t: TokenSide): number => {
    const s = summary(t.latencies);
    const rps = (t.count / t.ms) * 1000;
    out(
      `   ${name.padEnd(22)} ${f0(rps).padStart(6)} req/s   p50 ${f1(s.p50)} ms   p99 ${f1(s.p99)} ms   errors ${t.errors}   ` +
        `CPU ${(t.cpuMs / Math.max(1, t.count)).toFixed(2)} ms/request`,
    );
    return rps;
  };
  out(`   both sides had served ${token.bareLogins} full logins (authorize → interaction → code → tokens) before these rounds`);
  const bareRps = side('bare oidc-provider', token.bare);
  const gwRps = side('through the gateway', token.gateway);
  const ratio = gwRps / bareRps;
  out(`   ratio                  ${pct(ratio).padStart(6)}         target ≥ ${pct(TARGET.tokenRatio)}   ${mark(ratio >= TARGET.tokenRatio)}`);
  out(`   per round (gateway/bare, run back to back): ${token.rounds.map((r) => pct(r.gateway / r.bare)).join(', ')}`);
  const cpuRatio = token.bare.cpuMs / Math.max(1, token.bare.count) / (token.gateway.cpuMs / Math.max(1, token.gateway.count));
  out(`   (CPU-time view, robust on a shared machine: bare / gateway CPU per request = ${pct(cpuRatio)})`);
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const loadBefore = os.loadavg();
  const stores = storeNames();
  process.stderr.write(`bench: stores — KeyValue: ${stores.kv}; accounts: ${stores.sql}\n`);
  await ensureDevKeys(path.join(PROJECT_ROOT, 'certs'));

  const secret = newClientSecret();
  const gatewayPort = await freePort();
  const childEnv = {
    ...env,
    BENCH_GATEWAY_PORT: String(gatewayPort),
    BENCH_CLIENT_SECRET: secret,
    BENCH_PERSONAS: String(CFG.personas),
    BENCH_LOG_LEVEL: CFG.logLevel,
  };
  const children: Child[] = [];
  try {
    progress('starting the mock broker, the gateway and the bare provider');
    const profDir = CFG.cpuProf ? mkdtempSync(path.join(os.tmpdir(), 'mijnduo-bench-prof-')) : null;
    // The mock broker shares the two cores: its profile shows what the full-login part pays for it.
    const mock = await startChild(path.join(PROJECT_ROOT, 'bench/mockChild.ts'), {
      env: childEnv,
      ...(profDir ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${path.join(profDir, 'mock')}`] } : {}),
    });
    children.push(mock);
    const gw = await startChild(path.join(PROJECT_ROOT, 'bench/gatewayChild.ts'), {
      env: { ...childEnv, BENCH_BROKER_ENTITY_ID: String(mock.info.entityId), BENCH_BROKER_METADATA_URL: String(mock.info.metadataUrl) },
      execArgv: ['--expose-gc', ...CFG.gatewayNodeOptions, ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profDir, 'gateway')}`] : [])],
    });
    children.push(gw);
    // Profiled too, so the token endpoint's two sides can be compared function by function.
    const bare = await startChild(path.join(PROJECT_ROOT, 'bench/bareProviderChild.ts'), {
      env: childEnv,
      execArgv: ['--expose-gc', ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profDir, 'bare')}`] : [])],
    });
    children.push(bare);

    const ctx: login.LoginContext = { gatewayUrl: String(gw.info.url), clientSecret: secret };
    progress('warm-up: 40 full logins');
    await mock.call('presets', { count: 40 });
    const warm = await runLoad({ concurrency: 4, total: 40, job: () => login.fullLogin(ctx) });
    failIf(warm, 'warm-up');

    const acs = CFG.parts.has('acs') ? await benchAcs(ctx, gw, mock, String(gw.info.spEntityId)) : null;
    const full = CFG.parts.has('login') ? await benchFullLogin(ctx, gw, mock) : null;
    // Logins the gateway's oidc-provider has seen through to tokens (the ACS part stops at the ACS).
    const gatewayLogins = warm.count + (full ? loginsDone(full) : 0);
    const token = CFG.parts.has('token') ? await benchToken(gw, bare, secret, gatewayLogins) : null;
    report({ stores, acs, full, token, startedAt, loadBefore });
    if (profDir) out(`CPU profiles: ${profDir}/gateway, …/bare and …/mock (npx tsx bench/cpuprofile-summary.ts <file>)`);
  } finally {
    for (const c of children.reverse()) await c.stop().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);

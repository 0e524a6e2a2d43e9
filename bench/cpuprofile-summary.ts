// Sums self time per function and per file (package) from a V8 .cpuprofile, as written by
// `node --cpu-prof` (npm run bench with BENCH_CPU_PROF=1 writes one for the gateway).
// Usage: npx tsx bench/cpuprofile-summary.ts <file.cpuprofile> [top=25] [inclusive-filter]
// With a third argument (a substring of a file path, e.g. gateway/src), it also prints the
// inclusive time (self + everything called) of the matching functions: where the time goes.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** node_modules/<pkg> (or @scope/pkg), else the path under the project, else the URL. */
function fileKey(url: string): string {
  if (!url) return '(native / V8)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return `npm:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:')) return url;
  const root = url.indexOf('/work/main/');
  return root >= 0 ? url.slice(root + '/work/main/'.length) : url;
}

/** Inclusive time per function whose file matches `filter` (each sample counted once per function). */
export function inclusive(profile: Profile, filter: string): [string, number][] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const acc = new Map<string, number>();
  for (let i = 0; i < samples.length; i++) {
    const dt = deltas[i + 1] ?? 0;
    const seen = new Set<string>();
    for (let id: number | undefined = samples[i]; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id)!;
      const f = fileKey(n.callFrame.url);
      if (!f.includes(filter)) continue;
      const key = `${n.callFrame.functionName || '(anonymous)'}  ${f}:${n.callFrame.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      acc.set(key, (acc.get(key) ?? 0) + dt);
    }
  }
  return [...acc].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / 1000]);
}

export function summarise(profile: Profile): { totalMs: number; byFunction: [string, number][]; byFile: [string, number][] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // Each sample's time is the delta to the NEXT sample.
  for (let i = 0; i < samples.length; i++) {
    const dt = deltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + dt);
  }
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const f = fileKey(n.callFrame.url);
    const name = `${n.callFrame.functionName || '(anonymous)'}  ${f}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    file.set(f, (file.get(f) ?? 0) + us);
    total += us;
  }
  const sort = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / 1000]);
  return { totalMs: total / 1000, byFunction: sort(fn), byFile: sort(file) };
}

function main(): void {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: tsx bench/cpuprofile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  const top = Number(process.argv[3] ?? 25);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const s = summarise(profile);
  const idle = s.byFunction.find(([k]) => k.startsWith('(idle)'))?.[1] ?? 0;
  const pct = (ms: number): string => `${((ms / s.totalMs) * 100).toFixed(1).padStart(5)} %`;
  process.stdout.write(`sampled ${s.totalMs.toFixed(0)} ms, of which idle ${idle.toFixed(0)} ms (busy ${(s.totalMs - idle).toFixed(0)} ms)\n\nself time by file/package:\n`);
  for (const [k, ms] of s.byFile.slice(0, top)) process.stdout.write(`${ms.toFixed(0).padStart(8)} ms ${pct(ms)}  ${k}\n`);
  process.stdout.write(`\nself time by function:\n`);
  for (const [k, ms] of s.byFunction.slice(0, top)) process.stdout.write(`${ms.toFixed(0).padStart(8)} ms ${pct(ms)}  ${k}\n`);
  const filter = process.argv[4];
  if (filter) {
    process.stdout.write(`\ninclusive time of functions in ${filter}:\n`);
    for (const [k, ms] of inclusive(profile, filter).slice(0, top)) process.stdout.write(`${ms.toFixed(0).padStart(8)} ms ${pct(ms)}  ${k}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();

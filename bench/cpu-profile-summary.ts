/**
 * Prints the functions with the most self time in a V8 CPU profile (as `npm run bench -- --profile`
 * writes for each pgtrail process): `node dist/bench/cpu-profile-summary.js FILE.cpuprofile [TOP]`.
 */
import { readFileSync } from 'node:fs';

/** The parts of a .cpuprofile (Chrome DevTools Protocol Profiler.Profile) this summary reads. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One function's share of the profile. */
export interface HotSpot {
  readonly name: string;
  readonly selfMs: number;
  readonly selfShare: number;
  readonly totalMs: number;
}

/** Self and total (inclusive) time per function, most self time first. */
export function summariseCpuProfile(profile: CpuProfile, top: number): HotSpot[] {
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const nameOf = (id: number): string => {
    const f = byId.get(id)?.callFrame;
    if (!f) return '?';
    const file = f.url.replace(/^file:\/\//, '').replace(/^.*\/(dist|node_modules)\//, '$1/');
    return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
  };
  const inclusive = new Map<number, number>();
  const total = (id: number): number => {
    const known = inclusive.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    const sum = (selfUs.get(id) ?? 0) + (node?.children ?? []).reduce((n, c) => n + total(c), 0);
    inclusive.set(id, sum);
    return sum;
  };
  const selfByName = new Map<string, number>();
  const totalByName = new Map<string, number>();
  for (const node of profile.nodes) {
    const name = nameOf(node.id);
    selfByName.set(name, (selfByName.get(name) ?? 0) + (selfUs.get(node.id) ?? 0));
    // Recursive frames would double-count inclusive time; the largest instance is a fair lower bound.
    totalByName.set(name, Math.max(totalByName.get(name) ?? 0, total(node.id)));
  }
  const all = [...selfUs.values()].reduce((a, b) => a + b, 0) || 1;
  return [...selfByName.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({
      name,
      selfMs: us / 1000,
      selfShare: us / all,
      totalMs: (totalByName.get(name) ?? 0) / 1000,
    }));
}

if (process.argv[1]?.endsWith('cpu-profile-summary.js')) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: node dist/bench/cpu-profile-summary.js FILE.cpuprofile [TOP]\n');
    process.exitCode = 2;
  } else {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile; // V8 writes this shape
    for (const h of summariseCpuProfile(profile, Number(top ?? 30))) {
      process.stdout.write(
        `${(h.selfShare * 100).toFixed(1).padStart(5)}%  self ${h.selfMs.toFixed(0).padStart(6)} ms  total ${h.totalMs.toFixed(0).padStart(6)} ms  ${h.name}\n`,
      );
    }
  }
}

/**
 * How the services are started by `npm start` and the benchmarks: compiled once (`npm run build`,
 * dist/) and run with plain node, each with a 4 MB V8 young generation, which keeps its resident
 * memory low under load. The pid of the child is the service itself, so signals reach it directly.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../shared/paths';

// kafkajs arms timers with negative delays, which Node 24 warns about on every one (harmless: they fire at once)
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=4', '--disable-warning=TimeoutNegativeWarning'] as const;

/**
 * The projector's old generation is capped: its live set under bench:pipeline is ~30 MB, but V8 let
 * the heap grow past 100 MB of garbage before collecting (rss 210-300 MB); with the cap it stays
 * near 150 MB for ~15 % more CPU. The same flags are in package.json's `projector` script.
 */
const EXTRA_NODE_FLAGS: Partial<Record<string, readonly string[]>> = { projector: ['--max-old-space-size=160'] };

let built = false;

/** Compiles services/, shared/ and migrations/ into dist/ (once per process; about half a second). */
export function buildServices(): void {
  if (built) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status ?? r.signal})`);
  built = true;
}

/** node arguments that run a compiled service: `[...flags, dist/services/<name>/main.js]`. */
export function serviceArgs(name: string, flags: readonly string[] = []): string[] {
  return [...SERVICE_NODE_FLAGS, ...(EXTRA_NODE_FLAGS[name] ?? []), ...flags, path.join(ROOT, 'dist', 'services', name, 'main.js')];
}

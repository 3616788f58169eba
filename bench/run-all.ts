/**
 * `npm run bench`: runs every `bench:*` script of package.json, one after the other (the machine
 * is shared: never in parallel), and prints each benchmark's final JSON line again at the end.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const names = Object.keys(pkg.scripts).filter((s) => s.startsWith('bench:')).sort();
const results: string[] = [];
let failed = false;
for (const name of names) {
  console.error(`[bench] ${name}`);
  const r = spawnSync('npm', ['run', '-s', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const last = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !last) { failed = true; console.error(`[bench] ${name} failed (exit ${r.status})`); continue; }
  results.push(last);
}
for (const line of results) console.log(line);
process.exit(failed ? 1 : 0);

/**
 * `npm run bench` — runs every `bench:*` script of package.json, one after the other (they share
 * the machine's cores), and exits non-zero if any of them failed to run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const names = Object.keys(pkg.scripts).filter((s) => s.startsWith('bench:')).sort();
let failed = 0;
for (const name of names) {
  console.log(`[bench] npm run ${name}`);
  const res = spawnSync('npm', ['run', '--silent', name], { stdio: 'inherit' });
  if (res.status !== 0) {
    failed++;
    console.error(`[bench] ${name} exited ${res.status ?? res.signal}`);
  }
}
process.exit(failed ? 1 : 0);

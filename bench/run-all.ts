/**
 * `npm run bench`: runs every `bench:<name>` script of package.json, one after another (the
 * machine is shared: never in parallel), and exits non-zero when one fails to run.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
const names = Object.keys(pkg.scripts ?? {}).filter((s) => s.startsWith('bench:')).sort();
let failed = 0;
for (const name of names) {
  console.log(`\n=== ${name}`);
  const r = spawnSync('npm', ['run', '--silent', name], { stdio: 'inherit' });
  if (r.status !== 0) failed += 1;
}
console.log(`\n${names.length - failed}/${names.length} benchmarks ran`);
process.exit(failed === 0 ? 0 : 1);

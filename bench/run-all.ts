/** `npm run bench`: runs every `bench:*` script of package.json, one after the other. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
const names = Object.keys(pkg.scripts ?? {}).filter((s) => s.startsWith('bench:')).sort();
let failed = 0;
for (const name of names) {
  console.error(`\n=== npm run ${name}`);
  const r = spawnSync('npm', ['run', '--silent', name], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);

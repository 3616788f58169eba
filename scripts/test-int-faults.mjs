#!/usr/bin/env node
/**
 * `npm test`'s last step: the integration tests and the fault suite side by side. The integration
 * tests run one file at a time (jest's default on 2 cores) against the shared servers; the fault suite
 * spends most of its ~5 minutes waiting out the outages it makes on servers of its own, so running it
 * beside them keeps the whole `npm test` well under 20 minutes on this machine. The stack's downloads
 * are fetched first, so the two never download the same jars at once. The fault suite's lines are
 * prefixed `[faults]`; the exit code is non-zero when either fails.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const root = path.resolve(import.meta.dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

const fetched = spawnSync(bin('tsx'), [path.join(root, 'stack/stack.ts'), 'fetch'], { stdio: 'inherit', cwd: root });
if (fetched.status !== 0) process.exit(fetched.status ?? 1);

function run(label, args, prefix) {
  const started = Date.now();
  const child = spawn(bin('jest'), args, { cwd: root, stdio: prefix ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  if (prefix) {
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix} ${line}\n`));
    }
  }
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    const s = Math.round((Date.now() - started) / 1000);
    console.log(`[test] ${label}: ${code === 0 ? 'passed' : `FAILED (${signal ?? code})`} in ${s} s`);
    resolve(code === 0);
  }));
}

const results = await Promise.all([
  run('integration tests', ['--selectProjects', 'integration']),
  run('fault suite', ['--selectProjects', 'faults', '-i'], '[faults]'),
]);
process.exit(results.every(Boolean) ? 0 : 1);

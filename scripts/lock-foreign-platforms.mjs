#!/usr/bin/env node
/**
 * This machine's npm registry mirror lacks some other platforms' optional native binaries
 * (e.g. @swc/core-darwin-arm64). `npm install` then leaves them out of package-lock.json, and
 * `npm ci` rejects the lock ("Missing: ... from lock file"). This adds each missing optional
 * dependency as an optional entry limited to its own os/cpu, so npm ci skips it on other
 * platforms. Run after any `npm install`: `node scripts/lock-foreign-platforms.mjs`.
 */
import fs from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const pkgs = lock.packages;

const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openharmony', 'netbsd', 'openbsd', 'sunos', 'aix'];
const CPU = [['arm64', 'arm64'], ['aarch64', 'arm64'], ['x64', 'x64'], ['ia32', 'ia32'], ['ppc64', 'ppc64'], ['s390x', 's390x'],
  ['loong64', 'loong64'], ['riscv64', 'riscv64'], ['mips64el', 'mips64el'], ['arm', 'arm']];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = OS.find((o) => parts.includes(o));
  const cpu = CPU.find(([token]) => parts.some((p) => p === token || p.startsWith(token)))?.[1];
  return { os, cpu };
}

let added = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const base = path ? `${path}/node_modules/${dep}` : `node_modules/${dep}`;
    if (pkgs[base] || pkgs[`node_modules/${dep}`]) continue;
    const { os, cpu } = platformOf(dep);
    if (!os) continue; // not a platform binary: leave it for npm to report
    pkgs[`node_modules/${dep}`] = {
      version: version.replace(/^[\^~=]/, ''),
      ...(meta.dev ? { dev: true } : {}),
      optional: true,
      os: [os],
      ...(cpu ? { cpu: [cpu] } : {}),
    };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
fs.writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`package-lock.json: ${added} foreign-platform optional entries added`);

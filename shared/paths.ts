/**
 * The project's root directory (the one holding package.json), found from this file's location so
 * that it is the same whether the code runs from its TypeScript source (tsx, jest) or from the
 * compiled copy under dist/ (`npm run build`).
 */
import fs from 'node:fs';
import path from 'node:path';

export function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const ROOT = findRoot(__dirname);

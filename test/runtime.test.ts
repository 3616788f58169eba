/**
 * The project brings its own Node (scripts/runtime.mjs says how): the tests, and every process they or
 * npm scripts start with a bare `node`, run on the major of package.json's engines.node, whatever Node
 * the machine has.
 */
import { execFileSync } from 'node:child_process';
import pkg from '../package.json';

const wanted = Number(/\d+/.exec(pkg.engines.node)?.[0]);
const majorOf = (version: string): number => Number(version.replace(/^v/, '').split('.')[0]);

describe('runtime', () => {
  it('runs the tests on the Node major of engines.node', () => {
    expect(wanted).toBeGreaterThanOrEqual(24);
    expect(majorOf(process.version)).toBe(wanted);
  });

  it('gives a bare `node` on PATH (npm scripts, services, child processes) the same Node', () => {
    const child = execFileSync('node', ['-p', 'process.version'], { encoding: 'utf8' }).trim();
    expect(majorOf(child)).toBe(wanted);
  });
});

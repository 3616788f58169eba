import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const tsx = path.resolve(__dirname, '../node_modules/.bin/tsx');
const runStack = (args: string[], env: NodeJS.ProcessEnv) =>
  spawnSync(tsx, [path.resolve(__dirname, 'stack.ts'), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

describe('stack script', () => {
  it('up is idempotent: a second up finds every part running and exits 0', () => {
    const res = runStack(['up'], {});
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/kafka: (already running|a broker not started by this script answers)/);
    expect(res.stdout).toContain('all parts answer');
  });

  it('status reports each part', () => {
    const res = runStack(['status'], {});
    for (const part of ['postgres', 'redis', 'kafka', 'registry']) expect(res.stdout).toMatch(new RegExp(`^${part}\\s+UP`, 'm'));
  });

  it('fails fast with a clear message when the Kafka port is taken by something else', async () => {
    const server = net.createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const res = runStack(['up'], { STACK_KAFKA_PORT: String(port), STACK_KAFKA_CONTROLLER_PORT: String(port + 1) });
      expect(res.status).toBe(1);
      expect(res.stderr).toContain(`port ${port} is taken by another program`);
      expect(res.stderr).toContain('STACK_KAFKA_PORT');
    } finally {
      server.close();
    }
  });
});

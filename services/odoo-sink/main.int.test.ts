/**
 * `npm run odoo-sink` as a real process against the sandbox Odoo: it starts, answers /health and
 * /metrics, moves a deal into Odoo, keeps the API key out of its logs, and stops cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createTestWorld, type TestWorld } from '../../test/support/integration';
import { freePort } from '../../test/support/private-servers';
import { givenDeal } from '../../test/support/odoo-fixtures';
import { dealPublisher, eventually, givenAzLocation, startSandboxOdoo, type SandboxOdoo } from '../../test/support/odoo-sink';

describe('npm run odoo-sink', () => {
  let world: TestWorld;
  let odoo: SandboxOdoo;
  let child: ChildProcess | undefined;
  jest.setTimeout(120_000);

  beforeAll(async () => {
    world = await createTestWorld('odoo-sink-main');
    odoo = await startSandboxOdoo();
    await givenAzLocation(world.db);
  });
  afterAll(async () => {
    if (child?.pid && child.exitCode === null) { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ } }
    await odoo.close();
    await world.close();
  });

  it('runs the sink against the sandbox Odoo with /health and /metrics, and stops on SIGTERM', async () => {
    const port = await freePort();
    const output: string[] = [];
    child = spawn('npm', ['run', '--silent', 'odoo-sink'], {
      cwd: path.resolve(__dirname, '..', '..'),
      env: { ...process.env, ...world.env, ...odoo.env, LOG_LEVEL: 'info', METRICS_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: the signal reaches npm, tsx and the sink alike
    });
    child.stdout?.on('data', (b: Buffer) => output.push(b.toString()));
    child.stderr?.on('data', (b: Buffer) => output.push(b.toString()));
    await eventually(() => output.join('').includes('odoo-sink started'), 60_000, 'the sink to start');

    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    const publisher = await dealPublisher(world.kafka, world.serde, world.topicPrefix);
    await publisher.publish([givenDeal({ discountId: '9001' })]);
    await publisher.close();
    await eventually(() => odoo.dutchieRecords().some((r) => r.dutchie_discount_id === '9001'), 60_000, 'the deal in Odoo');
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    await eventually(async () => /odoo_sink_deals_total\{[^}]*outcome="created"[^}]*\} 1/.test(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()), 10_000, 'the metric');
    expect(metrics).toMatch(/odoo_calls_total\{[^}]*method="create"/);

    const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
    process.kill(-child.pid!, 'SIGTERM'); // as a process manager stops it
    await exited;
    await eventually(() => output.join('').includes('"msg":"stopped"'), 15_000, 'the clean shutdown');
    expect(output.join('')).not.toContain(odoo.auth.apiKey);
  });
});

/**
 * Given-helper: a private Kafka + registry (stack/stack.ts on ports of their own, its own state
 * directory and its own registry database on the local Postgres), for tests that must stop or wipe
 * a stack. The shared stack other people use is never touched; Postgres and Redis are the machine's.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './private-servers';
import { endpoints } from '../../stack/stack';

const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');
const stackScript = path.resolve(__dirname, '../../stack/stack.ts');

export interface PrivateStack {
  /** KAFKA_BROKERS and SCHEMA_REGISTRY_URL of the private stack */
  env: { KAFKA_BROKERS: string; SCHEMA_REGISTRY_URL: string };
  up(): Promise<void>;
  down(): Promise<void>;
  /** stops the private Kafka alone and deletes its data (the registry keeps running, its database kept) */
  wipeKafka(): Promise<void>;
  /** stops the private Kafka broker alone (its data kept), as a broker restart or crash does */
  stopKafka(): Promise<void>;
  /** starts it again on the same port and data; returns when it answers */
  startKafka(): Promise<void>;
  /** stops the private registry alone (its schemas stay in its database) */
  stopRegistry(): Promise<void>;
  /** starts it again on the same port; returns when it answers */
  startRegistry(): Promise<void>;
  /** down, then the state directory and the registry database removed */
  destroy(): Promise<void>;
}

export async function givenPrivateStack(label: string): Promise<PrivateStack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `dealstream-${label}-`));
  const db = `t_registry_${label.replace(/[^a-z0-9]/gi, '').toLowerCase()}_${Date.now().toString(36)}`;
  const [kafka, controller, registry] = [await freePort(), await freePort(), await freePort()];
  const stackEnv = { STACK_DATA_DIR: dataDir, STACK_KAFKA_PORT: String(kafka), STACK_KAFKA_CONTROLLER_PORT: String(controller), STACK_REGISTRY_PORT: String(registry), STACK_REGISTRY_DB: db };
  const stack = (cmd: string) => new Promise<void>((resolve, reject) => {
    const child = spawn(tsx, [stackScript, cmd], { env: { ...process.env, ...stackEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`stack ${cmd} failed (${code}):\n${out.slice(-2000)}`))));
  });
  const pidOf = (name: 'kafka' | 'registry'): number | undefined => {
    const file = path.join(dataDir, `${name}.pid`);
    return fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8').trim()) : undefined;
  };
  /** SIGTERM to the process group stack.ts started (detached), then wait until it is gone */
  const stopPart = async (name: 'kafka' | 'registry'): Promise<void> => {
    const pid = pidOf(name);
    if (pid === undefined) return;
    try { process.kill(-pid, 'SIGTERM'); } catch { return; /* already gone */ }
    for (let i = 0; i < 60; i++) {
      try { process.kill(pid, 0); await new Promise((r) => setTimeout(r, 500)); } catch { return; }
    }
    try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  };
  return {
    env: { KAFKA_BROKERS: `127.0.0.1:${kafka}`, SCHEMA_REGISTRY_URL: `http://127.0.0.1:${registry}/apis/ccompat/v7` },
    up: () => stack('up'),
    down: () => stack('down'),
    async wipeKafka() {
      await stopPart('kafka');
      fs.rmSync(path.join(dataDir, 'kafka', 'data'), { recursive: true, force: true });
    },
    stopKafka: () => stopPart('kafka'),
    stopRegistry: () => stopPart('registry'),
    // `up` is idempotent: it starts only the part that is not running (same ports, same data)
    startKafka: () => stack('up'),
    startRegistry: () => stack('up'),
    async destroy() {
      await stack('down').catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
      // the registry's database is on the machine's Postgres (stack.ts), whatever the test's DATABASE_URL
      const c = new Client({ connectionString: endpoints.DATABASE_URL });
      await c.connect();
      try { await c.query(`drop database if exists "${db}" with (force)`); } finally { await c.end(); }
    },
  };
}

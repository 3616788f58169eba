/**
 * The local stack: Kafka (KRaft, from Maven Central jars), Apicurio Registry (ccompat API),
 * Postgres and Redis. `up` is idempotent and returns only when every part answers;
 * `down` stops the processes this script started (Kafka, registry); `status` reports each part.
 *
 * Postgres and Redis are the machine's own services: used when listening, started when installed
 * but stopped, installed from Debian packages when missing. They are never stopped by `down`.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import Redis from 'ioredis';

export const KAFKA_VERSION = '3.9.1';
// Apicurio publishes no 3.1.x app tarball on Maven Central and 3.3.x needs Java 21;
// 3.0.9 is the newest release that is both on Central and runs on Java 17.
export const APICURIO_VERSION = '3.0.9';

const root = path.resolve(__dirname, '..');
/** The downloads (jars, Maven repository): shared by every stack of this checkout. */
const home = path.join(root, '.stack');
const m2 = path.join(home, 'm2');
/**
 * A stack's own state: pid files, logs, Kafka's config and data. `STACK_DATA_DIR` gives a second
 * stack (other ports, its own registry database) a place of its own, e.g. a test that stops and
 * wipes a private Kafka without touching the shared one.
 */
const state = path.resolve(process.env.STACK_DATA_DIR ?? home);
/** The registry's database on the local Postgres (Apicurio's SQL storage): schema ids survive restarts. */
export const registryDatabase = process.env.STACK_REGISTRY_DB ?? 'apicurio_registry';

export const ports = {
  kafka: Number(process.env.STACK_KAFKA_PORT ?? 9092),
  controller: Number(process.env.STACK_KAFKA_CONTROLLER_PORT ?? 9093),
  registry: Number(process.env.STACK_REGISTRY_PORT ?? 8081),
  postgres: 5432,
  redis: 6379,
};

export const endpoints = {
  KAFKA_BROKERS: `127.0.0.1:${ports.kafka}`,
  SCHEMA_REGISTRY_URL: `http://127.0.0.1:${ports.registry}/apis/ccompat/v7`,
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
  REDIS_URL: 'redis://127.0.0.1:6379',
};

class StackError extends Error {}

const say = (msg: string) => console.log(`[stack] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.setTimeout(1000);
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => { sock.destroy(); resolve(false); });
  });
}

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: string[], logFile: string, what: string): void {
  const out = fs.openSync(logFile, 'a');
  const res = spawnSync(cmd, args, { stdio: ['ignore', out, out], cwd: root });
  fs.closeSync(out);
  if (res.status !== 0) {
    const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
    throw new StackError(`${what} failed (exit ${res.status ?? res.signal}). Last lines of ${logFile}:\n${tail}`);
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, alive?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dots = 0;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    if (alive && !alive()) throw new StackError(`${what} exited during start-up`);
    if (++dots % 5 === 0) say(`waiting for ${what}...`);
    await sleep(1000);
  }
  throw new StackError(`${what} did not answer within ${timeoutMs / 1000}s`);
}

// ---- processes we own (pid files) ----

interface Owned { name: 'kafka' | 'registry'; pidFile: string; logFile: string }
const owned: Record<Owned['name'], Owned> = {
  kafka: { name: 'kafka', pidFile: path.join(state, 'kafka.pid'), logFile: path.join(state, 'kafka.log') },
  registry: { name: 'registry', pidFile: path.join(state, 'registry.pid'), logFile: path.join(state, 'registry.log') },
};

function pidOf(p: Owned): number | undefined {
  if (!fs.existsSync(p.pidFile)) return undefined;
  const pid = Number(fs.readFileSync(p.pidFile, 'utf8').trim());
  try { process.kill(pid, 0); return pid; } catch { return undefined; }
}

/** The Kafka broker's pid when this script started it (benchmarks read its CPU time); undefined otherwise. */
export function kafkaPid(): number | undefined {
  return pidOf(owned.kafka);
}

function startDetached(p: Owned, cmd: string, args: string[], cwd: string): number {
  const out = fs.openSync(p.logFile, 'a');
  const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  if (child.pid === undefined) throw new StackError(`could not start ${p.name}`);
  child.unref();
  fs.writeFileSync(p.pidFile, String(child.pid));
  return child.pid;
}

async function stopOwned(p: Owned): Promise<void> {
  const pid = pidOf(p);
  if (pid === undefined) { say(`${p.name}: not running`); fs.rmSync(p.pidFile, { force: true }); return; }
  process.kill(-pid, 'SIGTERM');
  for (let i = 0; i < 30 && pidOf(p) !== undefined; i++) await sleep(500);
  if (pidOf(p) !== undefined) process.kill(-pid, 'SIGKILL');
  fs.rmSync(p.pidFile, { force: true });
  say(`${p.name}: stopped (pid ${pid})`);
}

function requireJava(): void {
  if (!which('java')) throw new StackError('Java 17+ is needed for Kafka and the registry: install it (apt-get install -y openjdk-17-jre-headless) and retry.');
  const res = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const m = /version "(\d+)/.exec(res.stderr);
  if (!m || Number(m[1]) < 17) throw new StackError(`Java 17+ is needed, found: ${res.stderr.split('\n')[0]}`);
}

function requireMaven(): void {
  if (!which('mvn')) throw new StackError('Maven is needed to fetch the Kafka and registry jars from Maven Central: apt-get install -y maven, then retry.');
}

// ---- Kafka ----

const kafkaDir = path.join(home, 'kafka');
const kafkaLibs = path.join(kafkaDir, 'libs');

function ensureKafkaJars(): void {
  if (fs.existsSync(path.join(kafkaLibs, `kafka_2.13-${KAFKA_VERSION}.jar`))) return;
  requireMaven();
  say(`downloading Apache Kafka ${KAFKA_VERSION} jars from Maven Central into .stack/ (once, ~120 MB)...`);
  fs.mkdirSync(kafkaDir, { recursive: true });
  run('mvn', ['-B', '-ntp', '-f', path.join(root, 'stack/kafka-pom.xml'), `-Dmaven.repo.local=${m2}`, `-Dkafka.version=${KAFKA_VERSION}`,
    'dependency:copy-dependencies', `-DoutputDirectory=${kafkaLibs}`, '-DincludeScope=runtime'],
  path.join(home, 'download.log'), 'Downloading Kafka from Maven Central (check network access to repo.maven.apache.org)');
}

/** Kafka's config and data of this stack (STACK_DATA_DIR) */
const kafkaState = path.join(state, 'kafka');
export const kafkaDataDir = path.join(kafkaState, 'data');

function kafkaConfig(): string {
  fs.mkdirSync(kafkaState, { recursive: true });
  const dataDir = kafkaDataDir;
  const file = path.join(kafkaState, 'server.properties');
  // Single combined broker+controller, tuned for a 2-core box.
  fs.writeFileSync(file, [
    'process.roles=broker,controller', 'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${ports.controller}`,
    `listeners=PLAINTEXT://127.0.0.1:${ports.kafka},CONTROLLER://127.0.0.1:${ports.controller}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${ports.kafka}`,
    'controller.listener.names=CONTROLLER', 'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`, 'num.partitions=1', 'num.network.threads=2', 'num.io.threads=4',
    'offsets.topic.replication.factor=1', 'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1', 'transaction.state.log.min.isr=1', 'transaction.state.log.num.partitions=1',
    'group.initial.rebalance.delay.ms=0', 'auto.create.topics.enable=false', 'delete.topic.enable=true',
    'log.cleaner.dedupe.buffer.size=16777216', 'log.segment.bytes=67108864', 'log.retention.hours=-1',
  ].join('\n') + '\n');
  fs.writeFileSync(path.join(kafkaState, 'log4j.properties'), [
    'log4j.rootLogger=WARN, stdout', 'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout', 'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka.server.KafkaServer=INFO', 'log4j.logger.kafka.server.BrokerServer=INFO',
  ].join('\n') + '\n');
  if (!fs.existsSync(path.join(dataDir, 'meta.properties'))) {
    const uuid = spawnSync('java', ['-cp', `${kafkaLibs}/*`, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8' }).stdout.trim().split('\n').pop() ?? '';
    run('java', ['-cp', `${kafkaLibs}/*`, `-Dlog4j.configuration=file:${kafkaState}/log4j.properties`, 'kafka.tools.StorageTool', 'format', '-t', uuid, '-c', file],
      owned.kafka.logFile, 'Formatting the Kafka log directory');
  }
  return file;
}

async function kafkaAnswers(): Promise<boolean> {
  const admin = new Kafka({ brokers: [endpoints.KAFKA_BROKERS], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 2000, requestTimeout: 3000 }).admin();
  let timer: NodeJS.Timeout | undefined;
  // Something that accepts connections but is not Kafka must not hang the check.
  const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), 5000); });
  const check = (async () => { await admin.connect(); const c = await admin.describeCluster(); return c.brokers.length > 0; })();
  try { return await Promise.race([check, timeout]); } finally { clearTimeout(timer); await admin.disconnect().catch(() => undefined); }
}

async function upKafka(): Promise<void> {
  if (pidOf(owned.kafka) !== undefined && await kafkaAnswers().catch(() => false)) { say(`kafka: already running on ${endpoints.KAFKA_BROKERS}`); return; }
  if (await portOpen(ports.kafka)) {
    if (await kafkaAnswers().catch(() => false)) { say(`kafka: a broker not started by this script answers on ${endpoints.KAFKA_BROKERS}; using it`); return; }
    throw new StackError(`port ${ports.kafka} is taken by another program: stop it or set STACK_KAFKA_PORT (and KAFKA_BROKERS) to a free port`);
  }
  if (await portOpen(ports.controller)) throw new StackError(`port ${ports.controller} (Kafka controller) is taken: free it or set STACK_KAFKA_CONTROLLER_PORT`);
  requireJava();
  ensureKafkaJars();
  const conf = kafkaConfig();
  const pid = startDetached(owned.kafka, 'java', ['-Xms128m', '-Xmx512m', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20',
    `-Dlog4j.configuration=file:${kafkaState}/log4j.properties`, '-cp', `${kafkaLibs}/*`, 'kafka.Kafka', conf], kafkaState);
  say(`kafka: starting (pid ${pid}, log ${path.relative(root, owned.kafka.logFile)})`);
  try {
    await waitFor('kafka', kafkaAnswers, 90_000, () => pidOf(owned.kafka) !== undefined);
  } catch (e) {
    const tail = fs.readFileSync(owned.kafka.logFile, 'utf8').split('\n').slice(-15).join('\n');
    throw new StackError(`${(e as Error).message}. Last lines of ${owned.kafka.logFile}:\n${tail}`);
  }
  say(`kafka: up on ${endpoints.KAFKA_BROKERS}`);
}

// ---- Schema registry ----

const registryDir = path.join(home, `apicurio-${APICURIO_VERSION}`);
const registryJar = path.join(registryDir, `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`);

function ensureRegistry(): void {
  if (fs.existsSync(registryJar)) return;
  requireMaven();
  say(`downloading Apicurio Registry ${APICURIO_VERSION} from Maven Central into .stack/ (once, ~110 MB)...`);
  const downloads = path.join(home, 'downloads');
  run('mvn', ['-B', '-ntp', `-Dmaven.repo.local=${m2}`, 'dependency:copy', `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`,
    `-DoutputDirectory=${downloads}`], path.join(home, 'download.log'), 'Downloading Apicurio Registry from Maven Central');
  fs.mkdirSync(registryDir, { recursive: true });
  run('tar', ['-xzf', path.join(downloads, `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`), '-C', registryDir], path.join(home, 'download.log'), 'Unpacking the registry');
}

const registryBase = () => `http://127.0.0.1:${ports.registry}/apis/ccompat/v7`;

async function registryAnswers(): Promise<boolean> {
  const res = await fetch(`${registryBase()}/config`, { signal: AbortSignal.timeout(2000) });
  return res.ok;
}

async function upRegistry(): Promise<void> {
  if (!(pidOf(owned.registry) !== undefined && await registryAnswers().catch(() => false))) {
    if (await portOpen(ports.registry)) {
      if (!(await registryAnswers().catch(() => false))) throw new StackError(`port ${ports.registry} is taken by another program: stop it or set STACK_REGISTRY_PORT (and SCHEMA_REGISTRY_URL)`);
      say(`registry: a registry not started by this script answers on ${registryBase()}; using it`);
    } else {
      requireJava();
      ensureRegistry();
      await ensureRegistryDatabase();
      const pid = startDetached(owned.registry, 'java', ['-Xms64m', '-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
        `-Dquarkus.http.port=${ports.registry}`, '-Dquarkus.http.host=127.0.0.1', '-Dquarkus.http.access-log.enabled=false',
        // SQL storage on the local Postgres: schemas and their ids survive a restart (in-memory storage
        // handed out new ids that no longer matched the bytes already in Kafka). A small pool: the
        // machine's Postgres is shared with the services and the tests.
        '-Dapicurio.storage.kind=sql', '-Dapicurio.storage.sql.kind=postgresql',
        `-Dapicurio.datasource.url=jdbc:postgresql://127.0.0.1:${ports.postgres}/${registryDatabase}`,
        '-Dapicurio.datasource.username=postgres', '-Dapicurio.datasource.password=postgres',
        '-Dapicurio.datasource.jdbc.initial-size=1', '-Dapicurio.datasource.jdbc.min-size=1', '-Dapicurio.datasource.jdbc.max-size=8',
        '-jar', registryJar], registryDir);
      say(`registry: starting Apicurio ${APICURIO_VERSION} (pid ${pid}, SQL storage in Postgres database ${registryDatabase}, log ${path.relative(root, owned.registry.logFile)})`);
      await waitFor('registry', registryAnswers, 90_000, () => pidOf(owned.registry) !== undefined);
    }
  } else {
    say(`registry: already running on ${registryBase()}`);
  }
  // Confluent's default is BACKWARD; Apicurio's is NONE. The client checks the level, so set it globally.
  const res = await fetch(`${registryBase()}/config`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ compatibility: 'BACKWARD' }) });
  if (!res.ok) throw new StackError(`could not set the registry's global compatibility to BACKWARD: HTTP ${res.status}`);
  say(`registry: up on ${registryBase()} (global compatibility BACKWARD)`);
}

/** The registry's database (created once; the registry creates its tables in it). */
async function ensureRegistryDatabase(): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(registryDatabase)) throw new StackError(`STACK_REGISTRY_DB must be a plain database name, got ${registryDatabase}`);
  const c = new Client({ connectionString: endpoints.DATABASE_URL });
  await c.connect();
  try {
    const found = await c.query('select 1 from pg_database where datname = $1', [registryDatabase]);
    if (found.rowCount === 0) await c.query(`create database "${registryDatabase}"`);
  } finally { await c.end(); }
}

// ---- Postgres / Redis (the machine's services) ----

async function pgAnswers(): Promise<boolean> {
  const c = new Client({ connectionString: endpoints.DATABASE_URL, connectionTimeoutMillis: 2000 });
  try { await c.connect(); await c.query('select 1'); return true; } finally { await c.end().catch(() => undefined); }
}

function aptInstall(pkgs: string[]): void {
  if (!which('apt-get')) throw new StackError(`${pkgs.join(', ')} missing and apt-get unavailable: install them by hand`);
  say(`installing ${pkgs.join(' ')} from Debian packages...`);
  const log = path.join(home, 'apt.log');
  run('apt-get', ['update', '-q'], log, 'apt-get update');
  run('apt-get', ['install', '-y', '-q', ...pkgs], log, `apt-get install ${pkgs.join(' ')}`);
}

async function upPostgres(): Promise<void> {
  if (await pgAnswers().catch(() => false)) { say('postgres: up on 127.0.0.1:5432'); return; }
  if (await portOpen(ports.postgres)) throw new StackError('port 5432 answers but not as a Postgres accepting user postgres with trust auth: check DATABASE_URL');
  if (!which('pg_ctlcluster')) aptInstall(['postgresql', 'postgresql-client']);
  const versions = fs.readdirSync('/etc/postgresql');
  const version = versions.sort().pop();
  if (!version) throw new StackError('no Postgres cluster found under /etc/postgresql');
  say(`postgres: starting cluster ${version}/main`);
  run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], path.join(home, 'postgres.log'), 'Starting Postgres');
  await waitFor('postgres', pgAnswers, 30_000);
  say('postgres: up on 127.0.0.1:5432');
}

async function redisAnswers(): Promise<boolean> {
  const r = new Redis(endpoints.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  try { await r.connect(); return (await r.ping()) === 'PONG'; } finally { r.disconnect(); }
}

async function upRedis(): Promise<void> {
  if (await redisAnswers().catch(() => false)) { say('redis: up on 127.0.0.1:6379'); return; }
  if (await portOpen(ports.redis)) throw new StackError('port 6379 answers but not as Redis: free it');
  if (!which('redis-server')) aptInstall(['redis-server']);
  fs.mkdirSync('/var/lib/redis', { recursive: true });
  run('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', '/var/lib/redis'],
    path.join(home, 'redis.log'), 'Starting Redis');
  await waitFor('redis', redisAnswers, 20_000);
  say('redis: up on 127.0.0.1:6379');
}

// ---- commands ----

export async function up(): Promise<void> {
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(state, { recursive: true });
  await upPostgres();
  await upRedis();
  await upKafka();
  await upRegistry();
  say('all parts answer. Environment for the services:');
  for (const [k, v] of Object.entries(endpoints)) console.log(`  ${k}=${v}`);
}

async function status(): Promise<boolean> {
  const parts: Array<[string, string, () => Promise<boolean>, Owned | undefined]> = [
    ['postgres', '127.0.0.1:5432', pgAnswers, undefined],
    ['redis', '127.0.0.1:6379', redisAnswers, undefined],
    ['kafka', endpoints.KAFKA_BROKERS, kafkaAnswers, owned.kafka],
    ['registry', registryBase(), registryAnswers, owned.registry],
  ];
  let allUp = true;
  for (const [name, where, check, own] of parts) {
    const ok = await check().catch(() => false);
    allUp &&= ok;
    const pid = own ? pidOf(own) : undefined;
    const who = own ? (pid ? `pid ${pid}, started by stack:up` : 'not started by stack:up') : 'machine service';
    console.log(`${name.padEnd(9)} ${ok ? 'UP  ' : 'DOWN'} ${where} (${who})`);
  }
  return allUp;
}

async function main(): Promise<void> {
  const cmd = process.argv[2] ?? '';
  switch (cmd) {
    case 'up': await up(); break;
    // the downloads alone (jars, the registry), so that stacks started side by side never download at once
    case 'fetch': requireJava(); requireMaven(); ensureKafkaJars(); ensureRegistry(); say('downloads in place'); break;
    case 'down':
      await stopOwned(owned.registry);
      await stopOwned(owned.kafka);
      if (process.argv.includes('--clean')) { fs.rmSync(kafkaDataDir, { recursive: true, force: true }); say('kafka data removed (the registry keeps its schemas in Postgres)'); }
      say('postgres and redis are machine services and were left running');
      break;
    case 'status': process.exitCode = (await status()) ? 0 : 1; break;
    default:
      console.error('usage: tsx stack/stack.ts up|down [--clean]|status|fetch');
      process.exitCode = 2;
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`[stack] ERROR: ${e instanceof StackError ? e.message : String((e as Error)?.stack ?? e)}`);
    process.exit(1);
  });
}

/**
 * Given-helpers: a private Redis (`redis-server`) and a private Postgres cluster (`initdb`/`pg_ctl`)
 * on free ports of their own, in temp directories, for tests that must stop, restart or hang them.
 * The machine's shared Postgres (5432) and Redis (6379) are never touched.
 *
 *   const redis = await givenPrivateRedis();          // redis.url
 *   const pg = await givenPrivatePostgres({ migrate: true }); // pg.url: a migrated database
 *   await redis.stop(); ...; await redis.start();      // same port, so clients reconnect
 *   afterAll(() => Promise.all([redis.destroy(), pg.destroy()]));
 *
 * Clean-up: `destroy()` stops the server and removes its directory; it is safe to call twice, and
 * after a failed start. Whatever a test file forgot (a failed beforeAll, a crash) is killed and
 * removed when the jest worker exits (a process 'exit' hook), so no server outlives its tests.
 * Postgres refuses to run as root: as root, the cluster is made and run as the `postgres` user.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createDb } from '../../shared/db/db';
import { migrateToLatest } from '../../shared/db/migrate';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await ok().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`${what}: not up after ${timeoutMs} ms`);
    await sleep(50);
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > until) return false;
    await sleep(25);
  }
  return true;
}

/** The processes whose parent is `pid` (a postmaster's backends). */
function childPids(pid: number): number[] {
  const r = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').map((l) => Number(l.trim())).filter((n) => Number.isInteger(n) && n > 0);
}

/** Live servers of this process: killed and their directories removed if the process exits first. */
const leftovers = new Map<string, { pid: () => number | undefined; dir: string }>();
let hooked = false;
function track(dir: string, pid: () => number | undefined): void {
  leftovers.set(dir, { pid, dir });
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const l of leftovers.values()) {
      const pid = l.pid();
      if (pid !== undefined) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      try { fs.rmSync(l.dir, { recursive: true, force: true }); } catch { /* best effort */ }
    }
  });
}

export interface PrivateServer {
  /** the port it listens on (kept across stop/start, so clients reconnect to the same address) */
  port: number;
  /** the connection URL */
  url: string;
  /** starts it again after stop() (no-op when running) */
  start(): Promise<void>;
  /** stops it: graceful by default; `hard` kills it (SIGKILL), as a crash would */
  stop(opts?: { hard?: boolean }): Promise<void>;
  /** stop, then start */
  restart(opts?: { hard?: boolean }): Promise<void>;
  readonly running: boolean;
  /** stops it and removes its directory (idempotent) */
  destroy(): Promise<void>;
}

export interface PrivateRedis extends PrivateServer {
  /** freezes it (SIGSTOP): connections stay open but nothing answers, as a hung server */
  pause(): void;
  resume(): void;
}

/**
 * A private redis-server. `persist`: with an append-only file, so a restart keeps the data (as a
 * production Redis would); without (default) a restart comes back empty, as after losing the node.
 */
export async function givenPrivateRedis(opts: { persist?: boolean } = {}): Promise<PrivateRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dealstream-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let log = '';
  track(dir, () => child?.pid);
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', opts.persist ? 'yes' : 'no',
    '--appendfsync', 'no', '--daemonize', 'no', '--protected-mode', 'no', '--loglevel', 'warning'];

  async function start(): Promise<void> {
    if (child !== undefined) return;
    const c = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout?.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
    c.stderr?.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-4000); });
    c.once('exit', () => { if (child === c) child = undefined; });
    try {
      await waitUntil(`redis-server on ${port}`, async () => {
        if (child !== c) throw new Error(`redis-server exited:\n${log}`);
        return portAnswers(port);
      }, 10_000);
    } catch (e) {
      c.kill('SIGKILL');
      throw e;
    }
  }

  async function stop(o: { hard?: boolean } = {}): Promise<void> {
    const c = child;
    if (c?.pid === undefined) return;
    try { process.kill(c.pid, 'SIGCONT'); } catch { /* gone */ } // a paused server cannot shut down
    c.kill(o.hard ? 'SIGKILL' : 'SIGTERM');
    if (!(await waitGone(c.pid, 10_000))) c.kill('SIGKILL');
    await waitGone(c.pid, 5_000);
    child = undefined;
  }

  await start();
  const signal = (sig: NodeJS.Signals) => { if (child?.pid !== undefined) process.kill(child.pid, sig); };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    async restart(o) { await stop(o); await start(); },
    get running() { return child !== undefined; },
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    async destroy() {
      await stop({ hard: true }).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
      leftovers.delete(dir);
    },
  };
}

export interface PrivatePostgres extends PrivateServer {
  /** the database's name (the URL points at it) */
  database: string;
  /** the cluster's directory (data in `data/`, log in `postgres.log`) */
  dir: string;
}

const PG_BIN = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/14/bin']
  .find((d) => fs.existsSync(path.join(d, 'pg_ctl')));

/** As root, run as `postgres` (initdb refuses root): its uid/gid, else the current user. */
function pgUser(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error('running as root and there is no postgres user to run a private cluster as');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/**
 * A private Postgres cluster (initdb + pg_ctl) with trust auth for `postgres`, tuned for tests
 * (no fsync). `database` is created (default `dealstream`); `migrate` runs the project's migrations.
 */
export async function givenPrivatePostgres(opts: { database?: string; migrate?: boolean } = {}): Promise<PrivatePostgres> {
  if (PG_BIN === undefined) throw new Error('no Postgres binaries under /usr/lib/postgresql/*/bin');
  const bin = (name: string) => path.join(PG_BIN, name);
  const user = pgUser();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dealstream-pg-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'postgres.log');
  if (user.uid !== undefined) fs.chownSync(dir, user.uid, user.gid!);
  const port = await freePort();
  const database = opts.database ?? 'dealstream';
  const pidOf = (): number | undefined => {
    try { return Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]); } catch { return undefined; }
  };
  track(dir, pidOf);
  const run = (name: string, args: string[]): void => {
    const r = spawnSync(bin(name), args, { ...user, encoding: 'utf8', cwd: dir, timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${name} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}${fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-2000) : ''}`);
  };
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const accepts = async (): Promise<boolean> => {
    const c = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 1000 });
    c.on('error', () => undefined);
    try { await c.connect(); await c.query('select 1'); return true; } finally { await c.end().catch(() => undefined); }
  };

  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  fs.appendFileSync(path.join(data, 'postgresql.conf'), [
    `port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`,
    'fsync = off', 'synchronous_commit = off', 'full_page_writes = off', 'max_connections = 60', 'shared_buffers = 32MB',
    'log_min_messages = warning', '',
  ].join('\n'));

  let running = false;
  async function start(): Promise<void> {
    if (running) return;
    // pg_ctl -w waits for the server to accept connections
    run('pg_ctl', ['start', '-w', '-t', '60', '-D', data, '-l', logFile]);
    running = true;
    await waitUntil(`postgres on ${port}`, accepts, 30_000);
  }
  async function stop(o: { hard?: boolean } = {}): Promise<void> {
    if (!running) return;
    const pid = pidOf();
    if (o.hard && pid !== undefined) {
      // as a crash: the postmaster killed, its backends quit when they notice (SIGQUIT: immediate)
      const backends = childPids(pid); // before the kill: orphans are adopted by init
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      for (const b of backends) { try { process.kill(b, 'SIGKILL'); } catch { /* gone */ } }
      // its lock files name a pid that may linger as a zombie (no reaper in a container): a new postmaster would refuse them
      fs.rmSync(path.join(data, 'postmaster.pid'), { force: true });
      fs.rmSync(path.join(dir, `.s.PGSQL.${port}.lock`), { force: true });
      await waitUntil(`postgres on ${port} down`, async () => !(await portAnswers(port)), 10_000);
    } else {
      run('pg_ctl', ['stop', '-w', '-t', '60', '-m', 'fast', '-D', data]);
    }
    running = false;
  }

  try {
    await start();
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    try { await admin.query(`create database "${database.replace(/"/g, '')}"`); } finally { await admin.end(); }
    const url = `postgres://postgres@127.0.0.1:${port}/${database}`;
    if (opts.migrate) {
      const db = createDb(url, 1);
      try { await migrateToLatest(db); } finally { await db.destroy(); }
    }
  } catch (e) {
    await stop({ hard: true }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    leftovers.delete(dir);
    throw e;
  }

  return {
    port,
    database,
    dir,
    url: `postgres://postgres@127.0.0.1:${port}/${database}`,
    start,
    stop,
    async restart(o) { await stop(o); await start(); },
    get running() { return running; },
    async destroy() {
      if (running) {
        try { run('pg_ctl', ['stop', '-w', '-t', '20', '-m', 'immediate', '-D', data]); } catch { await stop({ hard: true }).catch(() => undefined); }
        running = false;
      }
      fs.rmSync(dir, { recursive: true, force: true });
      leftovers.delete(dir);
    },
  };
}

/**
 * Steady traffic for the fault suite, and the counting of it.
 *
 * An event is one deal change made through the sandbox's admin API: the deal's `onlineName` set to a
 * unique marker. Each event changes a different deal (one that the deals API serves when the run
 * starts), so no event can hide another: every marker must end up in Postgres, in what the deals API
 * serves (Redis) and in the Odoo sandbox. The observer reads the deals API all along (at one fixed
 * instant, `?at=`, so a deal's hours never change what is served) and notes when each marker shows,
 * and every answer's status. The canonical topic is read at the end for duplicates, the dead-letter
 * topic for dead letters.
 */
import type { Kafka } from 'kafkajs';
import { readRange } from '../../shared/redrive';
import type { AvroSerde } from '../../shared/serde';
import { TOPICS, topicName } from '../../shared/topics';
import type { FaultPipeline } from './fault-pipeline';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One deal's name per key: `{locationId}_{discountId}` (API, Postgres) or `{discountId}@{storeIds}` (Odoo). */
export type NameMap = Map<string, string>;
export interface Snapshot { api: NameMap; postgres: NameMap; odoo: NameMap; odooDuplicates: number }

export interface SentEvent {
  seq: number;
  marker: string;
  dealId: number;
  /** the locations whose deals API answer serves this deal */
  locations: string[];
  sentAt: number;
  phase: string;
  /** when the deals API first served the marker at every one of its locations */
  seenAt?: number;
}

export interface ApiSample { at: number; location: string; status: number }

interface ApiItem { discount_id: number; discount_name: string; source: string }

async function getJson<T>(url: string, timeoutMs = 5000): Promise<{ status: number; body?: T }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return { status: res.status, body: res.ok ? (JSON.parse(text) as T) : undefined };
  } catch {
    return { status: 0 }; // refused, reset or timed out
  }
}

const apiUrl = (pipe: FaultPipeline, location: string, at: string) => `${pipe.urls.api}/api/locations/${encodeURIComponent(location)}/discounts?at=${encodeURIComponent(at)}`;

/** What the three read sides hold now. */
export async function snapshot(pipe: FaultPipeline, at: string): Promise<Snapshot> {
  const api: NameMap = new Map();
  for (const l of pipe.directory.locations) {
    const r = await getJson<{ data: ApiItem[] }>(apiUrl(pipe, l.id, at));
    if (r.status !== 200 || !r.body) throw new Error(`deals API answered ${r.status} for ${l.id}`);
    for (const d of r.body.data) if (d.source === 'dutchie') api.set(`${l.id}_${d.discount_id}`, d.discount_name);
  }
  const rows = await pipe.db.selectFrom('discounts').select(['location_id', 'discount_id', 'name']).where('removed', '=', false).where('source', '=', 'dutchie').execute();
  const postgres: NameMap = new Map(rows.map((r) => [`${r.location_id}_${r.discount_id}`, r.name]));
  const domain = encodeURIComponent(JSON.stringify([['source', '=', 'dutchie'], ['dutchie_is_deleted', '=', false]]));
  const o = await getJson<{ records: Array<{ dutchie_discount_id: string; store_ids: number[]; online_name: string }> }>(`${pipe.urls.admin}/odoo/records/mint.discount?domain=${domain}`, 15_000);
  if (o.status !== 200 || !o.body) throw new Error(`sandbox Odoo answered ${o.status}`);
  const odoo: NameMap = new Map();
  let odooDuplicates = 0;
  for (const rec of o.body.records) {
    const key = `${rec.dutchie_discount_id}@${[...rec.store_ids].sort((a, b) => a - b).join(',')}`;
    if (odoo.has(key)) odooDuplicates += 1;
    odoo.set(key, rec.online_name);
  }
  return { api, postgres, odoo, odooDuplicates };
}

/** The pipeline has settled: every store served, and the three read sides unchanged for `quietMs`. */
export async function waitUntilSettled(pipe: FaultPipeline, at: string, timeoutMs = 120_000, quietMs = 4000): Promise<Snapshot> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let since = 0;
  for (;;) {
    const s = await snapshot(pipe, at).catch(() => undefined);
    const sig = s ? `${s.api.size}/${s.postgres.size}/${s.odoo.size}/${[...s.odoo.values()].join('|').length}` : '';
    if (s && s.api.size > 0 && s.odoo.size > 0 && pipe.directory.locations.every((l) => [...s.api.keys()].some((k) => k.startsWith(`${l.id}_`)))) {
      if (sig === last) { if (Date.now() - since >= quietMs) return s; } else { last = sig; since = Date.now(); }
    }
    if (Date.now() > deadline) throw new Error(`the pipeline did not settle in ${timeoutMs} ms (last: api/postgres/odoo ${sig || 'unreadable'})`);
    await sleep(1000);
  }
}

/** The reference: the first snapshot with every event's marker applied to its deal, as a clean run ends. */
export function expectedState(initial: Snapshot, events: readonly SentEvent[]): Omit<Snapshot, 'odooDuplicates'> {
  const marker = new Map(events.map((e) => [String(e.dealId), e.marker]));
  const apply = (m: NameMap, idOf: (key: string) => string): NameMap => new Map([...m].map(([k, v]) => [k, marker.get(idOf(k)) ?? v]));
  const afterUnderscore = (k: string) => k.slice(k.lastIndexOf('_') + 1);
  return { api: apply(initial.api, afterUnderscore), postgres: apply(initial.postgres, afterUnderscore), odoo: apply(initial.odoo, (k) => k.slice(0, k.indexOf('@'))) };
}

/**
 * The traffic: `ratePerS` deal changes a second, each to a deal of `targets` not changed before, tagged
 * with the phase current when it was sent. Also the observer of the deals API.
 */
export class FaultTraffic {
  readonly events: SentEvent[] = [];
  readonly samples: ApiSample[] = [];
  readonly patchFailures: Array<{ at: number; status: number }> = [];
  phase = 'steady';
  private sending = false;
  private observing = false;
  private sender: Promise<void> = Promise.resolve();
  private observer: Promise<void> = Promise.resolve();
  private readonly runId = Date.now().toString(36);

  constructor(
    private readonly pipe: FaultPipeline,
    private readonly at: string,
    /** deals served at the start, each with the locations serving it */
    private readonly targets: ReadonlyArray<{ dealId: number; locations: string[] }>,
    private readonly lspId: number,
    private readonly ratePerS: number,
  ) {}

  /** Every deal the deals API serves now (dutchie), with the locations serving it, in a fixed shuffled order. */
  static targetsOf(initial: Snapshot): Array<{ dealId: number; locations: string[] }> {
    const byDeal = new Map<number, string[]>();
    for (const key of initial.api.keys()) {
      const cut = key.lastIndexOf('_');
      const id = Number(key.slice(cut + 1));
      byDeal.set(id, [...(byDeal.get(id) ?? []), key.slice(0, cut)]);
    }
    // a fixed permutation (multiplicative hash) so runs are comparable
    return [...byDeal].map(([dealId, locations]) => ({ dealId, locations })).sort((a, b) => ((a.dealId * 2654435761) % 4294967296) - ((b.dealId * 2654435761) % 4294967296));
  }

  start(): void {
    this.sending = true;
    this.observing = true;
    this.sender = this.sendLoop();
    this.observer = this.observeLoop();
  }

  /** No more changes; the observer goes on (the backlog is still to show). */
  async stopSending(): Promise<void> {
    this.sending = false;
    await this.sender;
  }

  async stop(): Promise<void> {
    await this.stopSending();
    this.observing = false;
    await this.observer;
  }

  private async sendLoop(): Promise<void> {
    const t0 = performance.now();
    for (let i = 0; this.sending; i++) {
      const wait = t0 + (i * 1000) / this.ratePerS - performance.now();
      if (wait > 0) await sleep(wait);
      if (!this.sending) break;
      const target = this.targets[this.events.length];
      if (!target) throw new Error(`the traffic ran out of deals after ${this.events.length} events: give the sandbox more (dealsPerLsp)`);
      const seq = this.events.length + 1;
      const marker = `fault-${this.runId}-${String(seq).padStart(5, '0')}`;
      const sentAt = Date.now();
      const res = await fetch(`${this.pipe.urls.admin}/lsps/${this.lspId}/deals/${target.dealId}`, {
        method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ onlineName: marker }), signal: AbortSignal.timeout(5000),
      }).then((r) => r.status, () => 0);
      if (res !== 200) { this.patchFailures.push({ at: sentAt, status: res }); continue; }
      this.events.push({ seq, marker, dealId: target.dealId, locations: target.locations, sentAt, phase: this.phase });
    }
  }

  private async observeLoop(): Promise<void> {
    const seen = new Map<string, number>(); // `${location}|${marker}` -> first seen
    while (this.observing) {
      const started = Date.now();
      for (const l of this.pipe.directory.locations) {
        const r = await getJson<{ data: ApiItem[] }>(apiUrl(this.pipe, l.id, this.at), 3000);
        const at = Date.now();
        this.samples.push({ at, location: l.id, status: r.status });
        for (const d of r.body?.data ?? []) if (d.discount_name.startsWith('fault-')) { const k = `${l.id}|${d.discount_name}`; if (!seen.has(k)) seen.set(k, at); }
      }
      for (const e of this.events) {
        if (e.seenAt !== undefined) continue;
        const times = e.locations.map((l) => seen.get(`${l}|${e.marker}`)).filter((t) => t !== undefined);
        if (times.length === e.locations.length) e.seenAt = Math.max(...times);
      }
      await sleep(Math.max(0, 500 - (Date.now() - started)));
    }
  }

  /** Waits until every event sent so far has shown at the deals API (the observer keeps running). */
  async waitAllSeen(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.events.every((e) => e.seenAt !== undefined)) return true;
      await sleep(500);
    }
    return false;
  }

  /** Waits until an event sent at or after `since` has shown at the deals API; its time, or undefined. */
  async firstSeenAfter(since: number, timeoutMs: number): Promise<number | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const t = this.events.filter((e) => e.sentAt >= since && e.seenAt !== undefined).map((e) => e.seenAt!);
      if (t.length) return Math.min(...t);
      await sleep(250);
    }
    return undefined;
  }
}

/** How many times each marker's state of a deal (`{deal id}|{name}`) is on the canonical topic beyond the first; and the dead letters. */
export async function canonicalCounts(kafka: Kafka, serde: AvroSerde, pipe: FaultPipeline): Promise<{ duplicatesByMarker: Map<string, number>; deadLetters: number }> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = async (topic: string) => new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)] as const));
  try {
    const deals = topicName(pipe.topicPrefix, TOPICS.discounts);
    const dlq = topicName(pipe.topicPrefix, TOPICS.dlq);
    const counts = new Map<string, number>();
    for (const m of await readRange(kafka, deals, await ends(deals))) {
      if (!m.value) continue;
      const deal = (await serde.decode(m.value)) as { id: string; name: string };
      if (!deal.name.startsWith('fault-')) continue;
      const k = `${deal.id}|${deal.name}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const duplicatesByMarker = new Map<string, number>();
    for (const [k, n] of counts) if (n > 1) { const marker = k.slice(k.indexOf('|') + 1); duplicatesByMarker.set(marker, (duplicatesByMarker.get(marker) ?? 0) + n - 1); }
    const dlqEnds = await ends(dlq).catch(() => new Map<number, bigint>());
    const deadLetters = [...dlqEnds.values()].reduce((n, v) => n + Number(v), 0);
    return { duplicatesByMarker, deadLetters };
  } finally {
    await admin.disconnect();
  }
}

/** Rows of Postgres' `discounts` that hold a marker (for the table's "landed"). */
export async function markersIn(pipe: FaultPipeline): Promise<Set<string>> {
  const rows = await pipe.db.selectFrom('discounts').select('name').where('name', 'like', 'fault-%').where('removed', '=', false).execute();
  return new Set(rows.map((r) => r.name));
}


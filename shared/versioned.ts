/**
 * The one rule for versioned state, shared by every consumer of the canonical topics (projector,
 * inventory projection, odoo-sink): an upsert AND a removal carry a version (the source's fetch time,
 * ms), and a change is applied only when it is not older than what is stored. So a replay of an old
 * removal never wipes a deal that was re-added since, and an equal-version re-add after a removal
 * is applied.
 *
 * A removal is a tombstone (null value): its version travels in the header `dealstream-version`,
 * written by the normaliser. A tombstone without it (written before versioned removals) counts as
 * of its message timestamp, which is later than the fetch it came from and earlier than the next.
 */
import type { IHeaders } from 'kafkajs';
import { sql, type RawBuilder } from 'kysely';

export const VERSION_HEADER = 'dealstream-version';

/** The headers of a tombstone that removes the state of `version`. */
export function tombstoneHeaders(version: number): Record<string, string> {
  return { [VERSION_HEADER]: String(version) };
}

function headerText(v: IHeaders[string] | undefined): string | undefined {
  if (v === undefined) return undefined;
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
}

/** The version of a tombstone: its header, else its message timestamp (ms). */
export function tombstoneVersion(headers: IHeaders | undefined, timestamp: string | number): number {
  const text = headerText(headers?.[VERSION_HEADER]);
  const fromHeader = text !== undefined && /^\d{1,16}$/.test(text) ? Number(text) : undefined;
  return fromHeader ?? Number(timestamp);
}

/** What a consumer has stored for a key. */
export interface StoredVersion { version: number | string | bigint; removed: boolean }

/** Whether a change of `version` is applied over `stored` (nothing stored: always). */
export function applies(version: number | string | bigint, stored: StoredVersion | undefined): boolean {
  return stored === undefined || BigInt(version) >= BigInt(stored.version);
}

/** The same rule in SQL, for `insert ... on conflict do update ... where` (table = the stored row). */
export function notOlderSql(table: string): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(`${table}.version`)} <= excluded.version`;
}

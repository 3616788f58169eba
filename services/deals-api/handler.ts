/**
 * The deals API's pure part: from a stored location value (one deal per line, see
 * shared/storefront.ts) to the bytes of `{data, count}` holding only the deals live at an instant.
 *
 * How live deals are filtered without JSON work per request: a stored value is parsed ONCE into
 * per-deal byte fragments plus compiled timing (valid window, weekdays, local hours, zone). A
 * request computes the local clock once per zone (one Luxon call), a liveness mask over the deals
 * (integer comparisons), and splices the live fragments' bytes. The spliced body and its ETag are
 * memoised per mask, and the last answer is reused for every instant of the span over which no
 * deal's liveness can change (same second, no valid bound crossed): the common request ("now",
 * many per second) is a range check — no Luxon call, no mask, no hashing, no copy.
 */
import { createHash } from 'node:crypto';
import { isLiveOnClock, localClock, type LocalClock } from '../../shared/deal-time';
import { fragmentTiming, splitLocationValue, type FragmentTiming } from '../../shared/storefront';

export interface CompiledLocation {
  /** the version stored beside the value (null when it had none) */
  version: string | null;
  /** each fragment's deal id (`{locationId}_{discountId}`) */
  ids: string[];
  fragments: Buffer[];
  timings: FragmentTiming[];
  zones: string[];
  /** spliced bodies by liveness mask (small, most recent last) */
  bodies: Map<string, LiveBody>;
  /**
   * The last answer and the span of instants `[from, until)` over which it cannot change: the
   * same UTC second (zone offsets are whole minutes, so the local second is the same too) and no
   * deal's validFrom/validUntil crossed. Most requests ask for "now", so they land in it.
   */
  last: { from: number; until: number; entry: LiveBody } | null;
}

export interface LiveBody { body: Buffer; etag: string; count: number }

const MAX_BODIES = 8;

export function compileLocation(raw: Buffer, version: string | null = null): CompiledLocation {
  // a disabled deal is never live: a value written before they were left out may still hold one
  const compiled = splitLocationValue(raw.toString('utf8')).map((f) => ({ f, t: fragmentTiming(f) })).filter((x) => x.t.enabled);
  const timings = compiled.map((x) => x.t);
  return {
    version,
    ids: timings.map((t) => t.id),
    fragments: compiled.map((x) => Buffer.from(x.f, 'utf8')),
    timings,
    zones: [...new Set(timings.map((t) => t.timeZone))],
    bodies: new Map(),
    last: null,
  };
}

const OPEN = Buffer.from('{"data":[');
const COMMA = Buffer.from(',');

export function liveBody(loc: CompiledLocation, atMs: number): LiveBody {
  const last = loc.last;
  if (last !== null && atMs >= last.from && atMs < last.until) return last.entry;
  const clocks = new Map<string, LocalClock>();
  for (const z of loc.zones) clocks.set(z, localClock(atMs, z));
  // Liveness holds still within this second, and between the nearest valid bounds around atMs.
  let from = Math.floor(atMs / 1000) * 1000;
  let until = from + 1000;
  const { timings } = loc;
  const mask = new Uint8Array(timings.length);
  let count = 0;
  for (let i = 0; i < timings.length; i += 1) {
    const t = timings[i]!;
    const { validFrom, validUntil } = t.timing;
    if (validFrom !== null) { if (validFrom <= atMs) { if (validFrom > from) from = validFrom; } else if (validFrom < until) until = validFrom; }
    if (validUntil !== null) { if (validUntil <= atMs) { if (validUntil > from) from = validUntil; } else if (validUntil < until) until = validUntil; }
    if (isLiveOnClock(t.timing, clocks.get(t.timeZone)!)) { mask[i] = 1; count += 1; }
  }
  const key = Buffer.from(mask.buffer, mask.byteOffset, mask.byteLength).toString('latin1');
  let entry = loc.bodies.get(key);
  if (!entry) {
    entry = splice(loc, mask, count);
    if (loc.bodies.size >= MAX_BODIES) loc.bodies.delete(loc.bodies.keys().next().value!);
    loc.bodies.set(key, entry);
  }
  loc.last = { from, until, entry };
  return entry;
}

/** The body of the deals set in `mask`, as one buffer, with its ETag (once per mask). */
function splice(loc: CompiledLocation, mask: Uint8Array, count: number): LiveBody {
  const parts: Buffer[] = [OPEN];
  let n = 0;
  for (let i = 0; i < loc.fragments.length; i += 1) {
    if (mask[i] !== 1) continue;
    if (n > 0) parts.push(COMMA);
    parts.push(loc.fragments[i]!);
    n += 1;
  }
  parts.push(Buffer.from(`],"count":${count}}`));
  const body = Buffer.concat(parts);
  return { body, count, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
}

/** The fragments (JSON texts) of the deals with these ids, in the value's order. */
export function fragmentsOf(loc: CompiledLocation, ids: readonly string[]): string[] {
  if (ids.length === 0) return [];
  const wanted = new Set(ids);
  const out: string[] = [];
  for (let i = 0; i < loc.ids.length; i += 1) if (wanted.has(loc.ids[i]!)) out.push(loc.fragments[i]!.toString('utf8'));
  return out;
}

/** `If-None-Match` against an ETag (comma lists, weak validators and `*`). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/**
 * The deals API's pure part: from a stored location value (one deal per line, see
 * shared/storefront.ts) to the bytes of `{data, count}` holding only the deals live at an instant.
 *
 * How live deals are filtered without JSON work per request: a stored value is parsed ONCE into
 * per-deal byte fragments plus compiled timing (valid window, weekdays, local hours, zone). A
 * request computes the local clock once per zone (one Luxon call), a liveness mask over the deals
 * (integer comparisons), and splices the live fragments' bytes. The spliced body and its ETag are
 * memoised per mask, so while nothing changes liveness a request is a lookup.
 */
import { createHash } from 'node:crypto';
import { isLiveOnClock, localClock, type LocalClock } from '../../shared/deal-time';
import { fragmentTiming, splitLocationValue, type FragmentTiming } from '../../shared/storefront';

export interface CompiledLocation {
  /** the version stored beside the value (null when it had none) */
  version: string | null;
  fragments: Buffer[];
  timings: FragmentTiming[];
  zones: string[];
  /** spliced bodies by liveness mask (small, most recent last) */
  bodies: Map<string, LiveBody>;
}

export interface LiveBody { body: Buffer; etag: string; count: number }

const MAX_BODIES = 8;

export function compileLocation(raw: Buffer, version: string | null = null): CompiledLocation {
  const fragments = splitLocationValue(raw.toString('utf8'));
  const timings = fragments.map(fragmentTiming);
  return {
    version,
    fragments: fragments.map((f) => Buffer.from(f, 'utf8')),
    timings,
    zones: [...new Set(timings.map((t) => t.timeZone))],
    bodies: new Map(),
  };
}

const OPEN = Buffer.from('{"data":[');
const COMMA = Buffer.from(',');

export function liveBody(loc: CompiledLocation, atMs: number): LiveBody {
  const clocks = new Map<string, LocalClock>(loc.zones.map((z) => [z, localClock(atMs, z)]));
  let mask = '';
  for (const t of loc.timings) mask += isLiveOnClock(t.timing, clocks.get(t.timeZone)!) ? '1' : '0';
  const cached = loc.bodies.get(mask);
  if (cached) return cached;
  const parts: Buffer[] = [OPEN];
  let count = 0;
  for (let i = 0; i < loc.fragments.length; i += 1) {
    if (mask.charCodeAt(i) !== 49) continue; // '1'
    if (count > 0) parts.push(COMMA);
    parts.push(loc.fragments[i]!);
    count += 1;
  }
  parts.push(Buffer.from(`],"count":${count}}`));
  const body = Buffer.concat(parts);
  const entry = { body, count, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
  if (loc.bodies.size >= MAX_BODIES) loc.bodies.delete(loc.bodies.keys().next().value!);
  loc.bodies.set(mask, entry);
  return entry;
}

/** `If-None-Match` against an ETag (comma lists, weak validators and `*`). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/**
 * Fetching a store's inventory from Dutchie POS (`GET /reporting/inventory`, HTTP Basic with the
 * location's key). 429: honour Retry-After, else back off 1, 2, 4, 8 s; any other failure or an
 * unreadable body is a failed fetch (never an empty inventory). The key never appears in errors.
 */
import { z } from 'zod';
import type { InventoryFetch } from './inventory-diff';

export interface PosInventoryFetchDeps {
  baseUrl: string;
  apiKey: string;
  /** the store's POS LocId, sent as `LocId` (the sandbox's keys are per LSP; real Dutchie ignores it) */
  locId?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  maxAttempts?: number;
}

const body = z.array(z.record(z.string(), z.unknown()));
const BACKOFF_MS = [1000, 2000, 4000, 8000];

export async function fetchPosInventory(deps: PosInventoryFetchDeps): Promise<InventoryFetch> {
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxAttempts = deps.maxAttempts ?? 5;
  const auth = `Basic ${Buffer.from(`${deps.apiKey}:`).toString('base64')}`;
  for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
    let res: Response;
    try {
      const url = new URL('/reporting/inventory', deps.baseUrl);
      if (deps.locId !== undefined) url.searchParams.set('LocId', String(deps.locId));
      res = await doFetch(url, { headers: { authorization: auth, accept: 'application/json' } });
    } catch (e) {
      return { ok: false, reason: `network error: ${(e as Error).name}` };
    }
    if (res.status === 429) {
      const retryAfter = Number(res.headers.get('retry-after'));
      await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!);
      continue;
    }
    if (res.status === 401 || res.status === 403) return { ok: false, reason: `HTTP ${res.status} (the POS key was refused)`, rejected: true };
    if (!res.ok) return { ok: false, reason: `HTTP ${res.status}` };
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      return { ok: false, reason: 'body is not JSON (truncated?)' };
    }
    const parsed = body.safeParse(json);
    return parsed.success ? { ok: true, records: parsed.data } : { ok: false, reason: 'body is not an array of records' };
  }
  return { ok: false, reason: `still rate-limited after ${maxAttempts} attempts` };
}

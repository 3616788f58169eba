/**
 * The store directory's decisions, pure: the chain's stores as its CMS (Strapi, external-apis.md §6) or a
 * JSON file lists them, turned into `locations` rows, per-store POS keys and withdrawals.
 *
 * - A store is listed when `is_active` is true; it is WITHDRAWN (its deals and inventory removed) only when
 *   `is_active` is false, a deliberate act in the CMS. An entry without `is_active`, an unusable entry, or a
 *   store missing from the listing changes nothing for that store (logged): a partial listing never removes.
 * - Its id is `DutchieStoreID` (the storefront's id: opaque text). Its POS LocId, city and state come from
 *   Dutchie's `/whoami` with its POS key (`dutchieApiKey`); a store without a key gives them as `DutchieLocId`,
 *   `city`, `state`. The time zone follows the state unless `timezone` is given. `DutchieLspId`/`DutchieOrgId`
 *   name its LSP and Backoffice organisation, else the chain's (`DUTCHIE_LSP_ID`, `DUTCHIE_ORG_ID`).
 * - When /whoami fails for a known store, the row keeps what it had; a new store that cannot be placed waits.
 */
import { z } from 'zod';
import type { DutchieApi } from '../../shared/db/schema';
import { isLocationId } from '../../shared/location-id';
import type { Whoami } from './sources';

/** Time zones by state (external-apis.md §6). */
export const TIME_ZONE_OF_STATE: Readonly<Record<string, string>> = {
  AZ: 'America/Phoenix', FL: 'America/New_York', IL: 'America/Chicago', MO: 'America/Chicago', MI: 'America/Detroit', NV: 'America/Los_Angeles',
};
const STATE_NAMES: Readonly<Record<string, string>> = { ARIZONA: 'AZ', FLORIDA: 'FL', ILLINOIS: 'IL', MISSOURI: 'MO', MICHIGAN: 'MI', NEVADA: 'NV' };

const optInt = z.number().int().nullish().transform((v) => v ?? null);
const optText = z.string().nullish().transform((v) => (v === null || v === undefined || v.trim() === '' ? null : v.trim()));

/** One entry of the directory (the CMS's fields; others are ignored). */
export const DirectoryEntry = z.object({
  id: z.union([z.number(), z.string()]).nullish(),
  documentId: optText,
  name: z.string().trim().min(1),
  slug: optText,
  is_active: z.boolean().nullish(),
  dutchieApiKey: optText,
  DutchieStoreID: optText,
  DutchieLocId: optInt,
  DutchieLspId: optInt,
  DutchieOrgId: optInt,
  city: optText,
  state: optText,
  timezone: optText,
});
export type DirectoryEntry = z.infer<typeof DirectoryEntry>;

/** The columns of `locations` the directory owns (odoo_store_id and created_at are left as they are). */
export interface DirectoryRow {
  id: string; name: string; city: string | null; slug: string | null; state: string; time_zone: string;
  lsp_id: number; pos_loc_id: number; dutchie_api: DutchieApi; org_id: number | null; has_store_key: boolean;
}

export interface CurrentLocation { id: string; name: string; state: string; time_zone: string; pos_loc_id: number; lsp_id: number; org_id: number | null; city: string | null }

export interface Withdrawal { id: string; name: string; state: string; timeZone: string; posLocId: number; reason: string }

export interface DirectoryPlan {
  rows: DirectoryRow[];
  withdrawals: Withdrawal[];
  /** each listed store's own POS key, by store id (kept in memory only) */
  keys: Map<string, string>;
  skipped: Array<{ entry: string; reason: string }>;
  /** stores in `locations` the directory did not list (kept as they are) */
  unlisted: string[];
}

export type WhoamiResult = { kind: 'ok'; who: Whoami } | { kind: 'failed'; reason: string };

const label = (e: { name?: unknown; DutchieStoreID?: unknown; id?: unknown }): string =>
  typeof e.name === 'string' && e.name !== '' ? `${e.name}${typeof e.DutchieStoreID === 'string' ? ` (${e.DutchieStoreID})` : ''}` : `entry ${typeof e.id === 'number' || typeof e.id === 'string' ? e.id : '?'}`;

export function stateCode(v: string | null): string | null {
  if (v === null) return null;
  const t = v.trim().toUpperCase();
  return /^[A-Z]{2}$/.test(t) ? t : STATE_NAMES[t] ?? null;
}

/** The keyed entries whose store /whoami must place (id -> key), from the raw listing. */
export function keysToResolve(raw: readonly unknown[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of raw) {
    const e = DirectoryEntry.safeParse(r);
    if (e.success && e.data.is_active === true && e.data.DutchieStoreID !== null && e.data.dutchieApiKey !== null) out.set(e.data.DutchieStoreID, e.data.dutchieApiKey);
  }
  return out;
}

export function planDirectory(input: {
  entries: readonly unknown[];
  current: readonly CurrentLocation[];
  whoami: ReadonlyMap<string, WhoamiResult>;
  defaults: { lspId?: number; orgId?: number };
}): DirectoryPlan {
  const current = new Map(input.current.map((c) => [c.id, c]));
  const plan: DirectoryPlan = { rows: [], withdrawals: [], keys: new Map(), skipped: [], unlisted: [] };
  const seen = new Set<string>();
  const skip = (entry: string, reason: string): void => { plan.skipped.push({ entry, reason }); };
  for (const raw of input.entries) {
    const parsed = DirectoryEntry.safeParse(raw);
    if (!parsed.success) { skip(label((raw ?? {})), parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')); continue; }
    const e = parsed.data;
    const id = e.DutchieStoreID;
    if (id === null || !isLocationId(id)) { skip(label(e), 'no usable DutchieStoreID (1-64 letters, digits or "-")'); continue; }
    if (seen.has(id)) { skip(label(e), 'DutchieStoreID listed twice: the first entry is used'); continue; }
    seen.add(id);
    const known = current.get(id);
    if (e.is_active === false) {
      if (known) plan.withdrawals.push({ id, name: known.name, state: known.state, timeZone: known.time_zone, posLocId: known.pos_loc_id, reason: 'marked inactive in the store directory' });
      continue;
    }
    if (e.is_active !== true) { skip(label(e), 'is_active is not set: neither listed nor withdrawn'); continue; }
    const who = e.dutchieApiKey === null ? undefined : input.whoami.get(id);
    const placed = who?.kind === 'ok' ? who.who : undefined;
    const posLocId = placed?.locationId ?? e.DutchieLocId ?? known?.pos_loc_id ?? null;
    const state = stateCode(placed?.state ?? null) ?? stateCode(e.state) ?? known?.state ?? null;
    const timeZone = e.timezone ?? (state === null ? undefined : TIME_ZONE_OF_STATE[state]) ?? null;
    const lspId = e.DutchieLspId ?? input.defaults.lspId ?? known?.lsp_id ?? null;
    const whyNot = posLocId === null ? `no POS LocId (${who?.kind === 'failed' ? `/whoami failed: ${who.reason}` : 'no POS key for /whoami, no DutchieLocId'})`
      : state === null ? 'no state (from /whoami or the entry)'
        : timeZone === null ? `no time zone for state ${state} (give "timezone")`
          : lspId === null ? 'no LSP id (DutchieLspId, or DUTCHIE_LSP_ID for the chain)' : null;
    if (whyNot !== null || posLocId === null || state === null || timeZone === null || lspId === null) { skip(label(e), whyNot ?? 'incomplete'); continue; }
    plan.rows.push({
      id, name: e.name, city: placed?.city ?? e.city ?? known?.city ?? null, slug: e.slug, state, time_zone: timeZone,
      lsp_id: lspId, pos_loc_id: posLocId, dutchie_api: e.dutchieApiKey === null ? 'backoffice' : 'pos', org_id: e.DutchieOrgId ?? input.defaults.orgId ?? known?.org_id ?? null,
      has_store_key: e.dutchieApiKey !== null,
    });
    if (e.dutchieApiKey !== null) plan.keys.set(id, e.dutchieApiKey);
  }
  plan.unlisted = input.current.filter((c) => !seen.has(c.id)).map((c) => c.id);
  return plan;
}

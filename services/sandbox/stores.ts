/**
 * The sandbox's stores: one AZ store that serves the recorded fixture exactly, and generated stores in
 * every market (AZ on the POS API; FL, IL, MI, MO, NV on the Backoffice API). Deterministic for a seed:
 * the same seed gives the same UUIDs, LSPs, LocIds and OrgIds, so tests and the demo can rely on them.
 */
import { createHash } from 'node:crypto';

export const MARKETS = [
  { state: 'AZ', timeZone: 'America/Phoenix', api: 'pos' },
  { state: 'FL', timeZone: 'America/New_York', api: 'backoffice' },
  { state: 'IL', timeZone: 'America/Chicago', api: 'backoffice' },
  { state: 'MI', timeZone: 'America/Detroit', api: 'backoffice' },
  { state: 'MO', timeZone: 'America/Chicago', api: 'backoffice' },
  { state: 'NV', timeZone: 'America/Los_Angeles', api: 'backoffice' },
] as const;
export type Market = (typeof MARKETS)[number]['state'];

export interface SandboxStore {
  /** the store's id in the chain's CMS (DutchieStoreID): a UUID for most stores, 24 hex digits for one */
  id: string;
  name: string;
  city: string;
  /** the storefront's URL slug */
  slug: string;
  state: Market;
  timeZone: string;
  lspId: number;
  posLocId: number;
  /** how the store is read when nothing fails: 'pos' stores have a POS key (one per store), 'backoffice' ones none */
  api: 'pos' | 'backoffice';
  /** the Backoffice organisation: every store is in Backoffice (a POS store is read there when its key is revoked) */
  orgId: number | null;
  /** the store's id in the sandbox Odoo (`mint.store`), set when Odoo is seeded */
  odooStoreId: number;
  /** 'fixture' serves services/sandbox/data/az-store-discounts.json as recorded */
  kind: 'fixture' | 'generated';
}

/** The recorded store: its LocId is one the fixture's location-restricted deals name (1568). */
export const FIXTURE_STORE = {
  id: '3f6b0a52-8c1d-4e2a-9b7f-5d0c1e2a6b91', name: 'Mint Tempe (recorded)', city: 'Tempe', slug: 'mint-tempe', state: 'AZ', timeZone: 'America/Phoenix',
  lspId: 100, posLocId: 1568, api: 'pos', orgId: 9100, kind: 'fixture',
} as const satisfies Omit<SandboxStore, 'odooStoreId'>;

/** 24 hex digits derived from a seed and a name: the shape of the one real store id that is not a UUID. */
export function seededHexId(seed: number, name: string): string {
  return createHash('sha256').update(`${seed}:${name}`).digest('hex').slice(0, 24);
}

/** `Mint Las Vegas #5031` -> `mint-las-vegas-5031` */
export function slugOf(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** A UUID (v4 layout) derived from a seed and a name. */
export function seededUuid(seed: number, name: string): string {
  const h = createHash('sha256').update(`${seed}:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const CITIES: Record<Market, string[]> = {
  AZ: ['Phoenix', 'Mesa', 'Scottsdale', 'Tucson', 'Chandler', 'Flagstaff'],
  FL: ['Miami', 'Orlando', 'Tampa', 'Jacksonville', 'Tallahassee', 'Naples'],
  IL: ['Chicago', 'Springfield', 'Peoria', 'Rockford', 'Naperville', 'Joliet'],
  MI: ['Detroit', 'Ann Arbor', 'Lansing', 'Grand Rapids', 'Kalamazoo', 'Flint'],
  MO: ['St. Louis', 'Kansas City', 'Springfield', 'Columbia', 'Joplin', 'Branson'],
  NV: ['Las Vegas', 'Reno', 'Henderson', 'Sparks', 'Carson City', 'Elko'],
};

/**
 * Generated stores: per market `lspsPerMarket` LSPs with `storesPerLsp` locations each. LSP ids are
 * 200 + market*1000 + n, LocIds 5000 + running number, OrgIds (Backoffice, every store) 9000 + LSP id.
 */
export function generatedStores(seed: number, lspsPerMarket: number, storesPerLsp: number): Array<Omit<SandboxStore, 'odooStoreId'>> {
  const out: Array<Omit<SandboxStore, 'odooStoreId'>> = [];
  let loc = 5000;
  MARKETS.forEach((m, mi) => {
    for (let l = 0; l < lspsPerMarket; l++) {
      const lspId = 200 + mi * 1000 + l;
      for (let s = 0; s < storesPerLsp; s++) {
        const city = CITIES[m.state][(l * storesPerLsp + s) % CITIES[m.state].length]!;
        const posLocId = loc++;
        const name = `Mint ${city} #${posLocId}`;
        // like the real chain, one store's CMS id is not a UUID: the first Nevada store's
        const id = m.state === 'NV' && l === 0 && s === 0 ? seededHexId(seed, `store-${lspId}-${posLocId}`) : seededUuid(seed, `store-${lspId}-${posLocId}`);
        out.push({
          id, name, city, slug: slugOf(name), state: m.state, timeZone: m.timeZone,
          lspId, posLocId, api: m.api, orgId: 9000 + lspId, kind: 'generated',
        });
      }
    }
  });
  return out;
}

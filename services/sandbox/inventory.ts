/**
 * Sandbox inventory as Dutchie sends it (external-apis.md §5): the POS `GET /reporting/inventory`
 * record (camelCase) and its Backoffice form (PascalCase, the same rule as the sandbox's discount
 * records), over the sandbox catalog (services/sandbox/catalog.ts, the generator the deals'
 * restrictions are drawn from, so brand, category and product ids agree).
 *
 * Fidelity that matters to a mapping: one record per inventory PACKAGE (`inventoryId`), so some
 * products come as two or three packages sharing `productId` and `sku`; `isActive` is usually
 * absent (a few records say false); `price`, `recPrice` and `medPrice` are absent (the price is
 * `unitPrice`, then `recUnitPrice`); ids, prices and quantities are JSON numbers; accessories and
 * merch are not cannabis; potency (`effectivePotencyMg`, `labResults`) and `imageUrl` appear on
 * some records only, and fields the feed has no value for are absent rather than null.
 * Deterministic: the same seed and store give the same inventory.
 */
import { lspCatalog, locationProducts, pick, prng, subSeed, type LspCatalog, type Product } from './catalog';

/** A lab result line of the feed (`labResults[]`). */
export interface DutchieLabResult { labTest: string; value: number; labResultUnit: 'Percentage' | 'Milligrams' }

/** One record of the POS reporting-inventory feed, as far as the sandbox fills it. */
export interface DutchieInventoryRecord {
  inventoryId: number;
  productId: number;
  sku: string;
  productName: string;
  alternateName?: string;
  description?: string;
  category: string;
  categoryId: number;
  masterCategory: string;
  brandName: string;
  brandId: number;
  strain?: string;
  strainId?: number;
  strainType?: string;
  vendor: string;
  vendorId: number;
  producer?: string;
  producerId?: number;
  size?: string;
  unitWeight?: number;
  unitWeightUnit?: string;
  unitPrice: number;
  recUnitPrice: number;
  medUnitPrice?: number;
  unitCost: number;
  pricingTierName?: string;
  quantityAvailable: number;
  allocatedQuantity: number;
  quantityUnits: string;
  isCannabis: boolean;
  isActive?: boolean;
  medicalOnly: boolean;
  imageUrl?: string;
  tags: Array<{ tagId: number; tagName: string }>;
  effectivePotencyMg?: number;
  potencyIndicator?: string;
  flowerEquivalent?: number;
  recFlowerEquivalent?: number;
  flowerEquivalentUnits?: string;
  batchId: number;
  batchName: string;
  packageId: string;
  packageStatus: string;
  externalPackageId: string;
  labResults?: DutchieLabResult[];
  labTestStatus?: string;
  testedDate?: string;
  packagedDate: string;
  expirationDate?: string;
  roomQuantities: Array<{ roomId: number; room: string; quantity: number }>;
  lastModifiedDateUtc: string;
}

const STRAINS = ['Desert Kush', 'Blue Dream', 'Gelato', 'OG Kush', 'Sour Diesel', 'Wedding Cake', 'Runtz', 'GMO'] as const;
const STRAIN_TYPES = ['Indica', 'Sativa', 'Hybrid'] as const;
const TAGS = [{ tagId: 41, tagName: 'Staff Pick' }, { tagId: 42, tagName: 'New Arrival' }, { tagId: 43, tagName: 'Local' }] as const;
/** categories whose products are not cannabis (the storefront lists only cannabis) */
export const NON_CANNABIS_MASTER_CATEGORIES = ['Accessories', 'Merch'] as const;
const EDIBLE_MASTERS = ['Edibles', 'Tinctures', 'Topicals'];

// weights as POS catalogs show them: an eighth is 3.54 g, an ounce 28.35 g (deals say 3.5 and 28)
const SHOWN_WEIGHT: Record<string, number> = { '3.5': 3.54, '7': 7.09, '14': 14.17, '28': 28.35 };

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10) + 'T00:00:00Z';
const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The packages (1 to 3) of one catalog product as POS reporting-inventory records. */
export function toPosInventory(seed: number, catalog: LspCatalog, posLocId: number, product: Product, index: number): DutchieInventoryRecord[] {
  const rand = prng(subSeed(seed, 'inventory', product.id));
  const brand = catalog.brands.find((b) => b.id === product.brandId)!;
  const category = catalog.categories.find((c) => c.id === product.categoryId)!;
  const cannabis = !(NON_CANNABIS_MASTER_CATEGORIES as readonly string[]).includes(category.masterCategory);
  const edible = EDIBLE_MASTERS.includes(category.masterCategory);
  const strain = pick(rand, STRAINS);
  const strainType = pick(rand, STRAIN_TYPES);
  const r = rand();
  const packages = r < 0.7 ? 1 : r < 0.93 ? 2 : 3;
  const withImage = rand() < 0.6;
  const withLab = cannabis && rand() < 0.7;
  const tag = rand();
  const tags = tag < 0.2 ? [TAGS[0]] : tag < 0.3 ? [TAGS[1]] : tag < 0.35 ? [TAGS[0], TAGS[2]] : [];
  const thc = round2(15 + rand() * 17);
  const cbd = round2(rand() * 1.5);
  const medicalOnly = cannabis && rand() < 0.03;
  const unitPrice = Number(product.price); // two decimals in the catalog: exact as a JSON number
  const base = Date.UTC(2026, 9, 1) + (product.id % 60) * 86_400_000;
  return Array.from({ length: packages }, (_, p) => {
    const inventoryId = posLocId * 100000 + index * 4 + p + 1;
    const batchId = product.id * 10 + p;
    const record: DutchieInventoryRecord = {
      inventoryId,
      productId: product.id,
      sku: product.sku,
      productName: product.name,
      ...(rand() < 0.4 ? { description: `${brand.name} ${category.name.toLowerCase()}${cannabis ? `, ${strainType.toLowerCase()}` : ''}.` } : {}),
      category: category.name,
      categoryId: category.id,
      masterCategory: category.masterCategory,
      brandName: brand.name,
      brandId: brand.id,
      ...(cannabis ? { strain, strainId: 500 + STRAINS.indexOf(strain), strainType } : {}),
      vendor: `${brand.name} LLC`,
      vendorId: brand.id + 500000,
      ...(cannabis ? { producer: `${brand.name} Cultivation`, producerId: brand.id + 600000 } : {}),
      ...(product.weightGrams !== null
        ? { size: `${product.weightGrams}g`, unitWeight: SHOWN_WEIGHT[product.weightGrams] ?? Number(product.weightGrams), unitWeightUnit: 'g' }
        : {}),
      unitPrice,
      recUnitPrice: unitPrice,
      ...(cannabis && rand() < 0.5 ? { medUnitPrice: round2(unitPrice * 0.9) } : {}),
      unitCost: round2(unitPrice * 0.45),
      ...(product.weightGrams !== null ? { pricingTierName: `${category.masterCategory} ${product.weightGrams}g` } : {}),
      // a package that sold out may stay in the feed with quantity 0
      quantityAvailable: p > 0 && rand() < 0.3 ? 0 : Math.floor(rand() * 60),
      allocatedQuantity: Math.floor(rand() * 3),
      quantityUnits: 'Each',
      isCannabis: cannabis,
      ...(rand() < 0.02 ? { isActive: false } : {}),
      medicalOnly,
      ...(withImage ? { imageUrl: `https://images.sandbox.dealstream.test/products/${product.id}.jpg` } : {}),
      tags: [...tags],
      ...(edible ? { effectivePotencyMg: pick(rand, [50, 100, 200]), potencyIndicator: 'Milligrams' } : cannabis ? { potencyIndicator: 'Percentage' } : {}),
      ...(cannabis && product.weightGrams !== null
        ? { flowerEquivalent: Number(product.weightGrams), recFlowerEquivalent: Number(product.weightGrams), flowerEquivalentUnits: 'g' }
        : {}),
      batchId,
      batchName: `B-${batchId}`,
      packageId: `1A40603000${String(inventoryId).padStart(14, '0')}`,
      packageStatus: 'Active',
      externalPackageId: `EXT-${inventoryId}`,
      ...(withLab
        ? {
            labResults: edible
              ? [{ labTest: 'THC', value: 10, labResultUnit: 'Milligrams' as const }, { labTest: 'CBD', value: round2(cbd * 2), labResultUnit: 'Milligrams' as const }]
              : [{ labTest: 'THC', value: thc, labResultUnit: 'Percentage' as const }, { labTest: 'CBD', value: cbd, labResultUnit: 'Percentage' as const }],
            labTestStatus: 'Passed', testedDate: isoDay(base - 20 * 86_400_000),
          }
        : {}),
      packagedDate: isoDay(base - 10 * 86_400_000),
      ...(cannabis ? { expirationDate: isoDay(base + 300 * 86_400_000) } : {}),
      roomQuantities: [{ roomId: 1, room: 'Sales Floor', quantity: 0 }],
      lastModifiedDateUtc: new Date(base).toISOString(),
    };
    record.roomQuantities[0]!.quantity = record.quantityAvailable;
    return record;
  });
}

/** The inventory of one store: its LSP's catalog, its own products, one record per package. */
export function storeInventory(seed: number, store: { lspId: number; posLocId: number }, count?: number): DutchieInventoryRecord[] {
  const catalog = lspCatalog(seed, store.lspId);
  return locationProducts(seed, catalog, store.posLocId, count).flatMap((p, i) => toPosInventory(seed, catalog, store.posLocId, p, i));
}

/** The Backoffice form of a record: every key PascalCase, recursively. */
export function toBackoffice(record: unknown): unknown {
  if (Array.isArray(record)) return record.map(toBackoffice);
  if (record !== null && typeof record === 'object') {
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), toBackoffice(v)]));
  }
  return record;
}

/**
 * The sandbox's live inventory: generated on first read per store, then changed through the admin
 * API (a package changed, added or sold out and gone), as a store's feed changes between polls.
 */
export class InventoryState {
  private readonly stores = new Map<number, Map<number, DutchieInventoryRecord>>();

  constructor(private readonly seed: number, private readonly storeOf: (posLocId: number) => { lspId: number; posLocId: number } | undefined) {}

  private packages(posLocId: number): Map<number, DutchieInventoryRecord> | undefined {
    let map = this.stores.get(posLocId);
    if (map === undefined) {
      const store = this.storeOf(posLocId);
      if (store === undefined) return undefined;
      map = new Map(storeInventory(this.seed, store).map((r) => [r.inventoryId, r]));
      this.stores.set(posLocId, map);
    }
    return map;
  }

  /** The store's records in feed order (undefined: no such store). */
  list(posLocId: number): DutchieInventoryRecord[] | undefined {
    const map = this.packages(posLocId);
    return map === undefined ? undefined : [...map.values()];
  }

  /** Changes fields of one package (a field set to null is removed, as the feed omits what it lacks). */
  patch(posLocId: number, inventoryId: number, fields: Record<string, unknown>): DutchieInventoryRecord | undefined {
    const current = this.packages(posLocId)?.get(inventoryId);
    if (current === undefined) return undefined;
    const next = { ...current, ...fields, inventoryId } as Record<string, unknown>;
    for (const [k, v] of Object.entries(next)) if (v === null) delete next[k];
    this.packages(posLocId)!.set(inventoryId, next as unknown as DutchieInventoryRecord);
    return next as unknown as DutchieInventoryRecord;
  }

  /** Adds a package (or replaces the one with its inventoryId). */
  put(posLocId: number, record: DutchieInventoryRecord): boolean {
    const map = this.packages(posLocId);
    if (map === undefined) return false;
    map.set(record.inventoryId, record);
    return true;
  }

  remove(posLocId: number, inventoryId: number): boolean {
    return this.packages(posLocId)?.delete(inventoryId) ?? false;
  }
}

/** Given-helpers for inventory tests: a canonical inventory item with defaults. */
import type { InventoryItem } from '../../shared/events';

export function anItem(over: Partial<InventoryItem> & { productId: string }): InventoryItem {
  const locationId = over.locationId ?? 'loc-1';
  return {
    id: `${locationId}_${over.productId}`,
    locationId,
    sku: `SKU-${over.productId}`,
    name: `Product ${over.productId}`,
    description: null,
    categoryId: '12',
    category: 'Flower',
    masterCategory: 'Flower',
    brandId: '301',
    brand: 'Sonoran Farms',
    strainId: null,
    strain: null,
    strainType: null,
    vendorId: null,
    vendor: null,
    pricingTierId: null,
    tagIds: [],
    weightGrams: '3.5',
    price: '40.00',
    quantity: '10',
    imageUrl: null,
    sourceApi: 'pos',
    contentHash: 'h',
    version: 1,
    ...over,
  };
}

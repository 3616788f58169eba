/** Given-helpers for inventory tests: a canonical inventory item with defaults. */
import type { Producer } from 'kafkajs';
import type { InventoryItem, ProductEnrichment } from '../../shared/events';
import { createProducer, ensureTopics } from '../../shared/kafka';
import { TOPICS, topicName } from '../../shared/topics';
import type { TestWorld } from './integration';

/** A canonical inventory package; `inventoryId` defaults to the product id (one package per product). */
export function anItem(over: Partial<InventoryItem> & { productId: string }): InventoryItem {
  const locationId = over.locationId ?? 'loc-1';
  const inventoryId = over.inventoryId ?? over.productId;
  return {
    id: `${locationId}_${inventoryId}`,
    locationId,
    inventoryId,
    sku: `SKU-${over.productId}`,
    name: `Product ${over.productId}`,
    alternateName: null,
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
    producer: null,
    pricingTierId: null,
    pricingTierName: null,
    tagIds: [],
    tags: [],
    size: null,
    weightGrams: '3.5',
    price: '40.00',
    unitPrice: over.price ?? '40.00',
    recUnitPrice: null,
    medUnitPrice: null,
    quantity: '10',
    isCannabis: true,
    isActive: true,
    medicalOnly: false,
    imageUrl: null,
    images: [],
    effectivePotencyMg: null,
    potencyIndicator: null,
    potencyThcFormatted: null,
    potencyCbdFormatted: null,
    unitThcContentDose: null,
    unitCbdContentDose: null,
    slug: null,
    effects: [],
    staffPick: false,
    sourceApi: 'pos',
    contentHash: 'h',
    version: 1,
    ...over,
  };
}

/** The world's inventory.items.v2 (+ DLQ) topics with the item schema registered, and a connected producer. */
export async function givenInventoryItemsTopic(world: TestWorld): Promise<Producer> {
  const admin = world.kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, world.topicPrefix, [TOPICS.inventoryItems, TOPICS.dlq], 3);
  } finally {
    await admin.disconnect();
  }
  await world.serde.register(topicName(world.topicPrefix, TOPICS.inventoryItems), TOPICS.inventoryItems.schema);
  const producer = createProducer(world.kafka);
  await producer.connect();
  return producer;
}

/** The Odoo catalog's enrichment of a SKU (products.enrichment.v1), nothing to add unless given. */
export function anEnrichment(over: Partial<ProductEnrichment> & { sku: string }): ProductEnrichment {
  return {
    odooId: 1, description: null, imageUrl: null, images: [], effects: [], tags: [], staffPick: false, slug: null,
    potencyThcFormatted: null, potencyCbdFormatted: null, contentHash: `h-${over.sku}`, version: 1, ...over,
  };
}

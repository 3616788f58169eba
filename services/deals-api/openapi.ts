/** The OpenAPI 3.1 document served at /openapi.json: the storefront's contract (storefront-contract.md). */
import { STOREFRONT_DISCOUNT_TYPES } from '../../shared/storefront';
import { DEAL_KINDS } from '../../shared/events';

const restriction = { type: ['object', 'null'], properties: { ids: { type: 'array', items: { type: 'number' } }, isExclusion: { type: 'boolean' } }, required: ['ids', 'isExclusion'] };
const error = { type: 'object', properties: { error: { type: 'string' }, reason: { type: 'string' } }, required: ['error'] };
const notFound = { description: 'unknown, malformed or not ready location (never a 400): `{"error":"Location not found or cache not ready"}`', content: { 'application/json': { schema: error } } };
const idParam = { name: 'id', in: 'path', required: true, description: 'the store\'s id in the chain\'s CMS (a UUID for most stores, not always): letters, digits and "-"', schema: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' } };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const text = { type: ['string', 'null'] };
const dec4 = { type: ['string', 'null'], description: 'decimal string with 4 places ("45.0000")' };
const strings = { type: 'array', items: { type: 'string' } };

const healthBody = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded', 'down'] },
    checks: { type: 'object', additionalProperties: { type: 'boolean' } },
    timestamp: { type: 'string', format: 'date-time' },
  },
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'dealstream deals API', version: '1.0.0', description: 'Deals live now at a store, for the storefront.' },
  paths: {
    '/health': { get: { responses: { 200: { description: 'ok, or degraded (Redis or Postgres out, still serving)', ...json(healthBody) }, 503: { description: 'down: nothing to serve from', ...json(healthBody) } } } },
    '/health/ready': { get: { responses: { 200: { description: 'can serve (ok or degraded)', ...json(healthBody) }, 503: { description: 'down', ...json(healthBody) } } } },
    '/health/live': { get: { responses: { 200: { description: 'the process answers', ...json(healthBody) } } } },
    '/api/locations': { get: { responses: { 200: { description: 'stores', ...json({ type: 'object', properties: { data: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, city: text, state: { type: 'string' }, slug: text } } }, count: { type: 'integer' } } }) } } } },
    '/api/locations/{id}/discounts': {
      get: {
        parameters: [idParam, { name: 'at', in: 'query', required: false, description: 'preview another instant (ISO 8601)', schema: { type: 'string', format: 'date-time' } },
          { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } }],
        responses: {
          200: { description: 'deals live at the instant', headers: { ETag: { schema: { type: 'string' } } }, ...json({ type: 'object', properties: { data: { type: 'array', items: { $ref: '#/components/schemas/Discount' } }, count: { type: 'integer' } } }) },
          304: { description: 'not modified' },
          400: { description: 'malformed at', ...json(error) },
          404: notFound,
          503: { description: 'not synced yet', headers: { 'Retry-After': { schema: { type: 'integer' } } }, ...json(error) },
        },
      },
    },
    '/api/locations/{id}/inventory': {
      get: {
        parameters: [idParam,
          { name: 'category', in: 'query', required: false, description: 'case-insensitive exact match on category OR master_category', schema: { type: 'string' } },
          { name: 'brand', in: 'query', required: false, description: 'case-insensitive substring of brand_name', schema: { type: 'string' } },
          { name: 'search', in: 'query', required: false, description: 'case-insensitive substring of product_name, brand_name or strain', schema: { type: 'string' } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 0, maximum: 10000, default: 100 } },
          { name: 'offset', in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 } }],
        responses: {
          200: { description: 'active packages ordered by product_name; total counts after the filters, before paging', ...json({ type: 'object', properties: { data: { type: 'array', items: { $ref: '#/components/schemas/InventoryItem' } }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } } }) },
          400: { description: 'malformed query value', ...json(error) }, 404: notFound,
        },
      },
    },
    '/api/locations/{id}/inventory/{sku}': {
      get: {
        parameters: [idParam, { name: 'sku', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: { description: 'the first package with this SKU, and its live deals as /discounts serves them', ...json({ type: 'object', properties: { data: { $ref: '#/components/schemas/InventoryItem' }, discounts: { type: 'array', items: { $ref: '#/components/schemas/Discount' } } } }) },
          404: { description: 'unknown location, not ready (`Location not found or cache not ready`), or no such SKU (`Item not found`)', ...json(error) },
        },
      },
    },
    '/api/locations/{id}/categories': { get: { parameters: [idParam], responses: { 200: { description: 'distinct non-empty values, sorted', ...json({ type: 'object', properties: { categories: strings, masterCategories: strings } }) }, 404: notFound } } },
    '/api/locations/{id}/brands': { get: { parameters: [idParam], responses: { 200: { description: 'distinct non-empty brand names, sorted', ...json({ type: 'object', properties: { brands: strings } }) }, 404: notFound } } },
    '/api/locations/{id}/sync-status': { get: { parameters: [idParam], responses: { 200: { description: 'last rebuild', ...json({ type: 'object', properties: { locationId: { type: 'string' }, lastSync: { type: ['string', 'null'] }, ageSeconds: { type: ['integer', 'null'] } } }) }, 404: notFound } } },
  },
  components: {
    schemas: {
      ItemDeal: {
        type: 'object',
        properties: {
          id: { type: 'string' }, discount_id: { type: 'string' }, name: { type: 'string' }, kind: { type: 'string' },
          tier: { type: 'integer', enum: [1, 2, 3, 4], description: '1 product, 2 category, 3 brand, 4 store-wide' }, tier_name: { type: 'string' },
          unit_price: { type: ['string', 'null'], description: 'decimal string; null for offers' }, savings: { type: ['string', 'null'] },
          offer: { type: ['object', 'null'], description: 'bundle / bogo / amount_off_total / loyalty terms' },
        },
      },
      InventoryItem: {
        type: 'object',
        description: 'one inventory package, in the original service\'s shape and types; deal_price, best_deal and deals are ours (the storefront computes discounted_price itself)',
        properties: {
          id: { type: 'string', description: '{locationId}_{inventoryId}' }, location_id: { type: 'string' }, inventory_id: { type: 'string' }, product_id: { type: 'string' },
          sku: text, product_name: text, alternate_name: text, description: text, category: text, master_category: text, brand_name: text,
          strain: text, strain_type: text, price: dec4, unit_price: dec4, rec_unit_price: dec4, med_unit_price: dec4, quantity_available: { type: 'string', description: 'decimal string with 4 places' },
          is_active: { type: 'boolean' }, is_cannabis: { type: 'boolean' }, slug: text, effects: strings, tags: strings,
          images: { type: 'array', items: { type: 'object', properties: { url: { type: 'string' } } } }, image_url: text, staff_pick: { type: 'boolean' },
          potency_thc_formatted: text, potency_cbd_formatted: text, effective_potency_mg: dec4, unit_thc_content_dose: dec4, unit_cbd_content_dose: dec4,
          synced_at: { type: 'string', format: 'date-time' }, category_id: text, brand_id: text, vendor: text, size: text, weight_grams: text, medical_only: { type: 'boolean' },
          deal_price: { type: ['string', 'null'], description: 'our best live unit price (2 places), null when no percent/flat/price-to deal applies' },
          best_deal: { oneOf: [{ $ref: '#/components/schemas/ItemDeal' }, { type: 'null' }] }, deal_count: { type: 'integer', description: 'live deals that apply' },
          deals: { type: 'array', items: { $ref: '#/components/schemas/ItemDeal' }, description: 'every live deal, most specific first: only on /inventory/{sku}' },
        },
      },
      Discount: {
        type: 'object',
        properties: {
          id: { type: 'string', description: '{locationId}_{discountId}' }, location_id: { type: 'string' }, discount_id: { type: 'number' },
          source: { type: 'string', enum: ['dutchie', 'ptl'] }, discount_name: { type: 'string' }, discount_code: { type: ['string', 'null'] },
          discount_type: { type: 'string', enum: Object.values(STOREFRONT_DISCOUNT_TYPES), description: 'the storefront prices a type containing "Percent" or "Price To Amount" and shows the name alone for the others' },
          deal_kind: { type: 'string', enum: [...DEAL_KINDS], description: 'our canonical kind' },
          calculation_method_id: { type: ['integer', 'null'] },
          discount_amount: { type: ['number', 'null'], description: 'percent as a 0-1 fraction' }, is_active: { type: 'boolean' }, is_available_online: { type: 'boolean' },
          valid_from: { type: ['string', 'null'], format: 'date-time' }, valid_until: { type: ['string', 'null'], format: 'date-time', description: 'exclusive' },
          products: restriction, product_categories: restriction, brands: restriction,
          weekly_recurrence_info: { type: 'object', description: 'monday..sunday booleans, start_time/end_time local HH:MM:SS or null, time_zone (IANA)' },
          first_time_customer_only: { type: 'boolean' }, minimum_items_required: { type: ['integer', 'null'] }, synced_at: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} as const;

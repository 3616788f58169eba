/** The OpenAPI 3.1 document served at /openapi.json (the storefront contract, external-apis.md §4). */
const restriction = { type: ['object', 'null'], properties: { ids: { type: 'array', items: { type: 'number' } }, isExclusion: { type: 'boolean' } }, required: ['ids', 'isExclusion'] };
const error = { type: 'object', properties: { error: { type: 'string' }, reason: { type: 'string' } }, required: ['error', 'reason'] };
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });

export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'dealstream deals API', version: '1.0.0', description: 'Deals live now at a store, for the storefront.' },
  paths: {
    '/health': { get: { responses: { 200: { description: 'up', ...json({ type: 'object', properties: { status: { type: 'string' }, timestamp: { type: 'string', format: 'date-time' } } }) }, 503: { description: 'degraded' } } } },
    '/api/locations': { get: { responses: { 200: { description: 'stores', ...json({ type: 'object', properties: { data: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } } }, count: { type: 'integer' } } }) } } } },
    '/api/locations/{id}/discounts': {
      get: {
        parameters: [idParam, { name: 'at', in: 'query', required: false, description: 'preview another instant (ISO 8601)', schema: { type: 'string', format: 'date-time' } },
          { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } }],
        responses: {
          200: { description: 'deals live at the instant', headers: { ETag: { schema: { type: 'string' } } }, ...json({ type: 'object', properties: { data: { type: 'array', items: { $ref: '#/components/schemas/Discount' } }, count: { type: 'integer' } } }) },
          304: { description: 'not modified' },
          400: { description: 'malformed id or at', ...json(error) },
          404: { description: 'unknown location', ...json(error) },
          503: { description: 'not synced yet', headers: { 'Retry-After': { schema: { type: 'integer' } } }, ...json(error) },
        },
      },
    },
    // inventory with server-computed deal prices (issue 6)
    '/api/locations/{id}/inventory': {
      get: {
        parameters: [idParam,
          { name: 'category', in: 'query', required: false, description: 'category name (case-insensitive) or id', schema: { type: 'string' } },
          { name: 'brand', in: 'query', required: false, description: 'brand name (case-insensitive) or id', schema: { type: 'string' } },
          { name: 'search', in: 'query', required: false, description: 'in name, brand, strain, SKU, category', schema: { type: 'string' } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
          { name: 'offset', in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 } }],
        responses: {
          200: { description: 'items with their live deals', ...json({ type: 'object', properties: { data: { type: 'array', items: { $ref: '#/components/schemas/InventoryItem' } }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } } }) },
          400: { description: 'bad filter', ...json(error) }, 404: { description: 'unknown location or inventory not ready', ...json(error) },
        },
      },
    },
    '/api/locations/{id}/inventory/{sku}': {
      get: {
        parameters: [idParam, { name: 'sku', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          200: { description: 'one item and its live deals', ...json({ type: 'object', properties: { data: { $ref: '#/components/schemas/InventoryItem' }, discounts: { type: 'array', items: { $ref: '#/components/schemas/ItemDeal' } } } }) },
          404: { description: 'unknown location, not ready, or no such SKU', ...json(error) },
        },
      },
    },
    '/api/locations/{id}/categories': { get: { parameters: [idParam], responses: { 200: { description: 'category names', ...json({ type: 'object', properties: { categories: { type: 'array', items: { type: 'string' } }, masterCategories: { type: 'array', items: { type: 'string' } } } }) }, 404: { description: 'unknown location or inventory not ready', ...json(error) } } } },
    '/api/locations/{id}/brands': { get: { parameters: [idParam], responses: { 200: { description: 'brand names', ...json({ type: 'object', properties: { brands: { type: 'array', items: { type: 'string' } } } }) }, 404: { description: 'unknown location or inventory not ready', ...json(error) } } } },
    '/api/locations/{id}/sync-status': { get: { parameters: [idParam], responses: { 200: { description: 'last rebuild', ...json({ type: 'object', properties: { locationId: { type: 'string' }, lastSync: { type: ['string', 'null'] }, ageSeconds: { type: ['integer', 'null'] } } }) }, 400: { description: 'malformed id', ...json(error) }, 404: { description: 'unknown location', ...json(error) } } } },
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
        properties: {
          id: { type: 'string' }, location_id: { type: 'string' }, product_id: { type: 'string' }, sku: { type: 'string' }, name: { type: 'string' },
          category: { type: ['string', 'null'] }, brand: { type: ['string', 'null'] }, weight_grams: { type: ['string', 'null'] },
          price: { type: 'string', description: 'decimal string' }, quantity: { type: 'string' },
          discounted_price: { type: ['string', 'null'], description: 'best live unit price, null when no percent/flat/price-to deal applies' },
          deal: { oneOf: [{ $ref: '#/components/schemas/ItemDeal' }, { type: 'null' }] }, deals: { type: 'array', items: { $ref: '#/components/schemas/ItemDeal' } },
        },
      },
      Discount: {
        type: 'object',
        properties: {
          id: { type: 'string', description: '{locationUUID}_{discountId}' }, location_id: { type: 'string' }, discount_id: { type: 'number' },
          source: { type: 'string', enum: ['dutchie', 'ptl'] }, discount_name: { type: 'string' }, discount_code: { type: ['string', 'null'] },
          discount_type: { type: 'string', enum: ['percent', 'flat', 'price_to_amount', 'amount_off_total', 'bundle', 'bogo', 'loyalty'] },
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

import { addressList, createNegativeCache, routeTemplate } from './abuse';

describe('metric route labels', () => {
  it('are route templates, never a client-chosen path', () => {
    expect(routeTemplate('/api/locations/abc/discounts')).toBe('/api/locations/:id/discounts');
    expect(routeTemplate('/api/locations/abc/inventory')).toBe('/api/locations/:id/inventory');
    expect(routeTemplate('/api/locations/abc/inventory/SKU-1')).toBe('/api/locations/:id/inventory/:sku');
    expect(routeTemplate('/api/locations/abc/sync-status')).toBe('/api/locations/:id/sync-status');
    expect(routeTemplate('/api/locations')).toBe('/api/locations');
    expect(routeTemplate('/health')).toBe('/health');
    // 900 made-up SKUs and sub-paths under a store: two labels, not 900
    const labels = new Set(Array.from({ length: 900 }, (_, i) => routeTemplate(i % 2 ? `/api/locations/x${i}/inventory/made-up-${i}` : `/api/locations/x${i}/${'made-up/'.repeat(i % 5)}${i}`)));
    expect([...labels].sort()).toEqual(['/api/locations/:id/inventory/:sku', 'unmatched']);
  });
});

describe('negative cache of unknown location ids', () => {
  it('answers for its time to live, then forgets', () => {
    let t = 0;
    const c = createNegativeCache({ ttlMs: 1000, max: 10, now: () => t });
    c.add('ghost');
    expect(c.has('ghost')).toBe(true);
    t = 999;
    expect(c.has('ghost')).toBe(true);
    t = 1000;
    expect(c.has('ghost')).toBe(false);
    expect(c.has('other')).toBe(false);
  });

  it('is bounded: a flood of made-up ids pushes out the oldest', () => {
    const c = createNegativeCache({ ttlMs: 60_000, max: 100, now: () => 0 });
    for (let i = 0; i < 10_000; i += 1) c.add(`ghost-${i}`);
    expect(c.size).toBe(100);
    expect(c.has('ghost-0')).toBe(false);
    expect(c.has('ghost-9999')).toBe(true);
  });

  it('remembers nothing with a zero time to live', () => {
    const c = createNegativeCache({ ttlMs: 0, max: 100, now: () => 0 });
    c.add('ghost');
    expect(c.has('ghost')).toBe(false);
  });
});

describe('rate-limit exemptions', () => {
  it('take addresses and CIDR blocks, IPv4 and IPv6, and refuse anything else', () => {
    const list = addressList(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32']);
    expect(list.check('10.1.2.3', 'ipv4')).toBe(true);
    expect(list.check('192.168.1.7', 'ipv4')).toBe(true);
    expect(list.check('192.168.1.8', 'ipv4')).toBe(false);
    expect(list.check('2001:db8::1', 'ipv6')).toBe(true);
    expect(() => addressList(['storefront.example.com'])).toThrow(/not an IP address/);
  });
});

/**
 * The normaliser against the shapes the sandbox (the stand-in for Dutchie and Odoo) actually
 * serves: its Backoffice form of every fixture record, and a PTL deal published in its Odoo and
 * read back with search_read, as the poller does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { toBackoffice } from '../sandbox/dutchie-record';
import { OdooStore } from '../sandbox/odoo-store';
import { publishPtlDeal } from '../sandbox/odoo-ptl';
import { handle } from './handler';
import { LOCATION, ptlEvent, rawEvent } from './test-records';

const fixture = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../sandbox/data/az-store-discounts.json'), 'utf8')) as Array<Record<string, unknown>>;

describe('contract with the sandbox', () => {
  it('maps the sandbox Backoffice form of every fixture deal exactly like the POS record', () => {
    for (const record of fixture) {
      const pos = handle(rawEvent(record));
      const backoffice = handle(rawEvent(toBackoffice(record) as Record<string, unknown>, { api: 'backoffice' }));
      expect(pos.kind).not.toBe('reject');
      if (pos.kind !== 'emit') { expect(backoffice).toEqual(pos); continue; }
      if (backoffice.kind !== 'emit') throw new Error(`backoffice ${String(record.id)}: ${JSON.stringify(backoffice)}`);
      expect({ ...backoffice.deal, sourceApi: 'pos', rawRecord: '' }).toEqual({ ...pos.deal, rawRecord: '' });
    }
  });

  it('maps a PTL deal read from the sandbox Odoo with search_read', () => {
    const odoo = new OdooStore();
    // A Dutchie deal the sink wrote first: mint.discount ids and PTL deal ids no longer coincide.
    odoo.create('mint.discount', { name: 'from dutchie', source: 'dutchie', dutchie_discount_id: '341043' });
    const { dealId } = publishPtlDeal(odoo, {
      name: 'PTL 20% off Mint carts', market: 'AZ', discount_type: 'percent', discount_value: 20, brand_ids: [12, 14],
      date_start: '2026-11-20', date_end: '2026-11-26', weekdays: [4, 5],
    }, new Date('2026-11-19T12:00:00Z'));
    const [record] = odoo.searchRead('mint.discount', [['source', '=', 'ptl']], [], {});
    expect(record!.id).not.toBe(dealId);
    const outcome = handle(ptlEvent(record!)); // the poller's key: ptl_{mint.discount id}
    expect(outcome).toMatchObject({
      kind: 'emit',
      key: `${LOCATION}_ptl_${String(record!.id)}`,
      deal: {
        source: 'ptl', kind: 'percent', value: '0.2', calculationMethodId: 2,
        days: { monday: false, tuesday: false, wednesday: false, thursday: false, friday: true, saturday: true, sunday: false },
        restrictions: { brand: { ids: ['12', '14'], isExclusion: false } },
        validFrom: Date.parse('2026-11-20T07:00:00Z'), validUntil: Date.parse('2026-11-27T07:00:00Z'),
      },
    });
  });
});

import { applies, tombstoneHeaders, tombstoneVersion, VERSION_HEADER } from './versioned';

describe('versioned removals (one rule for projector, inventory projection and odoo-sink)', () => {
  it('applies a change not older than the stored state, whether the stored state is a removal or not', () => {
    expect(applies(10, undefined)).toBe(true);
    expect(applies(10, { version: 10, removed: true })).toBe(true); // an equal-version re-add after a removal
    expect(applies(10, { version: 10, removed: false })).toBe(true); // idempotent re-apply
    expect(applies(9, { version: 10, removed: true })).toBe(false); // a replayed older upsert
    expect(applies(9, { version: 10, removed: false })).toBe(false); // a replayed older removal
    expect(applies('1767000000001', { version: 1_767_000_000_000n, removed: false })).toBe(true);
  });

  it("reads a tombstone's version from its header, else from its timestamp", () => {
    expect(tombstoneVersion({ [VERSION_HEADER]: Buffer.from('1767000000123') }, '5')).toBe(1_767_000_000_123);
    expect(tombstoneVersion(tombstoneHeaders(77), '5')).toBe(77);
    expect(tombstoneVersion(undefined, '1767000000999')).toBe(1_767_000_000_999);
    expect(tombstoneVersion({ [VERSION_HEADER]: 'not a number' }, '12')).toBe(12);
  });
});

import { createRuleBody } from './api';

describe('rule body validation', () => {
  const valid = { name: 'x', scope: 'line', type: 'manual', method: 'percent', value: '10' };

  it('reports a bad field as a validation problem, never throws (the cross-field check sees what the field checks refused)', () => {
    for (const bad of [{ value: '[]' }, { value: [] }, { value: 'abc' }, { validFrom: 'yesterday', validTo: '2026-01-01T00:00:00Z' }, { validFrom: 5, validTo: {} }]) {
      const r = createRuleBody.safeParse({ ...valid, ...bad });
      expect(r.success).toBe(false);
    }
  });

  it('still applies the cross-field rules to good fields', () => {
    expect(createRuleBody.safeParse({ ...valid, value: '101' }).error?.issues.map((i) => i.message)).toEqual(['value: a percent must be between 0 and 100']);
    expect(createRuleBody.safeParse({ ...valid, validFrom: '2026-02-01T00:00:00Z', validTo: '2026-01-01T00:00:00Z' }).success).toBe(false);
    expect(createRuleBody.safeParse(valid).success).toBe(true);
  });
});

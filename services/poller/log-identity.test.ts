import { lostBecause } from './log-identity';

const id = (clusterId: string, ends: Record<string, string>) => ({ clusterId, ends });

describe('the log the poller published to', () => {
  it('is there when the cluster is the same and no partition ends before what was published', () => {
    expect(lostBecause(id('c1', { 0: '10', 1: '5' }), id('c1', { 0: '12', 1: '5' }), true)).toBeNull();
    expect(lostBecause(undefined, id('c1', { 0: '0' }), false)).toBeNull(); // nothing published yet
  });

  it('is lost when the cluster changed, a partition went backwards or vanished, or was never recorded', () => {
    expect(lostBecause(id('c1', { 0: '10' }), id('c2', { 0: '10' }), true)).toMatch(/another cluster/);
    expect(lostBecause(id('c1', { 0: '10', 1: '7' }), id('c1', { 0: '10', 1: '0' }), true)).toMatch(/partition 1 ends at 0, before the 7/);
    expect(lostBecause(id('c1', { 0: '10', 1: '7' }), id('c1', { 0: '10' }), true)).toMatch(/partition 1 is gone/);
    expect(lostBecause(undefined, id('c1', { 0: '10' }), true)).toMatch(/no record/);
  });
});

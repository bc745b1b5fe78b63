import { describe, expect, it } from 'vitest';
import type { Escalation } from '../store/index.js';
import { RecentVersions } from './recentVersions.js';

const doc = (status: Escalation['status'], outbox: Escalation['outbox'] = []) => ({ status, outbox }) as Escalation;

describe('remembered escalation versions', () => {
  it('keep the newest revision of each, whatever order the writes finish in', () => {
    const recent = new RecentVersions(10);
    recent.remember('a', { value: doc('active'), revision: 7 });
    recent.remember('a', { value: doc('active'), revision: 5 });
    expect(recent.get('a')?.revision).toBe(7);
    recent.remember('a', { value: doc('active'), revision: 9 });
    expect(recent.get('a')?.revision).toBe(9);
  });

  it('forget an escalation that ended with nothing left to do, but not one still flushing its outcome', () => {
    const recent = new RecentVersions(10);
    recent.remember('a', { value: doc('active'), revision: 1 });
    recent.remember('a', { value: doc('read', [{ id: 'emit-1', kind: 'emit', event_type: 'escalation_read', event_data: {} }]), revision: 2 });
    expect(recent.get('a')?.revision).toBe(2);
    recent.remember('a', { value: doc('read'), revision: 3 });
    expect(recent.get('a')).toBeUndefined();
  });

  it('hold at most the limit, dropping the one written longest ago', () => {
    const recent = new RecentVersions(2);
    recent.remember('a', { value: doc('active'), revision: 1 });
    recent.remember('b', { value: doc('active'), revision: 2 });
    recent.remember('a', { value: doc('active'), revision: 3 });
    recent.remember('c', { value: doc('active'), revision: 4 });
    expect([recent.get('a')?.revision, recent.get('b'), recent.get('c')?.revision]).toEqual([3, undefined, 4]);
  });
});

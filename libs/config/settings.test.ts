import { describe, expect, it } from 'vitest';
import { loadSettings } from './index.js';

describe('settings', () => {
  it('bounds the heap to twice its live size unless told otherwise, 0 leaving it to V8', () => {
    expect(loadSettings({}).heapGrowthPercent).toBe(100);
    expect(loadSettings({ SWITCHBOARD_HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).toBe(0);
    expect(() => loadSettings({ SWITCHBOARD_HEAP_GROWTH_PERCENT: '-5' })).toThrow(/SWITCHBOARD_HEAP_GROWTH_PERCENT/);
  });

  it('keeps ended escalations 30 days unless told otherwise, 0 keeping them for ever', () => {
    expect(loadSettings({}).escalationRetentionS).toBe(30 * 24 * 3600);
    expect(loadSettings({ SWITCHBOARD_ESCALATION_RETENTION_S: '0' }).escalationRetentionS).toBe(0);
    expect(() => loadSettings({ SWITCHBOARD_ESCALATION_RETENTION_S: '1.5' })).toThrow(/SWITCHBOARD_ESCALATION_RETENTION_S/);
  });
});

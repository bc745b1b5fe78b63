import { describe, expect, it } from 'vitest';
import { loadSettings } from './index.js';

describe('settings', () => {
  it('bounds the heap to twice its live size unless told otherwise, 0 leaving it to V8', () => {
    expect(loadSettings({}).heapGrowthPercent).toBe(100);
    expect(loadSettings({ SWITCHBOARD_HEAP_GROWTH_PERCENT: '0' }).heapGrowthPercent).toBe(0);
    expect(() => loadSettings({ SWITCHBOARD_HEAP_GROWTH_PERCENT: '-5' })).toThrow(/SWITCHBOARD_HEAP_GROWTH_PERCENT/);
  });
});

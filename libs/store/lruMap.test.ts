import { describe, expect, it } from 'vitest';
import { LruMap } from './lruMap.js';

describe('LruMap', () => {
  it('forgets the least recently used entry once over capacity', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).toBe(1);
    map.set('c', 3);
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe(1);
    expect(map.get('c')).toBe(3);
    expect(map.size).toBe(2);
  });

  it('keeps one entry per key when a key is set again', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('a', 2);
    map.set('b', 3);
    expect(map.get('a')).toBe(2);
    expect(map.size).toBe(2);
  });
});

describe('LruMap with weights', () => {
  it('forgets the least recently used entries until the weights fit its capacity', () => {
    const map = new LruMap<string, string>(10, (value) => value.length);
    map.set('a', 'xxxx');
    map.set('b', 'xxxx');
    map.get('a');
    map.set('c', 'xxxxxx');
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe('xxxx');
    expect(map.weight).toBe(10);
    map.set('a', 'x');
    expect(map.weight).toBe(7);
    map.set('e', 'xx', 3);
    expect(map.weight).toBe(10);
    map.set('d', 'xxxxxxxxxxxx');
    expect([map.get('a'), map.get('c'), map.get('d')]).toEqual([undefined, undefined, 'xxxxxxxxxxxx']);
    expect(map.size).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { limiterKey } from './limiter-key.js';

describe('limiterKey', () => {
  it('gives two addresses in one IPv6 /64 the same key, whatever their spelling', () => {
    const key = limiterKey('2001:db8:85a3:12::1');
    expect(limiterKey('2001:db8:85a3:12:ffff:eeee:dddd:cccc')).toBe(key);
    expect(limiterKey('2001:0DB8:85A3:0012:0:0:0:2')).toBe(key);
    expect(limiterKey('2001:db8:85a3:12::1%eth0')).toBe(key);
    expect(limiterKey('2001:db8:85a3:12:1:2:198.51.100.1')).toBe(key);
  });

  it('gives different /64s different keys', () => {
    const keys = ['2001:db8:85a3:12::1', '2001:db8:85a3:13::1', '2001:db8:85a4:12::1', '::1', '2002::1', 'fe80::1'].map(limiterKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('keys an IPv4-mapped IPv6 address as the plain IPv4 address', () => {
    expect(limiterKey('::ffff:198.51.100.10')).toBe('198.51.100.10');
    expect(limiterKey('::FFFF:c633:640a')).toBe('198.51.100.10');
    expect(limiterKey('0:0:0:0:0:ffff:198.51.100.10')).toBe(limiterKey('198.51.100.10'));
  });

  it('leaves IPv4 addresses and non-addresses as they are', () => {
    expect(limiterKey('198.51.100.10')).toBe('198.51.100.10');
    expect(limiterKey('unknown')).toBe('unknown');
  });
});

import { isIP } from 'node:net';

/**
 * The key every per-IP limit (chat, intent texts, WebSocket connections, failed credentials) counts
 * a client address under. An IPv6 address counts as its /64 (one customer's subnet: a host picks
 * any of its 2^64 addresses at will, so per-address buckets are no limit at all); an IPv4-mapped
 * IPv6 address (`::ffff:198.51.100.10`, how a dual-stack socket reports IPv4 peers) as the plain
 * IPv4 address; anything else (IPv4, or not an address) as it is.
 */
export function limiterKey(address: string): string {
  if (isIP(address.split('%')[0] ?? '') !== 6) return address;
  const groups = ipv6Groups(address);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (zone id dropped, an IPv4 tail folded in). */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0]!.toLowerCase();
  const ipv4Tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (ipv4Tail) {
    const [a, b, c, d] = ipv4Tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, ipv4Tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  if (tail === undefined) return parse(head);
  const [before, after] = [parse(head), parse(tail)];
  return [...before, ...Array<number>(8 - before.length - after.length).fill(0), ...after];
}

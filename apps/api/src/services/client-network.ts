import { createHmac } from 'node:crypto';

import ipaddr from 'ipaddr.js';

/**
 * The network a client address belongs to, as limits and fraud rules group voters: an IPv4
 * address's /24, an IPv6 address's /64 (one home, office or campus NAT, or one IPv6 customer's
 * allocation). IPv4-mapped IPv6 (::ffff:a.b.c.d) counts as IPv4. An unparsable address is its
 * own network.
 */
export function networkOf(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const addr = ipaddr.process(ip);
  if (addr.kind() === 'ipv4') {
    const [a, b, c] = (addr as ipaddr.IPv4).octets;
    return `${a}.${b}.${c}.0/24`;
  }
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}

/**
 * A keyed hash (HMAC-SHA256, 96 bits, base64url): lets limits and fraud rules compare
 * addresses, networks and user agents without storing them.
 */
export type KeyedHash = (value: string) => string;

export function keyedHash(secret: string): KeyedHash {
  return (value) => createHmac('sha256', secret).update(value).digest('base64url').slice(0, 16);
}

/**
 * The keyed hash of an address's network, remembered per address: parsing it and an HMAC on
 * every vote showed in the vote path's profile, and the addresses voting at any moment are few
 * compared with the votes. Bounded: past `max` addresses the memory starts over.
 */
export function networkHasher(hash: KeyedHash, max = 50_000): (ip: string) => string {
  const known = new Map<string, string>();
  return (ip) => {
    let h = known.get(ip);
    if (h === undefined) {
      if (known.size >= max) known.clear();
      h = hash(networkOf(ip));
      known.set(ip, h);
    }
    return h;
  };
}

/**
 * A keyed hash that remembers its recent answers (bounded: past `max` values it starts over).
 * The vote path hashes the same few addresses, user agents and fingerprints again and again
 * (one voter votes many times); an HMAC for each showed in its profile for the network alone.
 * Same answers as `hash`, so a signal and a voter session's hash of one address agree.
 */
export function rememberedHash(hash: KeyedHash, max = 50_000): KeyedHash {
  const known = new Map<string, string>();
  return (value) => {
    let h = known.get(value);
    if (h === undefined) {
      if (known.size >= max) known.clear();
      h = hash(value);
      known.set(value, h);
    }
    return h;
  };
}

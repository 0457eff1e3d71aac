/** IPv4 CIDR arithmetic: small and exact, so that overlap and size checks need no dependency. */
export interface Cidr {
  text: string;
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(text: string): number | undefined {
  const match = IPV4.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  if (match.slice(1).some((o) => o.length > 1 && o.startsWith('0'))) return undefined;
  return ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
}

export type CidrProblem = 'malformed' | 'host-bits-set';

/** Parses "a.b.c.d/n". Host bits must be zero, as kubeadm and the clouds require. */
export function parseCidr(text: string): Cidr | CidrProblem {
  const [address, prefixText, extra] = text.split('/');
  if (extra !== undefined || address === undefined || prefixText === undefined) return 'malformed';
  if (!/^\d{1,2}$/.test(prefixText)) return 'malformed';
  const prefix = Number(prefixText);
  const base = parseIpv4(address);
  if (base === undefined || prefix > 32) return 'malformed';
  if ((base & ~maskOf(prefix)) >>> 0 !== 0) return 'host-bits-set';
  return { text, base, prefix };
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function cidrSize(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

export function cidrContains(cidr: Cidr, address: number): boolean {
  return ((address & maskOf(cidr.prefix)) >>> 0) === cidr.base;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const wider = a.prefix <= b.prefix ? a : b;
  const narrower = wider === a ? b : a;
  return cidrContains(wider, narrower.base);
}

/** The network with host bits cleared, to suggest a fix for "host-bits-set". */
export function canonicalCidr(text: string): string | undefined {
  const [address, prefixText] = text.split('/');
  const base = address === undefined ? undefined : parseIpv4(address);
  const prefix = Number(prefixText);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  return `${formatIpv4((base & maskOf(prefix)) >>> 0)}/${prefix}`;
}

/** The n-th usable host address of a network (1 = first after the network address). */
export function hostAddress(cidr: Cidr, n: number): string {
  return formatIpv4((cidr.base + n) >>> 0);
}

import ipaddr from "ipaddr.js";

// IPv4 CIDR arithmetic for the networks the platform lays out. Parsing and validation come from
// ipaddr.js; the carving below is plain integer arithmetic on top of it.

export interface Ipv4Block {
  /** Network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefix: number;
}

/** Whether `text` is an IPv4 CIDR whose address is the network address (10.0.0.0/16, not 10.0.0.1/16). */
export function isIpv4Cidr(text: string): boolean {
  if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(text) || !ipaddr.IPv4.isValidCIDR(text)) {
    return false;
  }
  const block = parseIpv4Cidr(text);
  return toInt(ipaddr.IPv4.parse(text.split("/")[0])) === block.base;
}

function toInt(address: ipaddr.IPv4): number {
  return address.octets.reduce((n, octet) => n * 256 + octet, 0);
}

function toText(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** The block of a CIDR (host bits cleared). Throws on text that is not an IPv4 CIDR. */
export function parseIpv4Cidr(text: string): Ipv4Block {
  const [address, prefix] = ipaddr.IPv4.parseCIDR(text);
  const size = 2 ** (32 - prefix);
  return { base: Math.floor(toInt(address) / size) * size, prefix };
}

export function formatBlock(block: Ipv4Block): string {
  return `${toText(block.base)}/${block.prefix}`;
}

/** The `index`-th block of prefix `newPrefix` inside `cidr`. */
export function subnet(cidr: string, newPrefix: number, index: number): string {
  const parent = parseIpv4Cidr(cidr);
  if (newPrefix < parent.prefix || newPrefix > 32) {
    throw new RangeError(`cannot carve /${newPrefix} blocks out of ${cidr}`);
  }
  const count = 2 ** (newPrefix - parent.prefix);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`${cidr} holds ${count} /${newPrefix} blocks; index ${index} is outside it`);
  }
  return formatBlock({ base: parent.base + index * 2 ** (32 - newPrefix), prefix: newPrefix });
}

/** Whether two CIDR blocks share any address. */
export function overlaps(a: string, b: string): boolean {
  const x = parseIpv4Cidr(a);
  const y = parseIpv4Cidr(b);
  const xEnd = x.base + 2 ** (32 - x.prefix);
  const yEnd = y.base + 2 ** (32 - y.prefix);
  return x.base < yEnd && y.base < xEnd;
}

/** How many AZs a created VPC can hold: private subnets are /(prefix+3), block 7 is kept for public ones. */
export const MAX_VPC_ZONES = 6;

export interface VpcSubnetPlan {
  readonly zone: string;
  /** Private subnet for nodes and pods (VPC CNI gives pods VPC addresses, so these are large). */
  readonly privateCidr: string;
  /** Small public subnet for NAT gateways and internet-facing load balancers. */
  readonly publicCidr: string;
}

/**
 * Lays out a VPC: zone i gets the i-th /(p+3) as its private subnet (a /19 in a /16, 8190
 * addresses) and the i-th /(p+8) of the last /(p+3) as its public subnet (a /24 in a /16).
 */
export function planVpcSubnets(vpcCidr: string, zones: readonly string[]): VpcSubnetPlan[] {
  const { prefix } = parseIpv4Cidr(vpcCidr);
  if (zones.length > MAX_VPC_ZONES) {
    throw new RangeError(`a VPC laid out by the platform spans at most ${MAX_VPC_ZONES} zones`);
  }
  const publicBlock = subnet(vpcCidr, prefix + 3, 7);
  return zones.map((zone, i) => ({
    zone,
    privateCidr: subnet(vpcCidr, prefix + 3, i),
    publicCidr: subnet(publicBlock, prefix + 8, i),
  }));
}

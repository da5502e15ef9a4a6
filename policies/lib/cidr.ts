// CIDR lists judged by the addresses they cover, not by their spelling: `0.0.0.0/1` plus
// `128.0.0.0/1` is the whole internet as surely as `0.0.0.0/0`. Parsing is ipaddr.js; the union is
// interval arithmetic on BigInts.
import ipaddr from "ipaddr.js";

interface Block {
  readonly v6: boolean;
  readonly first: bigint;
  readonly last: bigint;
}

function toBigInt(bytes: number[]): bigint {
  return bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
}

/** A CIDR (or bare address) as the interval of addresses it covers; IPv4-mapped IPv6 counts as IPv4. */
export function parseBlock(text: string): Block | undefined {
  const trimmed = String(text).trim();
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  let prefix: number;
  try {
    [addr, prefix] = trimmed.includes("/") ? ipaddr.parseCIDR(trimmed) : (() => {
      const a = ipaddr.parse(trimmed);
      return [a, a.kind() === "ipv4" ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
    })();
  } catch {
    return undefined;
  }
  if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
    prefix -= 96;
  }
  const bits = addr.kind() === "ipv4" ? 32 : 128;
  const size = 1n << BigInt(bits - prefix);
  const first = (toBigInt(addr.toByteArray()) / size) * size;
  return { v6: bits === 128, first, last: first + size - 1n };
}

/** Ranges that never route on the internet (private, CGNAT, loopback, link-local, ULA). */
const NON_PUBLIC = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128"].map(
  (c) => parseBlock(c) as Block,
);

function merge(blocks: Block[]): Block[] {
  const sorted = [...blocks].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: { v6: boolean; first: bigint; last: bigint }[] = [];
  for (const b of sorted) {
    const prev = out[out.length - 1];
    if (prev && b.first <= prev.last + 1n) {
      prev.last = b.last > prev.last ? b.last : prev.last;
    } else {
      out.push({ ...b });
    }
  }
  return out;
}

/** Addresses of the merged blocks that are public (outside NON_PUBLIC). */
function publicAddresses(blocks: Block[], v6: boolean): bigint {
  const merged = merge(blocks.filter((b) => b.v6 === v6));
  const excluded = merge(NON_PUBLIC.filter((b) => b.v6 === v6));
  let total = 0n;
  for (const b of merged) {
    let count = b.last - b.first + 1n;
    for (const x of excluded) {
      const lo = b.first > x.first ? b.first : x.first;
      const hi = b.last < x.last ? b.last : x.last;
      if (lo <= hi) {
        count -= hi - lo + 1n;
      }
    }
    total += count;
  }
  return total;
}

export interface OpennessLimits {
  /** IPv4: a list covering more public addresses than one block of this prefix is open. */
  readonly minPrefixV4: number;
  readonly minPrefixV6: number;
}

export const DEFAULT_OPENNESS: OpennessLimits = { minPrefixV4: 16, minPrefixV6: 32 };

/**
 * Why a list of source CIDRs opens a port to the internet, or undefined when it does not: the union
 * of the list covers more public addresses than the configured widest block. Unparseable entries
 * are reported too, since the cloud may read them differently.
 */
export function openToInternet(cidrs: readonly unknown[], limits: OpennessLimits = DEFAULT_OPENNESS): string | undefined {
  const blocks: Block[] = [];
  for (const c of cidrs) {
    const b = parseBlock(String(c));
    if (b === undefined) {
      return `"${String(c)}" is not a CIDR`;
    }
    blocks.push(b);
  }
  for (const [v6, prefix, bits] of [[false, limits.minPrefixV4, 32], [true, limits.minPrefixV6, 128]] as const) {
    const covered = publicAddresses(blocks, v6);
    if (covered > 1n << BigInt(bits - prefix)) {
      const list = cidrs.map(String).join(" + ");
      const whole = covered === (1n << BigInt(bits)) - publicGap(v6);
      return `${list} ${whole ? `cover${cidrs.length > 1 ? "" : "s"} the whole ${v6 ? "IPv6" : "IPv4"} internet` : `cover${cidrs.length > 1 ? "" : "s"} ${covered} public ${v6 ? "IPv6" : "IPv4"} addresses, more than a /${prefix}`}`;
    }
  }
  return undefined;
}

function publicGap(v6: boolean): bigint {
  return merge(NON_PUBLIC.filter((b) => b.v6 === v6)).reduce((s, b) => s + (b.last - b.first + 1n), 0n);
}

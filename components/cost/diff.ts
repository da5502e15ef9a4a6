import { CostEstimate, formatUsd, PoolCost, Total } from "./estimate";

// The monthly difference between two estimates of the same environment, with the changes that
// explain it, in the words a reviewer reads in a pull request: "+$18,200/month: pool h100 max 4 → 6".

export interface CostDelta {
  readonly at: "min" | "desired" | "max";
  readonly before: Total;
  readonly after: Total;
  readonly usd: number;
  /** Set when either side leaves a part out for an unknown price: the delta covers known parts only. */
  readonly partial: boolean;
}

export interface CostDiff {
  readonly deltas: readonly CostDelta[];
  /** What changed in the pools and fixed parts, one phrase each. */
  readonly changes: readonly string[];
}

function poolChanges(before: readonly PoolCost[], after: readonly PoolCost[]): string[] {
  const was = new Map(before.map((p) => [p.pool, p]));
  const now = new Map(after.map((p) => [p.pool, p]));
  const out: string[] = [];
  for (const p of after) {
    const b = was.get(p.pool);
    if (b === undefined) {
      out.push(`pool ${p.pool} added (${p.instanceType ?? "custom hardware"}, ${p.min.nodes}..${p.max.nodes} nodes)`);
      continue;
    }
    if (b.instanceType !== p.instanceType) out.push(`pool ${p.pool} ${b.instanceType ?? "custom"} → ${p.instanceType ?? "custom"}`);
    if (b.capacityType !== p.capacityType) out.push(`pool ${p.pool} ${b.capacityType} → ${p.capacityType}`);
    for (const at of ["min", "desired", "max"] as const) {
      if (b[at].nodes !== p[at].nodes) out.push(`pool ${p.pool} ${at} ${b[at].nodes} → ${p[at].nodes}`);
    }
    if (b.nodePrice.usd !== p.nodePrice.usd) out.push(`pool ${p.pool} node price ${b.nodePrice.usd === undefined ? "unknown" : formatUsd(b.nodePrice.usd)} → ${p.nodePrice.usd === undefined ? "unknown" : formatUsd(p.nodePrice.usd)}/hour`);
  }
  for (const p of before) {
    if (!now.has(p.pool)) out.push(`pool ${p.pool} removed`);
  }
  return out;
}

function fixedChanges(before: CostEstimate["fixed"], after: CostEstimate["fixed"]): string[] {
  const was = new Map(before.map((f) => [f.item, f]));
  return after.flatMap((f) => {
    const b = was.get(f.item);
    return b !== undefined && (b.max.quantity !== f.max.quantity || b.min.quantity !== f.min.quantity)
      ? [`${f.item} ${b.min.quantity === b.max.quantity ? b.max.quantity : `${b.min.quantity}..${b.max.quantity}`} → ${f.min.quantity === f.max.quantity ? f.max.quantity : `${f.min.quantity}..${f.max.quantity}`}`]
      : [];
  });
}

const SCALES = ["min", "desired", "max"] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const isTotal = (v: unknown) => isObject(v) && typeof v.usd === "number" && Array.isArray(v.unknownParts);
const isPool = (v: unknown) =>
  isObject(v) && typeof v.pool === "string" && isObject(v.nodePrice) && SCALES.every((at) => isObject(v[at]) && typeof v[at].nodes === "number");
const isFixed = (v: unknown) =>
  isObject(v) && typeof v.item === "string" && (["min", "max"] as const).every((at) => isObject(v[at]) && typeof v[at].quantity === "number");

/**
 * An estimate recorded earlier (a plan's summary.json, the `cost` stack output of the last
 * update), checked for the fields the diff reads; undefined when it is not one.
 */
export function recordedEstimate(value: unknown): CostEstimate | undefined {
  const ok =
    isObject(value) &&
    typeof value.cloud === "string" &&
    Array.isArray(value.pools) &&
    value.pools.every(isPool) &&
    Array.isArray(value.fixed) &&
    value.fixed.every(isFixed) &&
    isObject(value.monthly) &&
    SCALES.every((at) => isTotal((value.monthly as Record<string, unknown>)[at]));
  // Checked above for every field diffCost reads.
  return ok ? (value as unknown as CostEstimate) : undefined;
}

export function diffCost(before: CostEstimate, after: CostEstimate): CostDiff {
  const deltas = SCALES.map((at) => ({
    at,
    before: before.monthly[at],
    after: after.monthly[at],
    usd: after.monthly[at].usd - before.monthly[at].usd,
    partial: before.monthly[at].unknownParts.length > 0 || after.monthly[at].unknownParts.length > 0,
  }));
  const changes = [
    ...(before.region !== after.region || before.cloud !== after.cloud ? [`${before.cloud} ${before.region ?? ""} → ${after.cloud} ${after.region ?? ""}`.replace(/ +/g, " ")] : []),
    ...poolChanges(before.pools, after.pools),
    ...fixedChanges(before.fixed, after.fixed),
  ];
  return { deltas, changes };
}

const signed = (usd: number) => `${usd >= 0 ? "+" : "-"}${formatUsd(Math.abs(usd), 0)}`;

/** "+$18,200/month at max scale: pool h100 max 4 → 6" — the headline, then a line per scale. */
export function renderCostDiff(diff: CostDiff): string[] {
  const max = diff.deltas.find((d) => d.at === "max") as CostDelta;
  const why = diff.changes.length > 0 ? diff.changes.join("; ") : "no pool or fixed-part changes";
  const caveat = (d: CostDelta) => (d.partial ? " (known prices only: some parts are unknown on either side)" : "");
  return [
    `${signed(max.usd)}/month at max scale: ${why}${caveat(max)}`,
    ...diff.deltas.map((d) => `  at ${d.at}: ${signed(d.usd)}/month (${formatUsd(d.before.usd, 0)} → ${formatUsd(d.after.usd, 0)})${caveat(d)}`),
  ];
}

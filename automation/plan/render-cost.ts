import { formatTotal, formatUsd, PriceView, renderCostDiff, ScaleCost, Usd } from "../../components/cost";
import type { PlanCost } from "./cost";

// Cost and quota rows for the printed summary and summary.md. Pure.

const at = (s: ScaleCost) => `${s.nodes}: ${formatUsd(s.hourly)}/h, ${formatUsd(s.monthly)}/mo`;
const price = (p: PriceView) => (p.usd === undefined ? "unknown" : `${formatUsd(p.usd, 3)}${p.reference ? " (dated reference)" : ""}`);
const sourceOf = (p: PriceView) => (p.source ? `${p.source.title}, ${p.source.date}` : `unknown: ${p.unknownReason ?? ""}`);
const usd = (u: Usd) => formatUsd(u);

export interface CostTables {
  readonly headline: string;
  readonly pools: string[][];
  readonly models: string[][];
  readonly fixed: string[][];
  readonly quotas: string[][];
  readonly notes: string[];
  readonly sources: string[];
  readonly diff: string[];
}

export function costTables(cost: PlanCost): CostTables {
  const e = cost.estimate;
  const sources = new Map<string, string>();
  const cite = (p: PriceView, what: string) => {
    if (p.source) {
      sources.set(p.source.url, `${p.source.title} (${p.source.date}) ${p.source.url}`);
    }
    return p.note ? `${what}: ${p.note}` : undefined;
  };
  const notes: string[] = [];
  const pools = [
    ["pool", "type", "bought as", "$/node-hour", "min", "desired", "max", "price source"],
    ...e.pools.map((p) => {
      const note = cite(p.nodePrice, `pool ${p.pool}`);
      if (note) notes.push(note);
      return [p.pool, p.instanceType ?? "(custom)", p.capacityType, price(p.nodePrice), at(p.min), at(p.desired), at(p.max), sourceOf(p.nodePrice)];
    }),
  ];
  const models = [
    ["model", "pool", "GPUs", "GPU-hours/month", "$/hour", "$/month", "$/M output tokens"],
    ...e.models.map((m) => [m.model, m.pool ?? "(simulator)", String(m.gpus), String(m.gpuHoursPerMonth), usd(m.hourly), usd(m.monthly), m.usdPerMillionOutputTokens.known ? formatUsd(m.usdPerMillionOutputTokens, 3) : "— (hourly only: no throughput set)"]),
  ];
  const fixed = [
    ["part", "quantity", "unit price", "$/month (min)", "$/month (max)", "price source"],
    ...e.fixed.map((f) => {
      const note = cite(f.max.unitPrice, f.item);
      if (note) notes.push(note);
      const qty = f.min.quantity === f.max.quantity ? String(f.max.quantity) : `${f.min.quantity}..${f.max.quantity}`;
      return [f.max.item, `${qty} ${f.max.unit}`, price(f.max.unitPrice), usd(f.min.monthly), usd(f.max.monthly), sourceOf(f.max.unitPrice)];
    }),
  ];
  const quotas = [
    ["quota", "name", "needed at max", "drawn by"],
    ...cost.quotas.needs.map((q) => [q.quota, q.name, `${q.needed} ${q.unit}${q.region ? ` in ${q.region}` : ""}`, q.usedBy.join(", ")]),
  ];
  notes.push(...cost.quotas.gaps.map((g) => `quota for pool ${g.pool}: ${g.reason}`));
  const headline =
    `per month (${e.cloud}${e.region ? ` ${e.region}` : ""}, ${e.hoursPerMonth} h): ` +
    `min ${formatTotal(e.monthly.min)}; desired ${formatTotal(e.monthly.desired)}; max ${formatTotal(e.monthly.max)}`;
  return {
    headline,
    pools,
    models,
    fixed,
    quotas,
    notes,
    sources: [...sources.values()],
    diff: cost.diff ? [`Compared with ${cost.diff.comparedWith}:`, ...renderCostDiff(cost.diff)] : [],
  };
}

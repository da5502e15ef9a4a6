import { CapacityType, infraPrice, instancePrice, Price, PriceSource } from "../catalog/prices";

// Cost arithmetic: pure functions from what a stack asks for (pools, bounds, models, the few
// non-GPU parts that cost money) to hourly and monthly figures. An unknown price is carried as
// unknown with its reason; sums add the known parts and name the unknown ones, never count them as 0.

/** Hours in the month the figures use (365 × 24 / 12), the convention cloud calculators use. */
export const HOURS_PER_MONTH = 730;

/** A figure in US dollars, or unknown with why. */
export type Usd = { readonly known: true; readonly usd: number } | { readonly known: false; readonly reason: string };

/** A sum of parts: the known dollars, and the parts whose price is unknown. */
export interface Total {
  readonly usd: number;
  /** Names of the parts left out because their price is unknown; empty when the total is complete. */
  readonly unknownParts: readonly string[];
}

export interface PoolCostInput {
  readonly name: string;
  /** Catalog type; absent for hardware the catalog does not know (always unknown). */
  readonly instanceType?: string;
  readonly gpusPerNode: number;
  readonly capacityType: CapacityType;
  readonly minNodes: number;
  readonly desiredNodes: number;
  readonly maxNodes: number;
}

export interface ModelCostInput {
  readonly name: string;
  /** GPU pool; absent for simulator models (no GPU cost). */
  readonly pool?: string;
  readonly replicas: number;
  readonly gpusPerReplica: number;
  /** Output tokens per second one replica sustains, as the user measured it; absent: none assumed. */
  readonly outputTokensPerSecondPerReplica?: number;
}

export interface CostInput {
  readonly cloud: "aws" | "gcp" | "existing";
  readonly region?: string;
  readonly pools: readonly PoolCostInput[];
  readonly models: readonly ModelCostInput[];
  /** CPU nodes of a managed cluster. */
  readonly systemNodes?: { readonly instanceType: string; readonly minNodes: number; readonly maxNodes: number };
  readonly natGateways: number;
  readonly loadBalancers: number;
  /** GB the snapshot bucket holds. */
  readonly snapshotStoreGB: number;
}

export interface PriceView {
  readonly usd?: number;
  readonly unknownReason?: string;
  readonly source?: PriceSource;
  readonly reference?: boolean;
  readonly note?: string;
}

export interface ScaleCost {
  readonly nodes: number;
  readonly hourly: Usd;
  readonly monthly: Usd;
}

export interface PoolCost {
  readonly pool: string;
  readonly instanceType?: string;
  readonly capacityType: CapacityType;
  readonly nodePrice: PriceView;
  readonly min: ScaleCost;
  readonly desired: ScaleCost;
  readonly max: ScaleCost;
}

export interface ModelCost {
  readonly model: string;
  readonly pool?: string;
  readonly gpus: number;
  readonly gpuHoursPerMonth: number;
  /** The model's share of its pool's price: its GPUs at the pool's price per GPU. */
  readonly hourly: Usd;
  readonly monthly: Usd;
  /** Dollars per million output tokens; unknown without a throughput figure or a price. */
  readonly usdPerMillionOutputTokens: Usd;
}

export interface FixedCost {
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitPrice: PriceView;
  readonly monthly: Usd;
}

export interface CostEstimate {
  readonly cloud: string;
  readonly region?: string;
  readonly hoursPerMonth: number;
  readonly pools: readonly PoolCost[];
  readonly models: readonly ModelCost[];
  /** System nodes (at min and max), NAT gateways, load balancer, snapshot storage. */
  readonly fixed: readonly { readonly item: string; readonly min: FixedCost; readonly max: FixedCost }[];
  /** Monthly totals of the environment at every pool's min, desired and max nodes. */
  readonly monthly: { readonly min: Total; readonly desired: Total; readonly max: Total };
}

const known = (usd: number): Usd => ({ known: true, usd });
const unknownUsd = (reason: string): Usd => ({ known: false, reason });

export function viewPrice(price: Price): PriceView {
  return price.known
    ? { usd: price.usd, source: price.source, ...(price.reference ? { reference: true } : {}), ...(price.note ? { note: price.note } : {}) }
    : { unknownReason: price.reason };
}

/** `price` × `quantity`; unknown stays unknown, except that nothing (0 units) costs nothing. */
export function times(price: Price | Usd, quantity: number): Usd {
  if (quantity === 0) {
    return known(0);
  }
  return price.known ? known(price.usd * quantity) : unknownUsd(price.reason);
}

/** Adds labelled parts: the known dollars, and the labels of the unknown ones. */
export function sum(parts: readonly (readonly [label: string, value: Usd])[]): Total {
  return {
    usd: parts.reduce((s, [, v]) => s + (v.known ? v.usd : 0), 0),
    unknownParts: parts.filter(([, v]) => !v.known).map(([label]) => label),
  };
}

function nodePrice(input: CostInput, pool: PoolCostInput): Price {
  if (input.cloud === "existing") {
    return { known: false, reason: "an existing cluster's nodes are not bought by this stack; its price is not known here" };
  }
  if (pool.instanceType === undefined) {
    return { known: false, reason: "the pool's hardware is not a catalog type" };
  }
  return instancePrice(input.cloud, input.region, pool.instanceType, pool.capacityType);
}

function scale(price: Price, nodes: number): ScaleCost {
  const hourly = times(price, nodes);
  return { nodes, hourly, monthly: times(hourly, HOURS_PER_MONTH) };
}

export function poolCost(input: CostInput, pool: PoolCostInput): PoolCost {
  const price = nodePrice(input, pool);
  return {
    pool: pool.name,
    ...(pool.instanceType !== undefined ? { instanceType: pool.instanceType } : {}),
    capacityType: pool.capacityType,
    nodePrice: viewPrice(price),
    min: scale(price, pool.minNodes),
    desired: scale(price, pool.desiredNodes),
    max: scale(price, pool.maxNodes),
  };
}

export function modelCost(input: CostInput, model: ModelCostInput): ModelCost {
  const gpus = model.replicas * model.gpusPerReplica;
  const pool = input.pools.find((p) => p.name === model.pool);
  const perGpu: Usd =
    pool === undefined || gpus === 0 ? known(0) : times(nodePrice(input, pool), 1 / pool.gpusPerNode);
  const hourly = times(perGpu, gpus);
  const tps = model.outputTokensPerSecondPerReplica;
  const perMillion: Usd = !hourly.known
    ? unknownUsd(hourly.reason)
    : tps === undefined
      ? unknownUsd("no throughput figure set (llm-platform:cost throughput); the hourly cost is the figure")
      : model.replicas === 0
        ? unknownUsd("no replicas")
        : known((hourly.usd / (tps * model.replicas * 3600)) * 1e6);
  return {
    model: model.name,
    ...(model.pool !== undefined ? { pool: model.pool } : {}),
    gpus,
    gpuHoursPerMonth: gpus * HOURS_PER_MONTH,
    hourly,
    monthly: times(hourly, HOURS_PER_MONTH),
    usdPerMillionOutputTokens: perMillion,
  };
}

function fixed(item: string, quantity: number, unit: string, price: Price, hoursPerUnitMonth: number): FixedCost {
  return { item, quantity, unit, unitPrice: viewPrice(price), monthly: times(times(price, quantity), hoursPerUnitMonth) };
}

/** The non-GPU parts at the cluster's smallest and largest size. */
export function fixedCosts(input: CostInput): CostEstimate["fixed"] {
  if (input.cloud === "existing") {
    return [];
  }
  const { cloud, region } = input;
  const rows: CostEstimate["fixed"][number][] = [];
  if (input.systemNodes !== undefined) {
    const s = input.systemNodes;
    const price = instancePrice(cloud, region, s.instanceType, "on-demand");
    const row = (n: number) => fixed(`system nodes (${s.instanceType})`, n, "node-hour", price, HOURS_PER_MONTH);
    rows.push({ item: "system nodes", min: row(s.minNodes), max: row(s.maxNodes) });
  }
  const same = (item: string, f: FixedCost) => rows.push({ item, min: f, max: f });
  same("NAT gateways", fixed("NAT gateways", input.natGateways, "gateway-hour", infraPrice(cloud, region, "natGatewayHour"), HOURS_PER_MONTH));
  same("load balancer", fixed("load balancer", input.loadBalancers, "balancer-hour", infraPrice(cloud, region, "loadBalancerHour"), HOURS_PER_MONTH));
  same("snapshot storage", fixed("snapshot storage", Math.ceil(input.snapshotStoreGB), "GB-month", infraPrice(cloud, region, "storageGbMonth"), 1));
  return rows;
}

/** Every figure of an environment. */
export function estimateCost(input: CostInput): CostEstimate {
  const pools = input.pools.map((p) => poolCost(input, p));
  const fixedRows = fixedCosts(input);
  const total = (at: "min" | "desired" | "max") =>
    sum([
      ...pools.map((p) => [`pool ${p.pool}`, p[at].monthly] as const),
      ...fixedRows.map((f) => [f.item, (at === "max" ? f.max : f.min).monthly] as const),
    ]);
  return {
    cloud: input.cloud,
    ...(input.region !== undefined ? { region: input.region } : {}),
    hoursPerMonth: HOURS_PER_MONTH,
    pools,
    models: input.models.map((m) => modelCost(input, m)),
    fixed: fixedRows,
    monthly: { min: total("min"), desired: total("desired"), max: total("max") },
  };
}

/** "$1,234" / "$0.42"; unknown as "unknown", never as $0. */
export function formatUsd(value: Usd | number, digits?: number): string {
  if (typeof value !== "number" && !value.known) {
    return "unknown";
  }
  const usd = typeof value === "number" ? value : value.usd;
  const d = digits ?? (Math.abs(usd) >= 100 ? 0 : 2);
  return `${usd < 0 ? "-" : ""}$${Math.abs(usd).toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d })}`;
}

/** A total for people: "$12,345", or "≥ $12,345 (unknown: pool a, NAT gateways)", or "unknown (…)". */
export function formatTotal(total: Total): string {
  if (total.unknownParts.length === 0) {
    return formatUsd(total.usd);
  }
  const what = `unknown: ${total.unknownParts.join(", ")}`;
  return total.usd > 0 ? `≥ ${formatUsd(total.usd)} (${what})` : `unknown (${what})`;
}

import { z } from "zod";
import type { ConfigIssue, PlatformConfig } from "../config";
import { reachableNodes } from "../config/capacity";
import { weightBytes } from "../sizing/memory";
import { CostEstimate, CostInput, estimateCost } from "./estimate";
import { QuotaGap, QuotaNeed, quotaNeeds, QuotaPoolInput } from "./quotas";

// What the cost figures read from a validated stack, and the one input only the user can give:
// how many output tokens a replica of a model sustains. The platform never assumes a throughput.

/** The stack config key (`llm-platform:cost`) that holds measured throughputs. */
export const COST_CONFIG_KEY = "cost";

const costSchema = z.strictObject({
  throughput: z
    .record(
      z.string(),
      z.strictObject({
        outputTokensPerSecond: z.number().positive().max(1e7).describe("Output tokens per second one replica sustains, as measured."),
      }),
    )
    .default({}),
});

export interface CostConfig {
  /** Output tokens per second per replica, by model name. */
  readonly throughput: Readonly<Record<string, number>>;
}

/** Reads `llm-platform:cost` (absent: no throughputs); every problem names its config path. */
export function parseCostConfig(raw: unknown, modelNames: readonly string[]): { ok: true; config: CostConfig } | { ok: false; issues: ConfigIssue[] } {
  const base = `llm-platform:${COST_CONFIG_KEY}`;
  const parsed = costSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({ path: [base, ...i.path.map(String)].join("."), message: i.message })),
    };
  }
  const issues = Object.keys(parsed.data.throughput)
    .filter((m) => !modelNames.includes(m))
    .map((m) => ({ path: `${base}.throughput.${m}`, message: `names no model of the stack (models: ${modelNames.join(", ") || "none"})` }));
  if (issues.length > 0) {
    return { ok: false, issues };
  }
  return { ok: true, config: { throughput: Object.fromEntries(Object.entries(parsed.data.throughput).map(([m, t]) => [m, t.outputTokensPerSecond])) } };
}

/** Bytes per GB (the unit object storage is billed in). */
const GB = 1e9;

/** The cost inputs of a validated stack. `checkpointBytes` per cached model sizes the snapshot bucket. */
export function costInputOf(config: PlatformConfig, cost: CostConfig, checkpointBytes: Readonly<Record<string, number>> = {}): CostInput {
  const cloud = config.cloud.provider;
  const managed = cloud !== "existing";
  const network = config.network;
  const natGateways =
    !managed || network === undefined
      ? 0
      : network.cloud === "aws"
        ? "create" in network && network.create
          ? network.natGateways === "per-zone"
            ? new Set(network.subnets.map((s) => s.zone)).size
            : 1
          : 0
        : config.cluster.privateNodes
          ? 1
          : 0;
  const cached = config.models.filter((m) => m.cacheMode !== "off");
  return {
    cloud,
    ...(config.cloud.region !== undefined ? { region: config.cloud.region } : {}),
    pools: config.gpuPools.map((p) => ({
      name: p.name,
      ...(p.hardware.instanceType !== undefined ? { instanceType: p.hardware.instanceType } : {}),
      gpusPerNode: p.hardware.gpusPerNode,
      capacityType: p.capacityType,
      minNodes: p.minNodes,
      desiredNodes: p.desiredNodes,
      // Karpenter and ComputeClass pools can reach the sum of their fallback steps.
      maxNodes: reachableNodes(p),
    })),
    models: config.models.map((m) => ({
      name: m.name,
      ...(m.pool !== undefined ? { pool: m.pool } : {}),
      replicas: m.replicas,
      gpusPerReplica: m.gpusPerReplica,
      ...(cost.throughput[m.name] !== undefined ? { outputTokensPerSecondPerReplica: cost.throughput[m.name] } : {}),
    })),
    ...(managed ? { systemNodes: config.cluster.systemNodes } : {}),
    natGateways,
    loadBalancers: managed ? 1 : 0,
    snapshotStoreGB: managed ? cached.reduce((s, m) => s + (checkpointBytes[m.name] ?? 0), 0) / GB : 0,
  };
}

/**
 * Bytes of each cached model's checkpoint as published, which is what the snapshot bucket holds
 * (the served precision, e.g. fp8 of a bf16 checkpoint, only applies on the GPUs). Simulator
 * models load no weights.
 */
export function checkpointBytesOf(config: PlatformConfig): Record<string, number> {
  return Object.fromEntries(config.models.filter((m) => m.pool !== undefined).map((m) => [m.name, weightBytes(m.architecture)]));
}

/** What a stack costs per month and which quotas it needs at max scale. */
export interface StackCost {
  readonly estimate: CostEstimate;
  readonly quotas: { readonly needs: readonly QuotaNeed[]; readonly gaps: readonly QuotaGap[] };
}

/**
 * The cost and quota figures of a validated stack and its `llm-platform:cost` value: the one
 * function behind the program's `cost` stack output (which `plan` prints) and `deploy preview`'s
 * estimate of the stack file, so their figures agree.
 */
export function stackCost(config: PlatformConfig, rawCost: unknown): { ok: true; cost: StackCost } | { ok: false; issues: ConfigIssue[] } {
  const parsed = parseCostConfig(rawCost, config.models.map((m) => m.name));
  if (!parsed.ok) {
    return parsed;
  }
  const systemNodes = config.cloud.provider === "existing" ? undefined : config.cluster.systemNodes;
  return {
    ok: true,
    cost: {
      estimate: estimateCost(costInputOf(config, parsed.config, checkpointBytesOf(config))),
      quotas: quotaNeeds(config.cloud.provider, config.cloud.region, quotaPoolsOf(config), systemNodes),
    },
  };
}

/**
 * The quota inputs of a validated stack's pools. A Karpenter or ComputeClass pool can run every
 * fallback step at once (their limits are per step), so each step draws on its own quota: spot
 * steps on the spot one, reservation and on-demand steps on the on-demand one (reserved capacity
 * counts against the running-instance quota on both clouds).
 */
export function quotaPoolsOf(config: PlatformConfig): QuotaPoolInput[] {
  return config.gpuPools.flatMap((p) => {
    const hardware = {
      ...(p.hardware.instanceType !== undefined ? { instanceType: p.hardware.instanceType } : {}),
      ...(p.zones !== undefined ? { zones: p.zones } : {}),
    };
    if (p.capacity.provisioner === "managed") {
      return [{ name: p.name, ...hardware, capacityType: p.capacityType, maxNodes: p.maxNodes }];
    }
    return p.capacity.steps.map((step) => ({
      name: `${p.name} (${step.type})`,
      ...hardware,
      capacityType: step.type === "spot" ? ("spot" as const) : ("on-demand" as const),
      maxNodes: step.maxNodes,
    }));
  });
}

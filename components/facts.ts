import type { PlatformConfig } from "./config";
import type { ModelEstimate } from "./estimates";
import { effectiveKvHeads, kvCacheBytesPerToken, weightBytes } from "./sizing";

// The facts about an environment that policies need and that no single Kubernetes or cloud
// resource carries (GPU memory, model architecture, estimates). LlmPlatform registers them as
// its inputs, so a policy pack sees them in the engine as it sees any resource's inputs.

export const PLATFORM_TYPE = "llm-platform:index:LlmPlatform";

export interface PoolFacts {
  readonly name: string;
  readonly instanceType?: string;
  readonly gpuModel: string;
  readonly gpusPerNode: number;
  readonly gpuMemoryGiB: number;
  readonly minNodes: number;
  readonly maxNodes: number;
  readonly capacityType: string;
  readonly multiNode: boolean;
  /** Bytes of local NVMe per node used for weights; 0 when the pool uses none. */
  readonly nvmeBytes: number;
  readonly nodeLabels: Readonly<Record<string, string>>;
}

export interface ModelFacts {
  readonly name: string;
  /** GPU pool; absent for simulator models, which run on CPU nodes. */
  readonly pool?: string;
  readonly simulator: boolean;
  readonly sourceUri: string;
  readonly revision?: string;
  readonly architecture: string;
  readonly replicas: number;
  readonly tensorParallel: number;
  readonly dataLocal: number;
  readonly maxModelLen: number;
  readonly gpuMemoryUtilization: number;
  /** Bytes of the weights on the GPUs, in the served data type. */
  readonly weightBytes: number;
  /** Bytes of the checkpoint as stored (snapshot store, NVMe cache), in its own data type. */
  readonly checkpointBytes: number;
  readonly kvBytesPerToken: number;
  readonly restoreSeconds: number;
}

/** The shared gateway: who it faces and whether it authenticates callers (tenants, or open with a reason). */
export interface GatewayFacts {
  readonly exposure: "internal" | "internet";
  readonly authentication: "tenants" | "none";
  /** Why the gateway is open, when the config says so explicitly. */
  readonly openReason?: string;
  readonly tenants: readonly string[];
}

export interface PlatformFacts {
  readonly environment: string;
  readonly tier: string;
  readonly cloud: string;
  /** Absent in facts recorded before tenants existed. */
  readonly gateway?: GatewayFacts;
  readonly pools: readonly PoolFacts[];
  readonly models: readonly ModelFacts[];
}

export function platformFacts(config: PlatformConfig, estimates: readonly ModelEstimate[]): PlatformFacts {
  const restore = new Map(estimates.map((e) => [e.model, e.restore]));
  return {
    environment: config.environment.name,
    tier: config.environment.tier,
    cloud: config.cloud.provider,
    gateway: {
      exposure: config.gateway.exposure,
      authentication: config.authentication.mode,
      ...(config.authentication.reason !== undefined ? { openReason: config.authentication.reason } : {}),
      tenants: config.tenants.map((t) => t.name),
    },
    pools: config.gpuPools.map((p) => ({
      name: p.name,
      ...(p.hardware.instanceType !== undefined ? { instanceType: p.hardware.instanceType } : {}),
      gpuModel: p.hardware.gpuModel,
      gpusPerNode: p.hardware.gpusPerNode,
      gpuMemoryGiB: p.hardware.gpuMemoryGiB,
      minNodes: p.minNodes,
      maxNodes: p.maxNodes,
      capacityType: p.capacityType,
      multiNode: p.multiNode,
      nvmeBytes: p.nvme === "raid0" && p.hardware.localNvme ? p.hardware.localNvme.devices * p.hardware.localNvme.gbPerDevice * 1e9 : 0,
      nodeLabels: p.nodeLabels,
    })),
    models: config.models.map((m) => ({
      name: m.name,
      ...(m.pool !== undefined ? { pool: m.pool } : {}),
      simulator: m.simulator,
      sourceUri: m.source.uri,
      ...(m.source.revision !== undefined ? { revision: m.source.revision } : {}),
      architecture: m.architectureName,
      replicas: m.replicas,
      tensorParallel: m.tensorParallel,
      dataLocal: m.dataLocal,
      maxModelLen: m.maxModelLen,
      gpuMemoryUtilization: m.gpuMemoryUtilization,
      weightBytes: weightBytes(m.architecture, m.dtype),
      checkpointBytes: weightBytes(m.architecture, m.architecture.dtype),
      kvBytesPerToken: kvCacheBytesPerToken({ ...m.architecture, kvHeads: effectiveKvHeads(m.architecture.kvHeads, m.tensorParallel) }, m.kvCacheDtype, m.dtype),
      restoreSeconds: restore.get(m.name)?.seconds ?? 0,
    })),
  };
}

import { scalingSummary, ScalingSummary } from "./autoscaling";
import { GpuPoolDescriptor } from "./cluster/pool-descriptor";
import { ResolvedModel } from "./config";
import { estimateRestore, RestoreEstimate, weightBytes } from "./sizing";

const GiB = 1024 ** 3;

/** The figures a platform team wants per model before paying for anything. */
export interface ModelEstimate {
  readonly model: string;
  /** GPU pool; absent for simulator models. */
  readonly pool?: string;
  /** Replicas planned for: the fixed count, or the autoscaling maximum. */
  readonly replicas: number;
  /** Replica bounds and the load signals they follow (`fixed` without autoscaling). */
  readonly scaling: ScalingSummary;
  readonly gpusPerReplica: number;
  readonly totalGpus: number;
  readonly weightGiB: number;
  /** Tokens of KV cache in one data-parallel rank (tensorParallel GPUs). */
  readonly kvCacheTokensPerRank: number;
  /** KV-cache tokens across one replica (all its data-parallel ranks). */
  readonly kvCacheTokensPerReplica: number;
  /** Full-length sequences one replica holds at once. */
  readonly maxLengthSequencesPerReplica: number;
  /** How the weights reach the GPUs (see modelCache.mode). */
  readonly cacheMode: ResolvedModel["cacheMode"];
  /** Where the model's snapshot lives in the store, when the cache is on. */
  readonly snapshot?: string;
  /** Copying the weights onto a node: from the snapshot store to NVMe, or streamed when there is none. Absent for simulator models. */
  readonly restore?: RestoreEstimate & { readonly target: "nvme" | "stream" };
}

/** Estimates for a model on its pool (undefined for simulator models, which load no weights). */
export function estimateModel(model: ResolvedModel, pool: GpuPoolDescriptor | undefined, snapshot?: string): ModelEstimate {
  if (pool === undefined) {
    return {
      model: model.name,
      cacheMode: model.cacheMode,
      replicas: model.replicas,
      scaling: scalingSummary(model),
      gpusPerReplica: 0,
      totalGpus: 0,
      weightGiB: 0,
      kvCacheTokensPerRank: 0,
      kvCacheTokensPerReplica: 0,
      maxLengthSequencesPerReplica: 0,
    };
  }
  // The GPUs hold the served precision; the store and NVMe hold the checkpoint as published.
  const bytes = weightBytes(model.architecture, model.dtype);
  const checkpointBytes = weightBytes(model.architecture, model.architecture.dtype);
  const perReplica = model.memory.kvCacheTokens * model.dataLocal;
  // Streaming (or KServe's download) writes nothing to NVMe, so only the network bounds it.
  const viaNvme = pool.nvme !== undefined && model.cacheMode !== "stream";
  const restore = estimateRestore(checkpointBytes, { networkGbps: pool.networkGbps, nvmeWriteMBps: viaNvme ? pool.nvme?.writeMBps : undefined });
  return {
    model: model.name,
    cacheMode: model.cacheMode,
    ...(snapshot !== undefined ? { snapshot } : {}),
    pool: pool.name,
    replicas: model.replicas,
    scaling: scalingSummary(model),
    gpusPerReplica: model.gpusPerReplica,
    totalGpus: model.replicas * model.gpusPerReplica,
    weightGiB: bytes / GiB,
    kvCacheTokensPerRank: model.memory.kvCacheTokens,
    kvCacheTokensPerReplica: perReplica,
    maxLengthSequencesPerReplica: Math.floor(perReplica / model.maxModelLen),
    restore: { ...restore, target: viaNvme ? "nvme" : "stream" },
  };
}

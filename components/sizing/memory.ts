import { Dtype, ModelArchitecture, dtypeBytes } from "../catalog";

const GiB = 1024 ** 3;

/**
 * GPU memory per GPU that vLLM spends outside weights and KV cache: CUDA context, activations at
 * peak batch, CUDA graphs, NCCL buffers. vLLM profiles this at start-up; a flat per-GPU figure is
 * what a planner can know ahead of time.
 */
export const RUNTIME_OVERHEAD_GIB_PER_GPU = 2;

/** Data type of the KV cache: `auto` follows the activations (16-bit), `fp8` halves it. */
export type KvCacheDtype = "auto" | "fp8";

/** Bytes of the model's weights as loaded on the GPUs. */
export function weightBytes(arch: ModelArchitecture, dtype: Dtype = arch.dtype): number {
  if (arch.checkpointGB !== undefined && dtype === arch.dtype) {
    return arch.checkpointGB * 1e9;
  }
  return arch.paramsB * 1e9 * dtypeBytes[dtype];
}

function kvElementBytes(kvCacheDtype: KvCacheDtype, weightDtype: Dtype): number {
  if (kvCacheDtype === "fp8") {
    return 1;
  }
  // vLLM's "auto" KV cache uses the model's activation dtype, which is 16-bit for every quantized
  // format here and 32-bit only for fp32 checkpoints.
  return weightDtype === "fp32" ? 4 : 2;
}

/** KV-cache bytes one token occupies across all layers: K and V × layers × KV heads × head dim. */
export function kvCacheBytesPerToken(arch: ModelArchitecture, kvCacheDtype: KvCacheDtype = "auto", dtype: Dtype = arch.dtype): number {
  return 2 * arch.layers * arch.kvHeads * arch.headDim * kvElementBytes(kvCacheDtype, dtype);
}

/** KV heads a token occupies across a replica's ranks: replicated heads count once per rank. */
export function effectiveKvHeads(kvHeads: number, tensorParallel: number): number {
  return Math.max(kvHeads, tensorParallel);
}

/** What one model replica (TP GPUs) has to work with. */
export interface ReplicaGpus {
  /** GPUs one replica's weights are sharded over (tensor parallel degree). */
  readonly tensorParallel: number;
  /** GiB of device memory per GPU. */
  readonly gpuMemoryGiB: number;
  /** vLLM `--gpu-memory-utilization`: the fraction of each GPU vLLM may use. */
  readonly gpuMemoryUtilization: number;
}

export interface ReplicaMemory {
  /** Bytes vLLM may use over all the replica's GPUs. */
  readonly budgetBytes: number;
  readonly weightBytes: number;
  readonly overheadBytes: number;
  /** What is left for the KV cache (negative when weights do not fit). */
  readonly kvCacheBytes: number;
  readonly kvBytesPerToken: number;
  /** Tokens the KV cache holds across all concurrent sequences (0 when nothing is left). */
  readonly kvCacheTokens: number;
}

/** Splits one replica's GPU memory into weights, overhead and KV cache, from byte figures. */
export function memorySplit(weights: number, kvBytesPerToken: number, gpus: ReplicaGpus): ReplicaMemory {
  const budgetBytes = gpus.tensorParallel * gpus.gpuMemoryGiB * GiB * gpus.gpuMemoryUtilization;
  const overheadBytes = gpus.tensorParallel * RUNTIME_OVERHEAD_GIB_PER_GPU * GiB;
  const kvCacheBytes = budgetBytes - weights - overheadBytes;
  return {
    budgetBytes,
    weightBytes: weights,
    overheadBytes,
    kvCacheBytes,
    kvBytesPerToken,
    kvCacheTokens: kvCacheBytes > 0 ? Math.floor(kvCacheBytes / kvBytesPerToken) : 0,
  };
}

/** Splits one replica's GPU memory into weights, overhead and KV cache. */
export function replicaMemory(
  arch: ModelArchitecture,
  gpus: ReplicaGpus,
  options: { dtype?: Dtype; kvCacheDtype?: KvCacheDtype } = {},
): ReplicaMemory {
  const dtype = options.dtype ?? arch.dtype;
  // With more tensor-parallel ranks than KV heads, vLLM replicates each head (QKVParallelLinear),
  // so every rank stores one: the cache per token grows with the ranks.
  const kvArch = { ...arch, kvHeads: effectiveKvHeads(arch.kvHeads, gpus.tensorParallel) };
  return memorySplit(weightBytes(arch, dtype), kvCacheBytesPerToken(kvArch, options.kvCacheDtype ?? "auto", dtype), gpus);
}

export type FitVerdict =
  | { readonly fits: true; readonly memory: ReplicaMemory }
  | { readonly fits: false; readonly memory: ReplicaMemory; readonly reason: string };

const gib = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;

/**
 * Whether a replica holds the weights and the KV cache of at least one sequence of
 * `maxModelLen` tokens, which is the check vLLM itself makes at start-up.
 */
export function checkFit(
  arch: ModelArchitecture,
  gpus: ReplicaGpus,
  maxModelLen: number,
  options: { dtype?: Dtype; kvCacheDtype?: KvCacheDtype } = {},
): FitVerdict {
  return verdict(replicaMemory(arch, gpus, options), gpus, maxModelLen);
}

/** {@link checkFit} from byte figures (weights, KV cache per token). */
export function checkFitBytes(weights: number, kvBytesPerToken: number, gpus: ReplicaGpus, maxModelLen: number): FitVerdict {
  return verdict(memorySplit(weights, kvBytesPerToken, gpus), gpus, maxModelLen);
}

function verdict(memory: ReplicaMemory, gpus: ReplicaGpus, maxModelLen: number): FitVerdict {
  const usable = memory.budgetBytes - memory.overheadBytes;
  if (memory.weightBytes > usable) {
    return {
      fits: false,
      memory,
      reason:
        `weights need ${gib(memory.weightBytes)} but ${gpus.tensorParallel} GPU(s) × ${Number(gpus.gpuMemoryGiB.toFixed(2))} GiB × ` +
        `${gpus.gpuMemoryUtilization} utilization leave ${gib(usable)} after runtime overhead`,
    };
  }
  if (memory.kvCacheTokens < maxModelLen) {
    return {
      fits: false,
      memory,
      reason:
        `a ${maxModelLen}-token sequence needs ${gib(maxModelLen * memory.kvBytesPerToken)} of KV cache but only ` +
        `${gib(memory.kvCacheBytes)} (${memory.kvCacheTokens} tokens) is left after weights`,
    };
  }
  return { fits: true, memory };
}

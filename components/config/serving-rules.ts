import type { Dtype, ModelArchitecture } from "../catalog";
import type { Report } from "./report";
import type { ParsedModel, ParsedPool } from "./schema";

// What vLLM, the GPU Operator and KServe accept of a model on a pool, checked before anything is
// registered: parallelism the model's shape can take, GPU sharing, served data types, extra
// arguments that would override what the platform validated, names inside a model.

/**
 * Tensor parallelism over a model's heads, as vLLM v0.19 enforces it: the attention heads are split
 * evenly over the ranks (`ModelConfig.verify_with_parallel_config`: "Total number of attention heads
 * must be divisible by tensor parallel size"), and the KV heads are either split evenly or, with
 * more ranks than KV heads, replicated a whole number of times (`QKVParallelLinear`, which calls
 * `divide()` in both directions).
 */
export function tensorParallelProblem(arch: Pick<ModelArchitecture, "attentionHeads" | "kvHeads">, tensorParallel: number): string | undefined {
  if (tensorParallel === 1) {
    return undefined;
  }
  if (arch.attentionHeads !== undefined && arch.attentionHeads % tensorParallel !== 0) {
    return `${tensorParallel} does not divide the model's ${arch.attentionHeads} attention heads (vLLM splits them evenly over the ranks)`;
  }
  const kv = arch.kvHeads;
  if (tensorParallel <= kv ? kv % tensorParallel !== 0 : tensorParallel % kv !== 0) {
    return tensorParallel <= kv
      ? `${tensorParallel} does not divide the model's ${kv} KV heads (vLLM splits them evenly over the ranks)`
      : `${tensorParallel} is not a multiple of the model's ${kv} KV heads (with more ranks than KV heads vLLM replicates each head a whole number of times)`;
  }
  return undefined;
}

/** A MIG profile the MIG manager applies to every GPU of a node (`all-<g>g.<mem>gb`). */
export interface MigProfile {
  readonly computeSlices: number;
  readonly memoryGB: number;
}

const MIG_COMPUTE_SLICES = [1, 2, 3, 4, 7];

export function parseMigProfile(profile: string): MigProfile | undefined {
  const m = /^all-(\d+)g\.(\d+)gb$/.exec(profile);
  return m ? { computeSlices: Number(m[1]), memoryGB: Number(m[2]) } : undefined;
}

/**
 * How many instances of a uniform MIG profile one GPU holds, and the memory of each, or the reason
 * the profile does not exist on that GPU. NVIDIA's MIG user guide: a GPU has 7 compute slices and
 * 8 memory slices; a `<g>g.<mem>gb` instance takes g compute slices and mem/(GPU memory/8) memory
 * slices (1, 2, 4 or 8), so 1g.10gb on an 80 GB A100/H100 gives 7, 1g.20gb 4, 3g.40gb 2.
 */
export function migInstances(profile: MigProfile, gpuMemoryGiB: number): { perGpu: number; memoryGiB: number } | string {
  const sliceGiB = gpuMemoryGiB / 8;
  const memorySlices = Math.round(profile.memoryGB / sliceGiB);
  const fits =
    MIG_COMPUTE_SLICES.includes(profile.computeSlices) &&
    [1, 2, 4, 8].includes(memorySlices) &&
    Math.abs(profile.memoryGB - memorySlices * sliceGiB) / profile.memoryGB < 0.2;
  if (!fits) {
    return `${profile.computeSlices}g.${profile.memoryGB}gb is not a MIG profile of a ${gpuMemoryGiB} GiB GPU (its slices hold about ${Math.round(sliceGiB)} GB of memory each)`;
  }
  // "10gb" is the marketing size; the instance's usable memory is its share of the device.
  const memoryGiB = Math.min((profile.memoryGB * 1e9) / 1024 ** 3, memorySlices * sliceGiB);
  return { perGpu: Math.min(Math.floor(7 / profile.computeSlices), Math.floor(8 / memorySlices)), memoryGiB };
}

/** What one schedulable `nvidia.com/gpu` of a pool is, once sharing is applied. */
export interface SharedGpu {
  readonly mode: ParsedPool["gpuSharing"]["mode"];
  /** Schedulable GPU resources per node. */
  readonly perNode: number;
  /** GiB of device memory one resource gives a pod (a MIG instance's own; the whole GPU when time-sliced). */
  readonly memoryGiB: number;
  /** Pods that may share one physical GPU's memory (time-slicing). */
  readonly sharers: number;
}

/**
 * The pool's schedulable GPUs, or undefined when its sharing config cannot be applied (reported at
 * `<path>.gpuSharing`). The GPU Operator exposes uniform MIG instances as `nvidia.com/gpu` with its
 * "single" strategy, which the platform uses, and time-sliced GPUs as `replicas` resources each.
 */
export function sharedGpu(
  pool: Pick<ParsedPool, "gpuSharing" | "multiNode" | "name">,
  hardware: { gpuModel: string; gpusPerNode: number; gpuMemoryGiB: number },
  nodeImage: string,
  path: string,
  report: Report,
): SharedGpu | undefined {
  const sharing = pool.gpuSharing;
  const whole: SharedGpu = { mode: "none", perNode: hardware.gpusPerNode, memoryGiB: hardware.gpuMemoryGiB, sharers: 1 };
  if (sharing.mode === "none") {
    return whole;
  }
  if (nodeImage === "bottlerocket-nvidia") {
    report(`${path}.gpuSharing`, "Bottlerocket's own device plugin serves the GPUs, so the GPU Operator's sharing config would not apply; use al2023-nvidia nodes or mode none");
    return undefined;
  }
  if (pool.multiNode) {
    report(`${path}.gpuSharing`, `multi-node replicas need whole GPUs (NCCL across nodes); pool "${pool.name}" cannot share them`);
    return undefined;
  }
  if (sharing.mode === "time-slicing") {
    return { mode: "time-slicing", perNode: hardware.gpusPerNode * sharing.replicas, memoryGiB: hardware.gpuMemoryGiB, sharers: sharing.replicas };
  }
  if (sharing.profile === "all-disabled") {
    report(`${path}.gpuSharing.profile`, "all-disabled turns MIG off; use gpuSharing mode none");
    return undefined;
  }
  const profile = parseMigProfile(sharing.profile);
  if (profile === undefined) {
    report(
      `${path}.gpuSharing.profile`,
      `${sharing.profile} mixes instance sizes, which the platform's "single" MIG strategy cannot expose as nvidia.com/gpu; pick one uniform profile such as all-1g.10gb`,
    );
    return undefined;
  }
  const instances = migInstances(profile, hardware.gpuMemoryGiB);
  if (typeof instances === "string") {
    report(`${path}.gpuSharing.profile`, `${instances}; pool "${pool.name}" has ${hardware.gpuModel}`);
    return undefined;
  }
  return { mode: "mig", perNode: hardware.gpusPerNode * instances.perGpu, memoryGiB: instances.memoryGiB, sharers: 1 };
}

/**
 * A model on a shared pool: one process per GPU resource (NCCL cannot join MIG instances or two
 * pods on one time-sliced GPU), and time-sliced pods whose memory shares add up to one GPU (vLLM's
 * `--gpu-memory-utilization` is a per-instance fraction of the whole device).
 */
export function checkSharedPlacement(model: ParsedModel, gpusPerReplica: number, shared: SharedGpu, poolName: string, path: string, report: Report): void {
  if (shared.mode === "none") {
    return;
  }
  const what = shared.mode === "mig" ? "MIG instances" : "time-sliced GPUs";
  if (gpusPerReplica > 1) {
    report(
      `${path}.tensorParallel`,
      `${gpusPerReplica} GPUs per replica on pool "${poolName}", whose ${what} cannot talk to each other over NCCL; use tensorParallel 1 and dataLocal 1 there, or a pool with whole GPUs`,
    );
  }
  if (shared.mode === "time-slicing" && model.gpuMemoryUtilization * shared.sharers > 1) {
    report(
      `${path}.gpuMemoryUtilization`,
      `${model.gpuMemoryUtilization} × ${shared.sharers} pods per time-sliced GPU on pool "${poolName}" is more than the whole GPU; use at most ${Math.floor((1 / shared.sharers) * 100) / 100}`,
    );
  }
}

/** Data types vLLM computes in and its `--dtype` name for each. */
export const VLLM_COMPUTE_DTYPES: Readonly<Partial<Record<Dtype, string>>> = { bf16: "bfloat16", fp16: "float16", fp32: "float32" };

/**
 * Whether vLLM can serve a checkpoint stored as `checkpoint` in `served`: the same type as stored,
 * another 16/32-bit compute type (`--dtype`), or fp8 quantized on the fly from a 16/32-bit
 * checkpoint (`--quantization fp8`). int8, int4 and mxfp4 need a checkpoint quantized ahead of time.
 */
export function servedDtypeProblem(checkpoint: Dtype, served: Dtype): string | undefined {
  if (served === checkpoint) {
    return undefined;
  }
  const fromFullPrecision = VLLM_COMPUTE_DTYPES[checkpoint] !== undefined;
  if (fromFullPrecision && (VLLM_COMPUTE_DTYPES[served] !== undefined || served === "fp8")) {
    return undefined;
  }
  return fromFullPrecision
    ? `vLLM cannot quantize a ${checkpoint} checkpoint to ${served} while loading (only fp8 on the fly); serve a checkpoint quantized to ${served} ahead of time, described with dtype ${served}`
    : `the checkpoint is stored as ${checkpoint}; vLLM serves a quantized checkpoint in its own format, so leave dtype unset (or ${checkpoint})`;
}

/** vLLM flags the platform sets from the stack's fields (or that would break what it set). */
const VLLM_OWNED_FLAGS: Readonly<Record<string, string>> = {
  "--model": "source.uri",
  "--served-model-name": "servedModelName",
  "--port": "the preset's port 8000, which probes, routes and the router use",
  "--host": "the preset's listen address",
  "--tensor-parallel-size": "tensorParallel",
  "-tp": "tensorParallel",
  "--pipeline-parallel-size": "tensorParallel and dataLocal (pipeline parallelism is not part of the sizing)",
  "-pp": "tensorParallel and dataLocal (pipeline parallelism is not part of the sizing)",
  "--data-parallel-size": "dataLocal",
  "-dp": "dataLocal",
  "--data-parallel-size-local": "dataLocal",
  "-dpl": "dataLocal",
  "--data-parallel-address": "KServe's multi-node preset",
  "--data-parallel-rpc-port": "KServe's multi-node preset",
  "--data-parallel-start-rank": "KServe's multi-node preset",
  "--max-model-len": "maxModelLen",
  "--gpu-memory-utilization": "gpuMemoryUtilization",
  "--block-size": "blockSize (the router's prefix producer uses the same)",
  "--dtype": "dtype",
  "--quantization": "dtype",
  "-q": "dtype",
  "--kv-cache-dtype": "kvCacheDtype",
  "--enable-prefix-caching": "routing (cache-aware routing needs prefix caching on)",
  "--no-enable-prefix-caching": "routing (cache-aware routing needs prefix caching on)",
  "--prefix-caching-hash-algo": "routing",
  "--kv-events-config": "routing (precise)",
  "--enable-lora": "loraAdapters",
  "--max-loras": "loraAdapters",
  "--lora-modules": "loraAdapters",
  "--load-format": "modelCache.mode",
  "--download-dir": "modelCache.mode",
  "--revision": "source.revision",
  "--tokenizer-revision": "source.revision",
  "--code-revision": "source.revision",
  "--config": "the stack's fields (a config file could set any flag)",
};

/** llm-d-inference-sim flags the platform sets (simulatorArgs). */
const SIMULATOR_OWNED_FLAGS: Readonly<Record<string, string>> = {
  "--port": "the preset's port 8000, which probes, routes and the router use",
  "--model": "servedModelName",
  "--served-model-name": "servedModelName",
  "--max-model-len": "maxModelLen",
  "--config": "the stack's fields (a config file could set any flag)",
};

/**
 * extraArgs that would override a flag the platform derived from a validated field. vLLM's
 * argument parser reads `--max_model_len` as `--max-model-len` and `--flag=value` as `--flag`.
 */
export function checkExtraArgs(model: Pick<ParsedModel, "extraArgs" | "simulator">, path: string, report: Report): void {
  const owned = model.simulator ? SIMULATOR_OWNED_FLAGS : VLLM_OWNED_FLAGS;
  model.extraArgs.forEach((arg, i) => {
    if (!arg.startsWith("-")) {
      return; // A value of the flag before it.
    }
    const [rawName] = arg.split("=", 1);
    if (/\s/.test(rawName)) {
      report(`${path}.extraArgs[${i}]`, `"${arg}" holds a space: put the flag and its value in separate items, or write --flag=value`);
      return;
    }
    const name = rawName.startsWith("--") ? `--${rawName.slice(2).replace(/_/g, "-")}` : rawName;
    const field = owned[name];
    if (field !== undefined) {
      report(`${path}.extraArgs[${i}]`, `${name} is set by the platform from ${field}; set that instead of passing the flag`);
    }
  });
}

/** Adapter names are what clients send as `model`: unique, and not the base model's own name. */
export function checkLoraNames(model: Pick<ParsedModel, "loraAdapters" | "name" | "servedModelName">, path: string, report: Report): void {
  const served = model.servedModelName ?? model.name;
  const seen = new Map<string, number>();
  model.loraAdapters.forEach((adapter, i) => {
    const earlier = seen.get(adapter.name);
    if (earlier !== undefined) {
      report(`${path}.loraAdapters[${i}].name`, `"${adapter.name}" is already used by loraAdapters[${earlier}]`);
    } else if (adapter.name === served) {
      report(`${path}.loraAdapters[${i}].name`, `"${adapter.name}" is the base model's served name; requests for it could not reach the adapter`);
    }
    seen.set(adapter.name, seen.get(adapter.name) ?? i);
  });
}

/** A Hugging Face repository id as the hub accepts it: `<owner>/<name>`. */
const HF_REPO = /^hf:\/\/[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** hf:// sources name exactly one repository (`hf://<owner>/<name>`), which the seeder and KServe download. */
export function hfUriProblem(uri: string): string | undefined {
  return uri.startsWith("hf://") && !HF_REPO.test(uri) ? `"${uri}" is not a Hugging Face repository: write hf://<owner>/<name>, e.g. hf://Qwen/Qwen3-8B` : undefined;
}

/** The model's own source and its adapters' hf:// URIs. */
export function checkSourceUris(model: Pick<ParsedModel, "source" | "loraAdapters">, path: string, report: Report): void {
  const own = hfUriProblem(model.source.uri);
  if (own !== undefined) {
    report(`${path}.source.uri`, own);
  }
  model.loraAdapters.forEach((adapter, i) => {
    const problem = hfUriProblem(adapter.uri);
    if (problem !== undefined) {
      report(`${path}.loraAdapters[${i}].uri`, problem);
    }
  });
}

/**
 * Where KServe v0.20 can take a model's LoRA adapters from (workload_lora.go
 * enumerateLoRAAdapters): hf://, s3:// and pvc:// only, and only through its storage initializer,
 * which the platform turns off for simulators and for models whose weights come from the cache.
 */
export function checkLoraSources(
  model: Pick<ParsedModel, "loraAdapters" | "simulator">,
  cacheMode: "nvme" | "stream" | "off",
  path: string,
  report: Report,
): void {
  if (model.loraAdapters.length === 0) {
    return;
  }
  if (model.simulator || cacheMode !== "off") {
    const why = model.simulator ? "simulator models load nothing through it" : `modelCache.mode serves this model's weights (${cacheMode}) instead of it`;
    report(`${path}.loraAdapters`, `KServe v0.20 fetches and mounts LoRA adapters only through its storage initializer, which is off here: ${why}`);
    return;
  }
  model.loraAdapters.forEach((adapter, i) => {
    if (!/^(hf|s3|pvc):\/\//.test(adapter.uri)) {
      report(`${path}.loraAdapters[${i}].uri`, `KServe v0.20 takes LoRA adapters from hf://, s3:// or pvc:// only (oci:// runs as a second modelcar, which it does not support)`);
    }
  });
}

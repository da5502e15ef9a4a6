import {
  ModelArchitecture,
  findGpuInstanceType,
  gpuInstanceTypeNames,
  isCatalogModel,
  modelCatalog,
} from "../catalog";
import { charts } from "../versions";
import { checkFit, replicaMemory, ReplicaMemory } from "../sizing";
import { checkAutoscaling } from "./autoscaling";
import { resolveManagedCluster, ResolvedNetwork, ResolvedSystemNodes, resolveStore, SnapshotStoreConfig } from "./managed";
import { ResolvedMonitoring, resolveMonitoring } from "./monitoring";
import { resolveCapacity } from "./capacity";
import { cachedRevisionProblem } from "./revision";
import { GatewayAuthentication, ResolvedTenant, resolveTenants } from "../tenants/config";
import { ParsedModel, ParsedPlatform, ParsedPool } from "./schema";
import type { ConfigIssue, Report } from "./report";
import type { NodeHardware, NodeImage, ResolvedPool } from "./resolved-pool";
import { checkExtraArgs, checkLoraNames, checkLoraSources, checkSharedPlacement, checkSourceUris, servedDtypeProblem, SharedGpu, sharedGpu, tensorParallelProblem } from "./serving-rules";

export type { ConfigIssue, Report } from "./report";
export type { GatewayAuthentication, ResolvedTenant, TenantCredential } from "../tenants/config";
export type { ResolvedMonitoring } from "./monitoring";
export type { NodeHardware, NodeImage, ResolvedPool, Taint } from "./resolved-pool";

export const DEFAULT_MAX_MODEL_LEN = 8192;
export const DEFAULT_NVME_MOUNT_PATH = "/mnt/k8s-disks/0";
/**
 * Where each node image mounts its local-NVMe array when the platform builds the nodes: nodeadm
 * RAID0 (amazon-eks-ami setup-local-disks), Bottlerocket ephemeral storage (core-kit
 * ephemeral_storage.rs), GKE `ephemeralStorageLocalSsdConfig`.
 */
export const IMAGE_NVME_MOUNT_PATH: Readonly<Partial<Record<NodeImage, string>>> = {
  "al2023-nvidia": "/mnt/k8s-disks/0",
  "bottlerocket-nvidia": "/mnt/.ephemeral",
  "gke-cos": "/mnt/stateful_partition/kube-ephemeral-ssd",
};
export const POOL_LABEL = "llm-platform.io/pool";
export const GPU_TAINT = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" } as const;

/** Node images that ship the NVIDIA driver and container toolkit. */
export const IMAGES_WITH_DRIVER: readonly NodeImage[] = ["al2023-nvidia", "bottlerocket-nvidia", "preinstalled", "gke-cos"];

/** A model with its architecture looked up, its sizing worked out and every default filled in. */
/** Where a model's weights come from at serving time. */
export type CacheMode = "nvme" | "stream" | "off";

export interface ResolvedModel extends Omit<ParsedModel, "architecture" | "maxModelLen" | "dtype" | "servedModelName" | "replicas"> {
  /** Replicas to plan capacity for: the fixed count, or the autoscaling maximum. */
  readonly replicas: number;
  /** Model name clients send. */
  readonly servedModelName: string;
  /** Whether one replica spans several nodes (LeaderWorkerSet). */
  readonly multiNode: boolean;
  /** How the weights reach the GPUs: restored to NVMe, streamed from the store, or downloaded by KServe. */
  readonly cacheMode: CacheMode;
  /** The catalog name, or "custom" for an explicit architecture. */
  readonly architectureName: string;
  readonly architecture: ModelArchitecture;
  readonly dtype: ModelArchitecture["dtype"];
  readonly maxModelLen: number;
  /** GPUs one replica uses: tensorParallel × dataLocal. */
  readonly gpusPerReplica: number;
  /** Memory split of one data-parallel rank (tensorParallel GPUs). */
  readonly memory: ReplicaMemory;
}

export interface PlatformConfig extends Omit<ParsedPlatform, "gpuPools" | "models" | "cluster" | "network" | "modelCache" | "tenants" | "monitoring"> {
  readonly cluster: Omit<ParsedPlatform["cluster"], "systemNodes" | "deletionProtection"> & {
    readonly name: string;
    readonly deletionProtection: boolean;
    readonly systemNodes: ResolvedSystemNodes;
  };
  /** The managed cluster's network; undefined on existing clusters. */
  readonly network?: ResolvedNetwork;
  readonly modelCache: Omit<ParsedPlatform["modelCache"], "store"> & { readonly store?: SnapshotStoreConfig };
  readonly monitoring: ResolvedMonitoring;
  readonly gpuPools: readonly ResolvedPool[];
  readonly models: readonly ResolvedModel[];
  /** Whether the shared gateway authenticates callers (`gateway.authentication` resolved). */
  readonly authentication: GatewayAuthentication;
  /** Who may call the gateway (tenants/config.ts). */
  readonly tenants: readonly ResolvedTenant[];
}

function resolveHardware(
  pool: ParsedPool,
  cloud: ParsedPlatform["cloud"]["provider"],
  path: string,
  report: Report,
): NodeHardware | undefined {
  if (pool.instanceType === undefined && pool.hardware === undefined) {
    report(`${path}.instanceType`, "is required (or describe the node with `hardware` on an existing cluster)");
    return undefined;
  }
  if (pool.hardware !== undefined) {
    if (cloud !== "existing") {
      report(`${path}.hardware`, `is only for existing clusters; on ${cloud} pick an instanceType from the catalog`);
      return undefined;
    }
    return { ...pool.hardware, instanceType: pool.instanceType };
  }
  const instanceType = pool.instanceType as string;
  const known = findGpuInstanceType(cloud, instanceType);
  if (known === undefined) {
    const other = cloud === "aws" ? findGpuInstanceType("gcp", instanceType) : cloud === "gcp" ? findGpuInstanceType("aws", instanceType) : undefined;
    const hint =
      other !== undefined
        ? `it is a ${other.cloud} type but cloud.provider is ${cloud}`
        : `known ${cloud === "existing" ? "" : `${cloud} `}types: ${gpuInstanceTypeNames(cloud).join(", ")}` +
          (cloud === "existing" ? "; or describe the node with `hardware`" : "");
    report(`${path}.instanceType`, `"${instanceType}" is not in the GPU catalog (${hint})`);
    return undefined;
  }
  const { gpuModel, gpusPerNode, gpuMemoryGiB, localNvme, networkGbps, fastInterconnect, efaInterfaces, accelerator } = known;
  return {
    gpuModel,
    gpusPerNode,
    gpuMemoryGiB,
    localNvme,
    networkGbps,
    fastInterconnect,
    instanceType,
    ...(efaInterfaces !== undefined ? { efaInterfaces } : {}),
    ...(accelerator !== undefined ? { accelerator } : {}),
  };
}

const DEFAULT_NODE_IMAGE: Record<ParsedPlatform["cloud"]["provider"], NodeImage> = {
  aws: "al2023-nvidia",
  gcp: "gke-cos",
  existing: "preinstalled",
};
const NODE_IMAGES_BY_CLOUD: Record<ParsedPlatform["cloud"]["provider"], readonly NodeImage[]> = {
  aws: ["al2023-nvidia", "bottlerocket-nvidia"],
  gcp: ["gke-cos"],
  existing: ["al2023-nvidia", "bottlerocket-nvidia", "gke-cos", "preinstalled", "bare"],
};
const MIG_CAPABLE = /^(A100|H100|H200)/;

function resolvePool(pool: ParsedPool, index: number, config: ParsedPlatform, report: Report): ResolvedPool | undefined {
  const path = `gpuPools[${index}]`;
  const hardware = resolveHardware(pool, config.cloud.provider, path, report);
  const desiredNodes = pool.desiredNodes ?? pool.minNodes;
  if (pool.minNodes > pool.maxNodes) {
    report(`${path}.minNodes`, `${pool.minNodes} is above maxNodes ${pool.maxNodes}`);
  } else if (desiredNodes < pool.minNodes || desiredNodes > pool.maxNodes) {
    report(`${path}.desiredNodes`, `${desiredNodes} must be between minNodes ${pool.minNodes} and maxNodes ${pool.maxNodes}`);
  }
  if (hardware === undefined) {
    return undefined;
  }
  const nvme = pool.nvme ?? (hardware.localNvme ? "raid0" : "none");
  if (nvme === "raid0" && hardware.localNvme === undefined) {
    report(`${path}.nvme`, `raid0 needs local NVMe but ${hardware.instanceType ?? "this node type"} has none; use "none"`);
  }
  if (pool.nvmeMountPath !== undefined && nvme === "none") {
    report(`${path}.nvmeMountPath`, `is set but nvme is "none"`);
  }
  if (pool.capacityType === "capacity-block" && config.cloud.provider !== "aws") {
    report(`${path}.capacityType`, `capacity-block is an AWS purchase option; cloud.provider is ${config.cloud.provider}`);
  }
  const nodeImage = pool.nodeImage ?? DEFAULT_NODE_IMAGE[config.cloud.provider];
  const allowedImages = NODE_IMAGES_BY_CLOUD[config.cloud.provider];
  if (!allowedImages.includes(nodeImage)) {
    report(`${path}.nodeImage`, `"${nodeImage}" is not a ${config.cloud.provider} node image (use ${allowedImages.join(" or ")})`);
  }
  const whole: SharedGpu = { mode: "none", perNode: hardware.gpusPerNode, memoryGiB: hardware.gpuMemoryGiB, sharers: 1 };
  let schedulableGpus = whole;
  if (pool.gpuSharing.mode === "mig" && !MIG_CAPABLE.test(hardware.gpuModel)) {
    report(`${path}.gpuSharing`, `MIG needs A100, H100 or H200 GPUs; pool "${pool.name}" has ${hardware.gpuModel}`);
  } else {
    schedulableGpus = sharedGpu(pool, hardware, pool.nodeImage ?? DEFAULT_NODE_IMAGE[config.cloud.provider], path, report) ?? whole;
  }
  const provider = config.cloud.provider;
  const efa = pool.efa ?? (provider === "aws" && pool.multiNode && hardware.fastInterconnect);
  if (pool.efa === true && provider !== "aws") {
    report(`${path}.efa`, `is an AWS option; cloud.provider is ${provider}`);
  } else if (pool.efa === true && !hardware.fastInterconnect) {
    report(`${path}.efa`, `${hardware.instanceType ?? "this node type"} does not support EFA`);
  }
  // The image mounts the array where it mounts it; a different path would point at the root disk.
  const imageMount = provider === "existing" ? undefined : IMAGE_NVME_MOUNT_PATH[nodeImage];
  if (imageMount !== undefined && pool.nvmeMountPath !== undefined && pool.nvmeMountPath !== imageMount) {
    report(`${path}.nvmeMountPath`, `${nodeImage} nodes mount the NVMe array at ${imageMount}; leave nvmeMountPath unset`);
  }
  return {
    ...pool,
    nodeImage,
    hardware,
    nvme,
    efa,
    nvmeMountPath: pool.nvmeMountPath ?? imageMount ?? DEFAULT_NVME_MOUNT_PATH,
    desiredNodes,
    nodeLabels: pool.nodeLabels ?? { [POOL_LABEL]: pool.name },
    taints: pool.taints ?? [GPU_TAINT],
    schedulableGpus,
    capacity: resolveCapacity(pool, path, config, report),
  };
}

function resolveArchitecture(model: ParsedModel, path: string, report: Report): [string, ModelArchitecture] | undefined {
  if (typeof model.architecture !== "string") {
    return ["custom", model.architecture];
  }
  if (!isCatalogModel(model.architecture)) {
    report(
      `${path}.architecture`,
      `"${model.architecture}" is not in the model catalog (known: ${Object.keys(modelCatalog).join(", ")}); or give {paramsB, layers, attentionHeads, kvHeads, headDim, dtype, maxContext}`,
    );
    return undefined;
  }
  return [model.architecture, modelCatalog[model.architecture]];
}

function checkServingOptions(model: ParsedModel, path: string, config: ParsedPlatform, report: Report): void {
  const tier = config.environment.tier;
  if (model.routing === "round-robin" && tier !== "dev") {
    report(`${path}.routing`, `round-robin ignores vLLM's prefix cache and is only allowed in dev; ${tier} uses llm-d, kserve or precise`);
  }
  if (model.disaggregation !== undefined) {
    if (model.replicas === 0) {
      report(`${path}.replicas`, "0 decode replicas with disaggregation: the prefill workers would hand their KV cache to nobody");
    }
    if (model.simulator) {
      report(`${path}.disaggregation`, "does not apply to simulator models");
    }
    if (model.routing !== "llm-d" && model.routing !== "kserve") {
      report(`${path}.disaggregation`, `needs a P/D router profile, which routing "${model.routing}" does not have (use llm-d or kserve)`);
    }
  }
  const weights = model.scorerWeights;
  if ((model.routing === "llm-d" || model.routing === "precise" || model.routing === "kserve") && weights.prefixCache + weights.queue + weights.kvCacheUtilization === 0) {
    report(`${path}.scorerWeights`, "are all 0: the endpoint picker would have nothing to score endpoints by; give prefixCache a positive weight");
  }
  if (model.simulator && model.pool !== undefined) {
    report(`${path}.pool`, "does not apply to simulator models, which run on CPU nodes");
  }
  if (!model.simulator && model.pool === undefined) {
    report(`${path}.pool`, "is required (or set simulator: true to run the CPU simulator)");
  }
}

function resolveModel(
  model: ParsedModel,
  index: number,
  config: ParsedPlatform,
  pools: ReadonlyMap<string, ResolvedPool | undefined>,
  report: Report,
): ResolvedModel | undefined {
  const path = `models[${index}]`;
  if (config.environment.tier === "prod" && model.source.revision === undefined) {
    report(`${path}.source.revision`, "is required in prod so every node serves the same weights");
  }
  checkServingOptions(model, path, config, report);
  checkExtraArgs(model, path, report);
  checkLoraNames(model, path, report);
  checkSourceUris(model, path, report);
  if (model.autoscaling !== undefined) {
    const prometheus = config.monitoring.install || config.monitoring.prometheusUrl !== undefined;
    checkAutoscaling(model.autoscaling, path, { replicas: model.replicas, prometheus }, report);
  }
  if (config.modelCache.mode !== "off" && !model.simulator) {
    if (model.source.revision === undefined) {
      report(`${path}.source.revision`, "is required with the model cache: snapshots are keyed by revision");
    } else {
      const problem = cachedRevisionProblem(model.source.revision, config.environment.tier);
      if (problem !== undefined) {
        report(`${path}.source.revision`, problem);
      }
    }
    if (!model.source.uri.startsWith("hf://")) {
      report(`${path}.source.uri`, "the model cache seeds from Hugging Face (hf://) sources");
    }
  }
  const resolvedArch = resolveArchitecture(model, path, report);
  if (model.pool !== undefined && !model.simulator && !pools.has(model.pool)) {
    const names = [...pools.keys()];
    report(`${path}.pool`, `"${model.pool}" is not a GPU pool (pools: ${names.length > 0 ? names.join(", ") : "none"})`);
  }
  const pool = model.simulator || model.pool === undefined ? undefined : pools.get(model.pool);
  if (resolvedArch === undefined) {
    return undefined;
  }
  const [architectureName, architecture] = resolvedArch;
  const tpProblem = tensorParallelProblem(architecture, model.tensorParallel);
  if (tpProblem !== undefined) {
    report(`${path}.tensorParallel`, tpProblem);
  }
  const prefillTpProblem =
    model.disaggregation?.prefillTensorParallel !== undefined ? tensorParallelProblem(architecture, model.disaggregation.prefillTensorParallel) : undefined;
  if (prefillTpProblem !== undefined) {
    report(`${path}.disaggregation.prefillTensorParallel`, prefillTpProblem);
  }
  if (model.dtype !== undefined && !model.simulator) {
    const dtypeProblem = servedDtypeProblem(architecture.dtype, model.dtype);
    if (dtypeProblem !== undefined) {
      report(`${path}.dtype`, dtypeProblem);
    }
  }
  const maxModelLen = model.maxModelLen ?? Math.min(DEFAULT_MAX_MODEL_LEN, architecture.maxContext);
  if (maxModelLen > architecture.maxContext) {
    report(`${path}.maxModelLen`, `${maxModelLen} exceeds the model's maximum context of ${architecture.maxContext} tokens`);
  }
  const gpusPerReplica = model.simulator ? 0 : model.tensorParallel * model.dataLocal;
  const dtype = model.dtype ?? architecture.dtype;
  const gpus = {
    tensorParallel: model.tensorParallel,
    // A MIG instance has its own slice of the device's memory.
    gpuMemoryGiB: pool?.schedulableGpus.memoryGiB ?? 0,
    gpuMemoryUtilization: model.gpuMemoryUtilization,
  };
  const memory = replicaMemory(architecture, gpus, { dtype, kvCacheDtype: model.kvCacheDtype });
  if (pool !== undefined) {
    checkSharedPlacement(model, gpusPerReplica, pool.schedulableGpus, pool.name, path, report);
    const perNode = pool.hardware.gpusPerNode;
    if (gpusPerReplica > perNode) {
      if (!pool.multiNode) {
        report(
          `${path}.tensorParallel`,
          `${model.tensorParallel} × dataLocal ${model.dataLocal} = ${gpusPerReplica} GPUs exceeds the ${perNode} GPUs per node of pool "${pool.name}" (make the pool multiNode or lower it)`,
        );
      } else if (model.tensorParallel > perNode) {
        // KServe v0.20 spans nodes with data parallelism (LeaderWorkerSet + its worker-data-parallel
        // preset); tensor parallelism across nodes would need pipeline parallelism, whose presets
        // it does not ship.
        report(
          `${path}.tensorParallel`,
          `${model.tensorParallel} exceeds the ${perNode} GPUs of one node; multi-node replicas span nodes with dataLocal (data parallelism), so keep tensorParallel ≤ ${perNode}`,
        );
      } else if (gpusPerReplica % perNode !== 0) {
        report(
          `${path}.tensorParallel`,
          `${gpusPerReplica} GPUs per replica must be a multiple of the ${perNode} GPUs per node of multi-node pool "${pool.name}"`,
        );
      } else if (gpusPerReplica / perNode > pool.maxNodes) {
        report(
          `${path}.tensorParallel`,
          `one replica needs ${gpusPerReplica / perNode} nodes but pool "${pool.name}" has at most ${pool.maxNodes}`,
        );
      }
    }
    const fit = checkFit(architecture, gpus, maxModelLen, { dtype, kvCacheDtype: model.kvCacheDtype });
    if (!fit.fits) {
      const gpu = pool.schedulableGpus.mode === "mig" ? `${pool.hardware.gpuModel} MIG instances` : pool.hardware.gpuModel;
      report(`${path}.maxModelLen`, `${architectureName} does not fit pool "${pool.name}" (${gpu}) at tensorParallel ${model.tensorParallel}: ${fit.reason}`);
    }
    const prefillTp = model.disaggregation?.prefillTensorParallel;
    if (prefillTp !== undefined && prefillTp * model.dataLocal > perNode && !pool.multiNode) {
      report(`${path}.disaggregation.prefillTensorParallel`, `${prefillTp} × dataLocal ${model.dataLocal} exceeds the ${perNode} GPUs per node of pool "${pool.name}"`);
    }
    if (prefillTp !== undefined && !checkFit(architecture, { ...gpus, tensorParallel: prefillTp }, maxModelLen, { dtype, kvCacheDtype: model.kvCacheDtype }).fits) {
      report(`${path}.disaggregation.prefillTensorParallel`, `${architectureName} does not fit ${prefillTp} ${pool.hardware.gpuModel} GPU(s) at maxModelLen ${maxModelLen}`);
    }
  }
  const multiNode = pool !== undefined && gpusPerReplica > pool.hardware.gpusPerNode;
  const mode = config.modelCache.mode;
  const cacheMode: CacheMode = model.simulator || mode === "off" ? "off" : mode === "auto" ? (pool?.nvme === "raid0" ? "nvme" : "stream") : mode;
  checkLoraSources(model, cacheMode, path, report);
  if (cacheMode === "nvme" && pool !== undefined && pool.nvme !== "raid0") {
    report(`${path}.pool`, `pool "${pool.name}" has no NVMe array for modelCache.mode nvme (use auto or stream, or a pool with local NVMe)`);
  }
  return {
    cacheMode,
    ...model,
    replicas: model.autoscaling?.maxReplicas ?? model.replicas ?? 1,
    pool: model.simulator ? undefined : model.pool,
    servedModelName: model.servedModelName ?? model.name,
    architectureName,
    architecture,
    dtype,
    maxModelLen,
    gpusPerReplica,
    memory,
    multiNode,
  };
}

function reportDuplicates(items: readonly { name: string }[], section: string, report: Report): void {
  const first = new Map<string, number>();
  items.forEach((item, index) => {
    const earlier = first.get(item.name);
    if (earlier === undefined) {
      first.set(item.name, index);
    } else {
      report(`${section}[${index}].name`, `"${item.name}" is already used by ${section}[${earlier}]`);
    }
  });
}

/**
 * One GPU Operator serves the whole cluster, so pools must agree on what it installs: a driver
 * on some nodes and not others, or a device plugin beside Bottlerocket's own, cannot be expressed.
 */
function reportMixedImages(pools: readonly ResolvedPool[], report: Report): void {
  const shipsDriver = new Set(pools.map((p) => IMAGES_WITH_DRIVER.includes(p.nodeImage)));
  const bottlerocket = new Set(pools.map((p) => p.nodeImage === "bottlerocket-nvidia"));
  if (shipsDriver.size > 1 || bottlerocket.size > 1) {
    const index = pools.findIndex((p) => p.nodeImage !== pools[0].nodeImage);
    report(
      `gpuPools[${index}].nodeImage`,
      `"${pools[index].nodeImage}" differs from "${pools[0].nodeImage}" of pool "${pools[0].name}" in what it ships (driver, toolkit, device plugin); one GPU Operator cannot serve both, so use one image family per cluster`,
    );
  }
}

function reportPoolCapacity(models: readonly ResolvedModel[], pools: readonly ResolvedPool[], report: Report): void {
  pools.forEach((pool, index) => {
    const demand = models
      .filter((m) => m.pool === pool.name)
      .reduce((sum, m) => sum + m.replicas * m.gpusPerReplica + (m.disaggregation ? m.disaggregation.prefillReplicas * (m.disaggregation.prefillTensorParallel ?? m.tensorParallel) * m.dataLocal : 0), 0);
    const perNode = pool.schedulableGpus.perNode;
    const capacity = pool.maxNodes * perNode;
    if (demand > capacity) {
      const unit = pool.schedulableGpus.mode === "none" ? "GPUs" : `schedulable GPUs (${pool.schedulableGpus.mode})`;
      report(
        `gpuPools[${index}].maxNodes`,
        `its models need ${demand} GPUs at full replica count but ${pool.maxNodes} node(s) × ${perNode} ${unit} give ${capacity}`,
      );
    }
  });
}

/** Where the shared Gateway lives (components/addons/gateway-manifests.ts). */
const SHARED_GATEWAY_NAMESPACE = "llm-gateway";

/**
 * Namespaces the models namespace must not be: Kubernetes' own and those of the add-ons. The
 * platform creates, labels and on destroy deletes its models namespace.
 */
export function reservedNamespaces(): ReadonlyMap<string, string> {
  const reserved = new Map<string, string>([
    ["default", "Kubernetes"],
    ["kube-system", "Kubernetes"],
    ["kube-public", "Kubernetes"],
    ["kube-node-lease", "Kubernetes"],
    [SHARED_GATEWAY_NAMESPACE, "the shared inference Gateway"],
  ]);
  for (const [key, pin] of Object.entries(charts)) {
    if (pin.namespace !== "") {
      reserved.set(pin.namespace, `the ${key} add-on`);
    }
  }
  return reserved;
}

function checkModelsNamespace(namespace: string, report: Report): void {
  const owner = reservedNamespaces().get(namespace) ?? (/^(kube|gke|gmp|openshift)-/.test(namespace) ? "the cluster's own components" : undefined);
  if (owner !== undefined) {
    report("modelsNamespace", `"${namespace}" belongs to ${owner}; the platform creates, restricts and on destroy deletes its models namespace, so give it one of its own such as llm-models`);
  }
}

/**
 * Pools whose node selectors overlap would let a model's pods land on another pool's nodes (with
 * other GPUs, NVMe and sharing): each pool's labels must not all be carried by another pool.
 */
function reportOverlappingSelectors(pools: readonly ResolvedPool[], indexOf: (name: string) => number, report: Report): void {
  const covers = (a: ResolvedPool, b: ResolvedPool) => Object.entries(a.nodeLabels).every(([k, v]) => b.nodeLabels[k] === v);
  pools.forEach((pool, i) => {
    const other = pools.find((p, j) => j !== i && covers(pool, p) && (j < i || !covers(p, pool)));
    if (other !== undefined) {
      report(`gpuPools[${indexOf(pool.name)}].nodeLabels`, `select pool "${other.name}"'s nodes too; give each pool a label of its own (the default is llm-platform.io/pool: <name>)`);
    }
  });
}

/** Pools that no model runs on: legal, but their nodes cost money. */
function unusedPoolWarnings(config: ParsedPlatform): ConfigIssue[] {
  const used = new Set(config.models.flatMap((m) => (m.simulator || m.pool === undefined ? [] : [m.pool])));
  return config.gpuPools.flatMap((pool, i) =>
    used.has(pool.name)
      ? []
      : [{ path: `gpuPools[${i}]`, message: `no model runs on pool "${pool.name}"; its ${pool.minNodes} to ${pool.maxNodes} node(s) would sit idle` }],
  );
}

/**
 * Cross-field checks and catalog lookups over a structurally valid config. Returns the resolved
 * config and every problem found; the config is only usable when the list is empty.
 */
export function resolvePlatform(config: ParsedPlatform): { config: PlatformConfig; issues: ConfigIssue[]; warnings: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const report: Report = (path, message) => issues.push({ path, message });

  const clusterName = config.cluster.name ?? `${config.environment.name}-llm`;
  const managed = resolveManagedCluster(config, report);
  const store = resolveStore(config, clusterName, report);
  const monitoring = resolveMonitoring(config.monitoring, report);

  reportDuplicates(config.gpuPools, "gpuPools", report);
  checkModelsNamespace(config.modelsNamespace, report);
  if (config.modelCache.mode === "off" && config.environment.tier === "prod") {
    report("modelCache.mode", "off downloads weights from the source on every pod start; prod uses nvme, stream or auto");
  }
  if (config.gateway.hostname !== undefined && config.gateway.issuer === undefined) {
    report("gateway.issuer", "is required with gateway.hostname: the HTTPS listener needs a cert-manager issuer for its certificate");
  }
  if (config.gateway.issuer !== undefined && config.gateway.hostname === undefined) {
    report("gateway.hostname", "is required with gateway.issuer: the certificate needs a hostname");
  }
  reportDuplicates(config.models, "models", report);

  const resolvedPools = config.gpuPools.map((pool, i) => resolvePool(pool, i, config, report));
  const poolsByName = new Map<string, ResolvedPool | undefined>();
  config.gpuPools.forEach((pool, i) => {
    if (!poolsByName.has(pool.name)) {
      poolsByName.set(pool.name, resolvedPools[i]);
    }
  });
  const resolvedModels = config.models.map((model, i) => resolveModel(model, i, config, poolsByName, report));

  const pools = resolvedPools.filter((p): p is ResolvedPool => p !== undefined);
  reportMixedImages(pools, report);
  reportOverlappingSelectors(pools, (n) => config.gpuPools.findIndex((p) => p.name === n), report);
  managed.checkPools(pools, config.gpuPools.map((p) => p.name), report);
  const models = resolvedModels.filter((m): m is ResolvedModel => m !== undefined);
  const { tenants, authentication } = resolveTenants(
    {
      tenants: config.tenants,
      authentication: config.gateway.authentication,
      models: config.models,
      gatewayAddon: config.addons.gateway,
      sharedGateway: config.addons.sharedGateway,
    },
    report,
  );
  if (issues.length === 0) {
    reportPoolCapacity(models, pools, report);
  }
  return {
    config: {
      ...config,
      cluster: { ...config.cluster, name: clusterName, deletionProtection: managed.deletionProtection, systemNodes: managed.systemNodes },
      network: managed.network,
      modelCache: { ...config.modelCache, store },
      monitoring,
      gpuPools: pools,
      models,
      authentication,
      tenants,
    },
    issues,
    warnings: unusedPoolWarnings(config),
  };
}

import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { checkFitBytes } from "../components/sizing";
import { gpuNodeGroup, gpuSources, gpuTypesOf, gpusOfType, karpenterGpuView, EKS_MANAGED_NODE_GROUP, EKS_NODE_GROUP, GKE_NODE_POOL, GKE_CLUSTER } from "./lib/gpu-nodes";
import { allPlatformFacts, gpuModelsWithPools, platformFactsOf } from "./lib/facts";
import { containersOf, gpuResources, HELM_RELEASE, isBlanketToleration, isKind, Json, k8sObjects, objectName, podSpecs, requestsGpus, requiredNodeLabels, tolerates, wholeGpus } from "./lib/kubernetes";

const GPU_TAINT = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" };

/** A Karpenter NodePool that can launch GPU nodes: its template's taints and the capacity types it allows. */
function karpenterGpuPool(type: string, props: Json): { taints: Json[]; capacityTypes: string[] } | undefined {
  if (!isKind(type, "karpenter.sh", "NodePool") || !karpenterGpuView(props).gpu) {
    return undefined;
  }
  const template = props?.spec?.template?.spec ?? {};
  const capacity = ((template.requirements ?? []) as Json[]).filter((r) => r?.key === "karpenter.sh/capacity-type" && r?.operator === "In").flatMap((r) => (r.values ?? []) as string[]);
  // Without a capacity-type requirement Karpenter launches on-demand only.
  return { taints: (template.taints ?? []) as Json[], capacityTypes: capacity.length > 0 ? capacity : ["on-demand"] };
}

export const gpuNodeTaint: ResourceValidationPolicy = {
  name: "gpu-node-taint",
  description: "GPU node pools carry the nvidia.com/gpu NoSchedule taint, so only GPU workloads land on GPU nodes.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const karpenter = karpenterGpuPool(args.type, args.props);
    if (karpenter !== undefined && !karpenter.taints.some((t) => t?.key === GPU_TAINT.key && t?.effect === "NoSchedule")) {
      report(`Karpenter NodePool ${args.name} launches GPU nodes without the nvidia.com/gpu NoSchedule taint, so any pod can take them. Add it to spec.template.spec.taints.`);
    }
    const group = gpuNodeGroup(args.type, args.props);
    if (group === undefined) {
      return;
    }
    if (!group.taints.some((t) => t.key === GPU_TAINT.key && t.effect === "NoSchedule")) {
      report(
        `GPU node group ${args.name} (${group.types.join(", ")}) has no nvidia.com/gpu NoSchedule taint, so any pod can take its GPU nodes. ` +
          `Add taint nvidia.com/gpu=present:NoSchedule (EKS effect NO_SCHEDULE, GKE NO_SCHEDULE).`,
      );
    }
  },
};

export interface AllowlistConfig {
  allowedTypes: string[];
}

export const gpuInstanceAllowlist: ResourceValidationPolicy = {
  name: "gpu-instance-allowlist",
  description: "GPU instance and machine types of every GPU source (node groups, launch templates, instances, GKE pools, Karpenter NodePools, platform pools) are on the tier's allowlist.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: { allowedTypes: { type: "array", items: { type: "string" }, default: [] } },
  },
  validateResource: (args, report) => {
    const { allowedTypes } = args.getConfig<AllowlistConfig>();
    const facts = platformFactsOf(args);
    const fix = `Pick an allowed type (gpuPools[].instanceType in the stack config) or extend gpu-instance-allowlist.allowedTypes in the tier's policy config.`;
    const named = facts ? { types: facts.pools.flatMap((p) => (p.instanceType ? [p.instanceType] : [])) } : gpuTypesOf(args);
    if (named?.unrestricted) {
      report(`${objectName(args.type, args.props, args.name)} can launch GPU nodes but ${named.unrestricted}. Add a node.kubernetes.io/instance-type requirement listing allowed types. ${fix}`);
    }
    const gpuTypes = (named?.types ?? []).filter((t) => facts !== undefined || gpusOfType("aws", t) > 0 || gpusOfType("gcp", t) > 0 || gpuNodeGroup(args.type, args.props) !== undefined);
    for (const t of gpuTypes.filter((t) => !allowedTypes.includes(t))) {
      report(`GPU type ${t} on ${args.name} is not allowed in this tier (allowed: ${allowedTypes.join(", ") || "none"}). ${fix}`);
    }
  },
};

export interface BudgetConfig {
  maxGpus: number;
}

const POOL_TYPES = [EKS_NODE_GROUP, EKS_MANAGED_NODE_GROUP, GKE_NODE_POOL, GKE_CLUSTER];

export const gpuBudget: StackValidationPolicy = {
  name: "gpu-budget",
  description: "Total GPUs at maximum scale over every source (node groups, launch templates, EC2/GCE instances, GKE pools per zone × zones, Karpenter NodePool limits) stay within the tier's budget.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { maxGpus: { type: "integer", minimum: 0, default: 64 } } },
  validateStack: (args, report) => {
    const { maxGpus } = args.getConfig<BudgetConfig>();
    const sources = gpuSources(args.resources);
    for (const s of sources.filter((s) => s.unbounded)) {
      report(`${s.what} ${s.name} can launch GPU nodes but ${s.unbounded}, so the tier budget of ${maxGpus} GPUs cannot hold. Set spec.limits["nvidia.com/gpu"] within the budget.`);
    }
    // Existing clusters register no node groups; their pools are described in the platform facts.
    const cloudPools = args.resources.some((r) => POOL_TYPES.includes(r.type) && (gpuNodeGroup(r.type, r.props) !== undefined || r.type === GKE_CLUSTER));
    const pools = cloudPools ? [] : allPlatformFacts(args.resources).flatMap((f) => f.pools.map((p) => ({ name: `pool ${p.name}`, gpus: p.maxNodes * p.gpusPerNode })));
    const all = [...sources.map((s) => ({ name: `${s.what} ${s.name}`, gpus: s.gpus })), ...pools];
    const total = all.reduce((s, p) => s + p.gpus, 0);
    if (total > maxGpus) {
      report(`GPU capacity reaches ${total} GPUs at max scale (${all.map((p) => `${p.name}: ${p.gpus}`).join(", ")}), above the tier budget of ${maxGpus}. Lower gpuPools[].maxNodes in the stack config (or the sizes of hand-written groups), or raise gpu-budget.maxGpus.`);
    }
  },
};

export interface PlacementConfig {
  poolLabels: string[];
}

/** Node labels that only GPU nodes carry, or that name a GPU pool. */
const GPU_POOL_LABELS = [
  "llm-platform.io/pool",
  "llm-platform.io/gpu-model",
  "nvidia.com/gpu.present",
  "nvidia.com/gpu.product",
  "nvidia.com/gpu.count",
  "cloud.google.com/gke-accelerator",
  "cloud.google.com/gke-nodepool",
  "eks.amazonaws.com/nodegroup",
  "karpenter.sh/nodepool",
  "karpenter.k8s.aws/instance-gpu-name",
  "karpenter.k8s.aws/instance-gpu-count",
  "karpenter.k8s.aws/instance-gpu-manufacturer",
  "node.kubernetes.io/instance-type",
];

export const gpuRequestsWhole: ResourceValidationPolicy = {
  name: "gpu-requests-whole",
  description: "GPU requests are whole numbers with requests equal to limits; GPU pods tolerate the GPU taint by key (no blanket toleration) and select a GPU pool.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { poolLabels: { type: "array", items: { type: "string" }, default: GPU_POOL_LABELS } } },
  validateResource: (args, report) => {
    const { poolLabels } = args.getConfig<PlacementConfig>();
    for (const o of k8sObjects(args.type, args.props)) {
      for (const view of podSpecs(o.type, o.props)) {
        const where = `${objectName(o.type, o.props, args.name)} ${view.path}`;
        for (const { name, container } of containersOf(view.spec)) {
          const { limit, request } = gpuResources(container);
          if (limit === undefined && request === undefined) {
            continue;
          }
          if (limit === undefined || wholeGpus(limit) === undefined) {
            report(`${where} container ${name}: nvidia.com/gpu limit ${String(limit)} must be a whole number of GPUs. Set resources.limits["nvidia.com/gpu"] to an integer.`);
          }
          if (request !== undefined && String(request) !== String(limit)) {
            report(`${where} container ${name}: nvidia.com/gpu request ${String(request)} differs from limit ${String(limit)}. GPUs cannot be overcommitted; set both to the same integer.`);
          }
        }
        if (!requestsGpus(view.spec)) {
          continue;
        }
        const tolerations = (view.spec?.tolerations ?? []) as Json[];
        if (tolerations.some(isBlanketToleration)) {
          report(`${where}: requests GPUs with a blanket toleration (operator Exists, no key), which lets it onto every tainted node. Tolerate nvidia.com/gpu:NoSchedule by key instead.`);
        } else if (!tolerates(view.spec, GPU_TAINT)) {
          report(`${where}: requests GPUs but does not tolerate nvidia.com/gpu:NoSchedule, so it cannot schedule on GPU nodes. Add the toleration.`);
        }
        const labels = requiredNodeLabels(view.spec);
        const placed = Object.entries(labels).some(([key, value]) =>
          poolLabels.includes(key) && (key !== "node.kubernetes.io/instance-type" || value.split(",").every((t) => gpusOfType("aws", t) > 0 || gpusOfType("gcp", t) > 0)),
        );
        if (!placed) {
          const given = Object.keys(labels);
          report(`${where}: requests GPUs without selecting a GPU pool${given.length > 0 ? ` (${given.join(", ")} select no GPU pool)` : ""}. Add a nodeSelector such as llm-platform.io/pool: <one of the stack's gpuPools>.`);
        }
      }
    }
  },
};

export const modelFitsGpus: ResourceValidationPolicy = {
  name: "model-fits-gpus",
  description: "Each model's weights plus the KV cache of one max-length sequence fit its tensor-parallel GPUs.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const facts = platformFactsOf(args);
    for (const { model: m, pool } of facts ? gpuModelsWithPools(facts) : []) {
      if (pool === undefined) {
        report(`model ${m.name} runs on pool ${m.pool}, which the platform does not describe. Add the pool or move the model.`);
        continue;
      }
      const fit = checkFitBytes(
        m.weightBytes,
        m.kvBytesPerToken,
        { tensorParallel: m.tensorParallel, gpuMemoryGiB: pool.gpuMemoryGiB, gpuMemoryUtilization: m.gpuMemoryUtilization },
        m.maxModelLen,
      );
      if (!fit.fits) {
        report(`model ${m.name} does not fit pool ${pool.name} (${pool.gpuModel}) at tensorParallel ${m.tensorParallel}: ${fit.reason}. Raise tensorParallel, lower maxModelLen or use a larger GPU.`);
      }
    }
  },
};

export const tensorParallelWithinNode: ResourceValidationPolicy = {
  name: "tensor-parallel-within-node",
  description: "tensorParallel × dataLocal fits the GPUs of one node unless the pool is multi-node.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const facts = platformFactsOf(args);
    for (const { model: m, pool } of facts ? gpuModelsWithPools(facts) : []) {
      const gpus = m.tensorParallel * m.dataLocal;
      if (pool !== undefined && !pool.multiNode && gpus > pool.gpusPerNode) {
        report(`model ${m.name} needs ${gpus} GPUs per replica but pool ${pool.name} nodes have ${pool.gpusPerNode} and the pool is not multi-node. Lower tensorParallel × dataLocal or set multiNode on the pool.`);
      }
    }
  },
};

/** Values of the GPU Operator chart that decide what it installs on the nodes. */
function gpuOperatorValues(props: Json): Json | undefined {
  const chart = String(props?.chart ?? "");
  return /(^|\/)gpu-operator$/.test(chart) ? (props?.values ?? {}) : undefined;
}

export const gpuOperatorNoDuplicateDriver: StackValidationPolicy = {
  name: "gpu-operator-no-duplicate-driver",
  description: "The GPU Operator never installs a driver, toolkit or device plugin that the node image already ships.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const releases = args.resources.filter((r) => r.type === HELM_RELEASE && gpuOperatorValues(r.props) !== undefined);
    if (releases.length === 0) {
      args.notApplicable("no GPU Operator release in the stack");
    }
    const groups = args.resources.flatMap((r) => gpuNodeGroup(r.type, r.props) ?? []);
    const shipsDriver = groups.some((g) => /NVIDIA/.test(g.amiType ?? "") || g.gkeDriver === "google");
    const bottlerocket = groups.some((g) => /BOTTLEROCKET.*NVIDIA/.test(g.amiType ?? ""));
    for (const release of releases) {
      const values = gpuOperatorValues(release.props);
      const on = (key: string) => values?.[key]?.enabled !== false;
      if (shipsDriver && on("driver")) {
        report(`${release.name}: the GPU node image ships the NVIDIA driver but driver.enabled is not false. Set driver.enabled: false.`, release.urn);
      }
      if (shipsDriver && on("toolkit") && !groups.every((g) => g.gkeDriver === "google")) {
        report(`${release.name}: the GPU node image ships the NVIDIA container toolkit but toolkit.enabled is not false. Set toolkit.enabled: false.`, release.urn);
      }
      if (bottlerocket && on("devicePlugin")) {
        report(`${release.name}: Bottlerocket NVIDIA images run their own device plugin but devicePlugin.enabled is not false. Set devicePlugin.enabled: false.`, release.urn);
      }
    }
  },
};

export const spotGpuInProd: ResourceValidationPolicy = {
  name: "spot-gpu-in-prod",
  description: "Spot GPU capacity can vanish under load; in prod it deserves a second look.",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    if (karpenterGpuPool(args.type, args.props)?.capacityTypes.includes("spot")) {
      report(`Karpenter NodePool ${args.name} launches spot GPU nodes; a reclaim takes their replicas down (drained within their grace). Keep spot as the last fallback step of prod pools.`);
    }
    const group = gpuNodeGroup(args.type, args.props);
    if (group?.spot) {
      report(`GPU node group ${args.name} runs on spot capacity; a reclaim takes its replicas down. Prefer on-demand or capacity blocks for prod serving.`);
    }
    for (const pool of platformFactsOf(args)?.pools ?? []) {
      if (pool.capacityType === "spot") {
        report(`GPU pool ${pool.name} runs on spot capacity; a reclaim takes its replicas down. Prefer on-demand or capacity blocks for prod serving.`);
      }
    }
  },
};

export const gpuPolicies = [gpuNodeTaint, gpuInstanceAllowlist, gpuBudget, gpuRequestsWhole, modelFitsGpus, tensorParallelWithinNode, gpuOperatorNoDuplicateDriver, spotGpuInProd];

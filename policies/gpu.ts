import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { checkFitBytes } from "../components/sizing";
import { gpuNodeGroup } from "./lib/gpu-nodes";
import { allPlatformFacts, gpuModelsWithPools, platformFactsOf } from "./lib/facts";
import { containersOf, gpuResources, HELM_RELEASE, Json, objectName, podSpecs, requestsGpus, requiredNodeLabels, tolerates, wholeGpus } from "./lib/kubernetes";

const GPU_TAINT = { key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" };

export const gpuNodeTaint: ResourceValidationPolicy = {
  name: "gpu-node-taint",
  description: "GPU node pools carry the nvidia.com/gpu NoSchedule taint, so only GPU workloads land on GPU nodes.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
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
  description: "GPU instance and machine types are limited to the tier's allowlist.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: { allowedTypes: { type: "array", items: { type: "string" }, default: [] } },
  },
  validateResource: (args, report) => {
    const { allowedTypes } = args.getConfig<AllowlistConfig>();
    const group = gpuNodeGroup(args.type, args.props);
    const facts = platformFactsOf(args);
    const types = group?.types ?? facts?.pools.flatMap((p) => (p.instanceType ? [p.instanceType] : [])) ?? [];
    for (const t of types.filter((t) => !allowedTypes.includes(t))) {
      report(`GPU type ${t} on ${args.name} is not allowed in this tier (allowed: ${allowedTypes.join(", ") || "none"}). Pick an allowed type or extend gpu-instance-allowlist.allowedTypes in the tier's policy config.`);
    }
  },
};

export interface BudgetConfig {
  maxGpus: number;
}

export const gpuBudget: StackValidationPolicy = {
  name: "gpu-budget",
  description: "Total GPUs at maximum scale (pool max nodes × GPUs per node) stay within the tier's budget.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { maxGpus: { type: "integer", minimum: 0, default: 64 } } },
  validateStack: (args, report) => {
    const { maxGpus } = args.getConfig<BudgetConfig>();
    const cloudGroups = args.resources.flatMap((r) => {
      const g = gpuNodeGroup(r.type, r.props);
      return g ? [{ name: r.name, gpus: g.maxNodes * g.gpusPerNode }] : [];
    });
    // Existing clusters register no node groups; their pools are described in the platform facts.
    const pools = cloudGroups.length > 0 ? cloudGroups : allPlatformFacts(args.resources).flatMap((f) => f.pools.map((p) => ({ name: p.name, gpus: p.maxNodes * p.gpusPerNode })));
    const total = pools.reduce((s, p) => s + p.gpus, 0);
    if (total > maxGpus) {
      report(`GPU pools reach ${total} GPUs at max scale (${pools.map((p) => `${p.name}: ${p.gpus}`).join(", ")}), above the tier budget of ${maxGpus}. Lower maxNodes or raise gpu-budget.maxGpus.`);
    }
  },
};

export const gpuRequestsWhole: ResourceValidationPolicy = {
  name: "gpu-requests-whole",
  description: "GPU requests are whole numbers with requests equal to limits; GPU pods tolerate the GPU taint and select a GPU pool.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    for (const view of podSpecs(args.type, args.props)) {
      const where = `${objectName(args.type, args.props, args.name)} ${view.path}`;
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
      if (!tolerates(view.spec, GPU_TAINT)) {
        report(`${where}: requests GPUs but does not tolerate nvidia.com/gpu:NoSchedule, so it cannot schedule on GPU nodes. Add the toleration.`);
      }
      if (Object.keys(requiredNodeLabels(view.spec)).length === 0) {
        report(`${where}: requests GPUs without selecting a GPU pool. Add a nodeSelector such as llm-platform.io/pool: <pool>.`);
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

import type { RecordedResource } from "../../../automation/plan/recorder";
import { gpuProductLabel, GpuModel } from "../../../components/catalog";

// The nodes a stack's cluster would have, as the cloud labels and taints them, for kwok to
// simulate. Built from what plan sent to the cloud (the EKS managed node groups and GKE node
// pools, with the labels and taints those APIs put on every node they start), and from the
// platform's pool facts for an existing cluster, whose operator labels nodes as configured.
// Pure: the e2e controller tier creates these objects; unit tests check them.

const PLATFORM = "llm-platform:index:LlmPlatform";
const EKS_NODE_GROUP = "eks:index:ManagedNodeGroup";
const GKE_NODE_POOL = "gcp:container/nodePool:NodePool";
/** kwok manages the nodes carrying this annotation and no others. */
export const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";

export interface NodeTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

export interface SimulatedNode {
  readonly apiVersion: "v1";
  readonly kind: "Node";
  readonly metadata: { readonly name: string; readonly labels: Record<string, string>; readonly annotations: Record<string, string> };
  readonly spec: { readonly taints: NodeTaint[] };
  readonly status: { readonly capacity: Record<string, string>; readonly allocatable: Record<string, string> };
}

/** A pool of identical nodes: GPU pools carry the GPU fields. */
export interface NodePoolShape {
  /** The pool's name as the cloud knows it (node names derive from it). */
  readonly name: string;
  /** The platform's GPU pool this is, when it is one. */
  readonly gpuPool?: string;
  readonly labels: Record<string, string>;
  readonly taints: NodeTaint[];
  readonly count: number;
  readonly gpus: number;
  readonly gpuProduct?: string;
  /** Bytes of ephemeral storage: the local NVMe array when the pool has one. */
  readonly ephemeralBytes: number;
}

interface PoolFacts {
  readonly name: string;
  readonly gpuModel: string;
  readonly gpusPerNode: number;
  readonly minNodes: number;
  readonly maxNodes: number;
  readonly nvmeBytes: number;
  readonly nodeLabels: Record<string, string>;
}

type Inputs = Record<string, unknown>;
const isMap = (v: unknown): v is Inputs => typeof v === "object" && v !== null && !Array.isArray(v);

const CLOUD_EFFECT: Record<string, NodeTaint["effect"]> = {
  NO_SCHEDULE: "NoSchedule",
  PREFER_NO_SCHEDULE: "PreferNoSchedule",
  NO_EXECUTE: "NoExecute",
  NoSchedule: "NoSchedule",
  PreferNoSchedule: "PreferNoSchedule",
  NoExecute: "NoExecute",
};

/** Taints as a cloud API or the platform spells them, in the Kubernetes form; an unknown effect is an error. */
export function kubernetesTaints(taints: unknown, where: string): NodeTaint[] {
  if (taints === undefined) {
    return [];
  }
  if (!Array.isArray(taints)) {
    throw new Error(`${where}.taints: expected a list, got ${JSON.stringify(taints)}`);
  }
  return taints.map((t: unknown, i) => {
    const taint = isMap(t) ? t : {};
    const effect = CLOUD_EFFECT[String(taint.effect)];
    if (typeof taint.key !== "string" || effect === undefined) {
      throw new Error(`${where}.taints[${i}]: not a taint a node can carry: ${JSON.stringify(t)}`);
    }
    return { key: taint.key, ...(typeof taint.value === "string" ? { value: taint.value } : {}), effect };
  });
}

const GB = 1e9;
/** Root disk of a node without local NVMe for weights (the platform's GPU node default is 200 GB). */
const ROOT_DISK_BYTES = 200 * GB;
/** The most nodes of one pool the tier simulates: enough for every sample's replicas. */
const MAX_SIMULATED_NODES = 8;

function poolFacts(resources: readonly RecordedResource[]): PoolFacts[] {
  const platform = resources.find((r) => r.type === PLATFORM);
  const facts = (platform?.inputs as { facts?: { pools?: PoolFacts[] } } | undefined)?.facts;
  if (facts === undefined) {
    throw new Error(`the plan registered no ${PLATFORM} with facts: cannot tell the stack's GPU pools`);
  }
  return facts.pools ?? [];
}

const covers = (labels: Record<string, string>, wanted: Record<string, string>) => Object.entries(wanted).every(([k, v]) => labels[k] === v);

/** Nodes a GPU pool reaches: its maximum (the autoscaler would add them), capped for the simulation. */
const simulatedCount = (min: number, max: number) => Math.min(Math.max(min, max, 1), MAX_SIMULATED_NODES);

function gpuFields(facts: PoolFacts): Pick<NodePoolShape, "gpuPool" | "gpus" | "gpuProduct" | "ephemeralBytes"> {
  const product = (gpuProductLabel as Record<string, string | undefined>)[facts.gpuModel as GpuModel];
  return {
    gpuPool: facts.name,
    gpus: facts.gpusPerNode,
    ...(product !== undefined ? { gpuProduct: product } : {}),
    ephemeralBytes: facts.nvmeBytes > 0 ? facts.nvmeBytes : ROOT_DISK_BYTES,
  };
}

/**
 * The node pools of a planned stack. EKS: each managed node group's labels and taints plus the
 * `eks.amazonaws.com/nodegroup` label EKS adds. GKE: each node pool's labels and taints plus the
 * `cloud.google.com/gke-nodepool` (and, with GPUs, `cloud.google.com/gke-accelerator`) labels and
 * the `nvidia.com/gpu=present:NoSchedule` taint GKE puts on GPU nodes. An existing cluster: one
 * pool per GPU pool with the configured labels and taints, plus one untainted CPU pool.
 * GPU pools get the labels the GPU Operator's feature discovery sets and `nvidia.com/gpu`
 * capacity; a GPU pool of the platform that no cloud pool selects is an error.
 */
export function nodePools(resources: readonly RecordedResource[], configuredTaints: Readonly<Record<string, readonly NodeTaint[]>> = {}): NodePoolShape[] {
  const facts = poolFacts(resources);
  const shapes: NodePoolShape[] = [];
  const seen = new Set<string>();
  for (const r of resources) {
    const inputs = r.inputs as Inputs;
    let shape: { name: string; labels: Record<string, string>; taints: NodeTaint[]; min: number; max: number } | undefined;
    if (r.type === EKS_NODE_GROUP) {
      const scaling = (inputs.scalingConfig ?? {}) as { minSize?: number; maxSize?: number };
      const name = String(inputs.nodeGroupName ?? r.name);
      shape = {
        name,
        labels: { ...((inputs.labels ?? {}) as Record<string, string>), "eks.amazonaws.com/nodegroup": name },
        taints: kubernetesTaints(inputs.taints, `${EKS_NODE_GROUP} ${r.name}`),
        min: scaling.minSize ?? 1,
        max: scaling.maxSize ?? 1,
      };
    } else if (r.type === GKE_NODE_POOL) {
      const config = (inputs.nodeConfig ?? {}) as Inputs;
      const autoscaling = (inputs.autoscaling ?? {}) as { totalMinNodeCount?: number; totalMaxNodeCount?: number; minNodeCount?: number; maxNodeCount?: number };
      const accelerators = (config.guestAccelerators ?? []) as { type?: string; count?: number }[];
      const name = String(inputs.name ?? r.name);
      const taints = kubernetesTaints(config.taints, `${GKE_NODE_POOL} ${r.name}`);
      if (accelerators.length > 0 && !taints.some((t) => t.key === "nvidia.com/gpu")) {
        taints.push({ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" });
      }
      shape = {
        name,
        labels: {
          ...((config.labels ?? {}) as Record<string, string>),
          "cloud.google.com/gke-nodepool": name,
          ...(accelerators[0]?.type !== undefined ? { "cloud.google.com/gke-accelerator": accelerators[0].type } : {}),
        },
        taints,
        min: autoscaling.totalMinNodeCount ?? autoscaling.minNodeCount ?? Number(inputs.initialNodeCount ?? 1),
        max: autoscaling.totalMaxNodeCount ?? autoscaling.maxNodeCount ?? Number(inputs.initialNodeCount ?? 1),
      };
    }
    if (shape === undefined) {
      continue;
    }
    const labels = shape.labels;
    const pool = facts.find((p) => covers(labels, p.nodeLabels));
    if (pool !== undefined) {
      seen.add(pool.name);
      shapes.push({ name: shape.name, labels, taints: shape.taints, count: simulatedCount(shape.min, shape.max), ...gpuFields(pool) });
    } else {
      shapes.push({ name: shape.name, labels, taints: shape.taints, count: Math.min(Math.max(shape.min, 1), 2), gpus: 0, ephemeralBytes: ROOT_DISK_BYTES });
    }
  }
  const cloudPools = shapes.length > 0;
  for (const pool of facts.filter((p) => !seen.has(p.name))) {
    if (cloudPools) {
      throw new Error(`GPU pool ${pool.name}: no node group or node pool of the plan carries its labels ${JSON.stringify(pool.nodeLabels)}`);
    }
    const taints = configuredTaints[pool.name];
    if (taints === undefined) {
      throw new Error(`GPU pool ${pool.name}: no configured taints given for an existing cluster's pool`);
    }
    shapes.push({ name: pool.name, labels: { ...pool.nodeLabels }, taints: [...taints], count: simulatedCount(pool.minNodes, pool.maxNodes), ...gpuFields(pool) });
  }
  if (!shapes.some((s) => s.gpuPool === undefined)) {
    // An existing cluster's own nodes (and the CPU nodes simulator models run on).
    shapes.push({ name: "system", labels: {}, taints: [], count: 2, gpus: 0, ephemeralBytes: ROOT_DISK_BYTES });
  }
  return shapes;
}

/** The Node objects of the pools, named `<pool>-<n>`, managed by kwok. */
export function simulatedNodes(pools: readonly NodePoolShape[]): SimulatedNode[] {
  return pools.flatMap((pool) =>
    Array.from({ length: pool.count }, (_, i): SimulatedNode => {
      const name = `${pool.name}-${i}`.toLowerCase().replace(/[^a-z0-9.-]/g, "-");
      const gpu = pool.gpus > 0;
      // GPU nodes of these sizes have a few hundred GiB of memory and 100+ vCPUs; the simulation
      // gives every node room enough that only GPUs, selectors and taints decide placement.
      const resources: Record<string, string> = {
        cpu: gpu ? "96" : "16",
        memory: gpu ? "1024Gi" : "64Gi",
        pods: "110",
        "ephemeral-storage": String(pool.ephemeralBytes),
        ...(gpu ? { "nvidia.com/gpu": String(pool.gpus) } : {}),
      };
      return {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
          name,
          labels: {
            ...pool.labels,
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            ...(gpu ? { "nvidia.com/gpu.present": "true", "nvidia.com/gpu.count": String(pool.gpus) } : {}),
            ...(gpu && pool.gpuProduct !== undefined ? { "nvidia.com/gpu.product": pool.gpuProduct } : {}),
          },
          annotations: { [KWOK_NODE_ANNOTATION]: "fake" },
        },
        spec: { taints: pool.taints },
        status: { capacity: resources, allocatable: resources },
      };
    }),
  );
}

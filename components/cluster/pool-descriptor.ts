import { gpuProductLabel, GpuModel } from "../catalog";
import { ResolvedPool, Taint } from "../config";
import { COMPUTE_CLASS_LABEL, computeClassName, reachableNodes } from "../config/capacity";

export interface Toleration {
  readonly key: string;
  readonly operator: "Equal" | "Exists";
  readonly value?: string;
  readonly effect: Taint["effect"];
}

/** What a workload needs to know to land on a GPU pool and use its disks. */
export interface GpuPoolDescriptor {
  readonly name: string;
  /** Labels that select the pool's nodes. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  /** Tolerations matching every taint of the pool. */
  readonly tolerations: readonly Toleration[];
  readonly gpuModel: string;
  /** `nvidia.com/gpu.product` label value, when the GPU model is in the catalog. */
  readonly gpuProduct?: string;
  readonly gpusPerNode: number;
  readonly gpuMemoryGiB: number;
  readonly networkGbps: number;
  readonly multiNode: boolean;
  readonly minNodes: number;
  readonly maxNodes: number;
  /** What adds the pool's nodes, the fallback steps in order with their node bounds, and the nodes all steps together can reach. */
  readonly capacity: {
    readonly provisioner: ResolvedPool["capacity"]["provisioner"];
    readonly steps: readonly { readonly type: string; readonly maxNodes: number }[];
    readonly reachableNodes: number;
  };
  /** Local NVMe array for model weights; absent when the pool uses none. */
  readonly nvme?: { readonly mountPath: string; readonly capacityGB: number; readonly writeMBps: number };
}

/** Taint effects as EKS and GKE APIs spell them. */
export const CLOUD_TAINT_EFFECT = { NoSchedule: "NO_SCHEDULE", PreferNoSchedule: "PREFER_NO_SCHEDULE", NoExecute: "NO_EXECUTE" } as const;
export type CloudTaintEffect = (typeof CLOUD_TAINT_EFFECT)[keyof typeof CLOUD_TAINT_EFFECT];

export function tolerationFor(taint: Taint): Toleration {
  return taint.value === undefined
    ? { key: taint.key, operator: "Exists", effect: taint.effect }
    : { key: taint.key, operator: "Equal", value: taint.value, effect: taint.effect };
}

/** The descriptor of a configured pool. Pure: the same for every cluster kind. */
export function describePool(pool: ResolvedPool): GpuPoolDescriptor {
  const { hardware } = pool;
  const product = (gpuProductLabel as Record<string, string | undefined>)[hardware.gpuModel as GpuModel];
  const nvme =
    pool.nvme === "raid0" && hardware.localNvme !== undefined
      ? {
          mountPath: pool.nvmeMountPath,
          capacityGB: hardware.localNvme.devices * hardware.localNvme.gbPerDevice,
          writeMBps: hardware.localNvme.devices * hardware.localNvme.writeMBpsPerDevice,
        }
      : undefined;
  // Replicas of a ComputeClass pool select the class, which is what makes the cluster autoscaler
  // follow its priorities, and tolerate the taint its node pools carry.
  const computeClass = pool.capacity.provisioner === "compute-class" ? computeClassName(pool.name) : undefined;
  const nodeSelector = computeClass !== undefined ? { ...pool.nodeLabels, [COMPUTE_CLASS_LABEL]: computeClass } : pool.nodeLabels;
  const taints: readonly Taint[] = computeClass !== undefined ? [...pool.taints, { key: COMPUTE_CLASS_LABEL, value: computeClass, effect: "NoSchedule" }] : pool.taints;
  return {
    name: pool.name,
    nodeSelector,
    taints,
    tolerations: taints.map(tolerationFor),
    gpuModel: hardware.gpuModel,
    ...(product !== undefined ? { gpuProduct: product } : {}),
    gpusPerNode: hardware.gpusPerNode,
    gpuMemoryGiB: hardware.gpuMemoryGiB,
    networkGbps: hardware.networkGbps,
    multiNode: pool.multiNode,
    minNodes: pool.minNodes,
    maxNodes: pool.maxNodes,
    capacity: {
      provisioner: pool.capacity.provisioner,
      // Managed pools buy as capacityType says: one step of maxNodes.
      steps: pool.capacity.provisioner === "managed" ? [{ type: pool.capacityType, maxNodes: pool.maxNodes }] : pool.capacity.steps.map((s) => ({ type: s.type, maxNodes: s.maxNodes })),
      reachableNodes: reachableNodes(pool),
    },
    ...(nvme !== undefined ? { nvme } : {}),
  };
}

import { findGpuInstanceType } from "../../components/catalog";
import { Json } from "./kubernetes";

// GPU node groups as the cloud providers' resources describe them.

export const EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
export const EKS_MANAGED_NODE_GROUP = "eks:index:ManagedNodeGroup";
export const GKE_NODE_POOL = "gcp:container/nodePool:NodePool";

export interface GpuNodeGroupView {
  readonly cloud: "aws" | "gcp";
  /** Instance/machine types of the group. */
  readonly types: string[];
  /** GPUs per node (the largest of the group's types). */
  readonly gpusPerNode: number;
  readonly maxNodes: number;
  /** Taints in Kubernetes form (effect NoSchedule etc.). */
  readonly taints: { key: string; value?: string; effect: string }[];
  readonly spot: boolean;
  /** EKS AMI type, when set. */
  readonly amiType?: string;
  /** GKE driver installation: "google" when GKE installs drivers, "none" when it does not, undefined if unset. */
  readonly gkeDriver?: string;
}

const CLOUD_TAINT_EFFECT: Record<string, string> = {
  NO_SCHEDULE: "NoSchedule",
  PREFER_NO_SCHEDULE: "PreferNoSchedule",
  NO_EXECUTE: "NoExecute",
};

/** A node group's GPU view, or undefined when it is not a GPU node group. */
export function gpuNodeGroup(type: string, props: Json): GpuNodeGroupView | undefined {
  if (type === EKS_NODE_GROUP || type === EKS_MANAGED_NODE_GROUP) {
    const types: string[] = props?.instanceTypes ?? [];
    const gpus = Math.max(0, ...types.map((t) => findGpuInstanceType("aws", t)?.gpusPerNode ?? 0));
    const nvidiaAmi = typeof props?.amiType === "string" && /NVIDIA|GPU/.test(props.amiType);
    if (gpus === 0 && !nvidiaAmi) {
      return undefined;
    }
    return {
      cloud: "aws",
      types,
      gpusPerNode: gpus,
      maxNodes: Number(props?.scalingConfig?.maxSize ?? 0),
      taints: ((props?.taints ?? []) as Json[]).map((t) => ({ key: t.key, value: t.value, effect: CLOUD_TAINT_EFFECT[t.effect] ?? t.effect })),
      spot: props?.capacityType === "SPOT",
      amiType: props?.amiType,
    };
  }
  if (type === GKE_NODE_POOL) {
    const nodeConfig = props?.nodeConfig ?? {};
    const accelerators = (nodeConfig.guestAccelerators ?? []) as Json[];
    const machine = String(nodeConfig.machineType ?? "");
    const fromCatalog = findGpuInstanceType("gcp", machine)?.gpusPerNode ?? 0;
    const attached = accelerators.reduce((sum: number, a: Json) => sum + Number(a?.count ?? 0), 0);
    const gpus = Math.max(fromCatalog, attached);
    if (gpus === 0) {
      return undefined;
    }
    return {
      cloud: "gcp",
      types: [machine],
      gpusPerNode: gpus,
      maxNodes: Number(props?.autoscaling?.totalMaxNodeCount ?? props?.autoscaling?.maxNodeCount ?? props?.nodeCount ?? props?.initialNodeCount ?? 0),
      taints: ((nodeConfig.taints ?? []) as Json[]).map((t) => ({ key: t.key, value: t.value, effect: CLOUD_TAINT_EFFECT[t.effect] ?? t.effect })),
      spot: nodeConfig.spot === true || nodeConfig.preemptible === true,
      gkeDriver: accelerators.map((a) => a?.gpuDriverInstallationConfig?.gpuDriverVersion).find((v) => v !== undefined) === "INSTALLATION_DISABLED"
        ? "none"
        : accelerators.some((a) => a?.gpuDriverInstallationConfig?.gpuDriverVersion) ? "google" : undefined,
    };
  }
  return undefined;
}

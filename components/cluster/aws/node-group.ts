import { sharingNodeLabels } from "../../addons/gpu-operator-values";
import type { ResolvedPool, ResolvedSystemNodes, Taint } from "../../config";
import { gpuNodeUserData } from "./node-bootstrap";
import { CLOUD_TAINT_EFFECT, CloudTaintEffect } from "../pool-descriptor";

// What one EKS managed node group and its launch template are made of, as plain data. The
// EksCluster component turns these into aws.eks.NodeGroup and aws.ec2.LaunchTemplate resources.

/** Label carrying the pool's GPU model, for people and for node affinity beyond the pool label. */
export const GPU_MODEL_LABEL = "llm-platform.io/gpu-model";
/** Label of the CPU nodes that run controllers, routers and simulators. */
export const SYSTEM_NODE_LABEL = "llm-platform.io/system";

const AMI_TYPE = {
  "al2023-nvidia": "AL2023_x86_64_NVIDIA",
  "bottlerocket-nvidia": "BOTTLEROCKET_x86_64_NVIDIA",
} as const;

const CAPACITY_TYPE = { "on-demand": "ON_DEMAND", spot: "SPOT", "capacity-block": "CAPACITY_BLOCK" } as const;

export interface EksTaint {
  readonly key: string;
  readonly value?: string;
  readonly effect: CloudTaintEffect;
}

export function eksTaint(taint: Taint): EksTaint {
  return { key: taint.key, ...(taint.value !== undefined ? { value: taint.value } : {}), effect: CLOUD_TAINT_EFFECT[taint.effect] };
}

export interface NodeGroupSpec {
  readonly amiType: string;
  readonly capacityType: (typeof CAPACITY_TYPE)[keyof typeof CAPACITY_TYPE];
  readonly instanceTypes: string[];
  readonly labels: Record<string, string>;
  readonly taints: EksTaint[];
  readonly scalingConfig: { minSize: number; maxSize: number; desiredSize: number };
}

/** The node group of a GPU pool (config validation guarantees a catalog instance type and an EKS image). */
export function gpuNodeGroupSpec(pool: ResolvedPool): NodeGroupSpec {
  const image = pool.nodeImage;
  if (image !== "al2023-nvidia" && image !== "bottlerocket-nvidia") {
    throw new Error(`gpuPools "${pool.name}": node image ${image} is not an EKS image`);
  }
  return {
    amiType: AMI_TYPE[image],
    capacityType: CAPACITY_TYPE[pool.capacityType],
    instanceTypes: [pool.hardware.instanceType ?? ""],
    labels: { ...pool.nodeLabels, [GPU_MODEL_LABEL]: pool.hardware.gpuModel, ...sharingNodeLabels(pool) },
    taints: pool.taints.map(eksTaint),
    // EKS rejects a max of 0; a pool that may scale to zero still has a max of at least one.
    scalingConfig: { minSize: pool.minNodes, maxSize: Math.max(1, pool.maxNodes), desiredSize: pool.desiredNodes },
  };
}

export function systemNodeGroupSpec(nodes: ResolvedSystemNodes): NodeGroupSpec {
  return {
    amiType: "AL2023_x86_64_STANDARD",
    capacityType: "ON_DEMAND",
    instanceTypes: [nodes.instanceType],
    labels: { [SYSTEM_NODE_LABEL]: "true" },
    taints: [],
    scalingConfig: { minSize: nodes.minNodes, maxSize: nodes.maxNodes, desiredSize: nodes.minNodes },
  };
}

export interface BlockDevice {
  readonly deviceName: string;
  readonly ebs: { volumeSize: number; volumeType: "gp3"; encrypted: "true"; deleteOnTermination: "true"; kmsKeyId?: string };
}

/** Launch template contents; `S` is how resource IDs and names are passed (plain strings in tests). */
export interface LaunchTemplateSpec<S> {
  readonly blockDeviceMappings: BlockDevice[];
  readonly metadataOptions: { httpEndpoint: "enabled"; httpTokens: "required"; httpPutResponseHopLimit: number; instanceMetadataTags: "disabled" };
  readonly userData?: string;
  readonly networkInterfaces?: { deviceIndex: number; networkCardIndex: number; interfaceType: "efa"; securityGroups: S[]; deleteOnTermination: "true" }[];
  readonly placement?: { groupName: S };
  readonly instanceMarketOptions?: { marketType: "capacity-block" };
  readonly capacityReservationSpecification?: { capacityReservationTarget: { capacityReservationId: string } };
}

/** Root disk of AL2023; Bottlerocket keeps its OS on xvda and containers, images and pods on xvdb. */
function blockDevices(image: ResolvedPool["nodeImage"] | "al2023-standard", sizeGiB: number): BlockDevice[] {
  const volume = (deviceName: string, volumeSize: number): BlockDevice => ({
    deviceName,
    ebs: { volumeSize, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
  });
  return image === "bottlerocket-nvidia" ? [volume("/dev/xvda", 4), volume("/dev/xvdb", sizeGiB)] : [volume("/dev/xvda", sizeGiB)];
}

/**
 * IMDSv2 only, and a hop limit of 1 so pods (one hop further) cannot reach the node's
 * credentials; they get their own through EKS Pod Identity.
 */
const METADATA_OPTIONS = { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" } as const;

export interface GpuLaunchTemplateOptions<S> {
  /** Security groups of the EFA interfaces: the cluster's plus one that lets EFA traffic through. */
  readonly efaSecurityGroupIds?: S[];
  /** Cluster placement group for multi-node EFA pools. */
  readonly placementGroupName?: S;
}

export function gpuLaunchTemplateSpec<S>(pool: ResolvedPool, options: GpuLaunchTemplateOptions<S> = {}): LaunchTemplateSpec<S> {
  const userData = gpuNodeUserData(pool);
  const efaCards = pool.efa ? (pool.hardware.efaInterfaces ?? 1) : 0;
  if (pool.efa && options.efaSecurityGroupIds === undefined) {
    throw new Error(`gpuPools "${pool.name}": EFA interfaces need their security groups`);
  }
  const reservation = pool.reservation;
  return {
    blockDeviceMappings: blockDevices(pool.nodeImage, pool.rootVolumeGiB),
    metadataOptions: { ...METADATA_OPTIONS },
    ...(userData !== undefined ? { userData: Buffer.from(userData, "utf8").toString("base64") } : {}),
    ...(pool.efa
      ? {
          // One EFA interface per network card; the first is the primary interface (device 0).
          networkInterfaces: Array.from({ length: efaCards }, (_, card) => ({
            deviceIndex: card === 0 ? 0 : 1,
            networkCardIndex: card,
            interfaceType: "efa" as const,
            securityGroups: options.efaSecurityGroupIds ?? [],
            deleteOnTermination: "true" as const,
          })),
        }
      : {}),
    ...(options.placementGroupName !== undefined ? { placement: { groupName: options.placementGroupName } } : {}),
    ...(pool.capacityType === "capacity-block" ? { instanceMarketOptions: { marketType: "capacity-block" as const } } : {}),
    ...(reservation !== undefined ? { capacityReservationSpecification: { capacityReservationTarget: { capacityReservationId: reservation } } } : {}),
  };
}

export function systemLaunchTemplateSpec(): LaunchTemplateSpec<never> {
  return { blockDeviceMappings: blockDevices("al2023-standard", 100), metadataOptions: { ...METADATA_OPTIONS } };
}

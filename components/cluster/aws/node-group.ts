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
  /** Absent when the launch template names the instance type (capacity blocks). */
  readonly instanceTypes?: string[];
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
    // Capacity blocks: EKS takes the instance type from the launch template only and rejects
    // instanceTypes on the node group (EKS user guide capacity-blocks-mng; CreateNodegroup).
    ...(pool.capacityType === "capacity-block" ? {} : { instanceTypes: [pool.hardware.instanceType ?? ""] }),
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
export interface EfaInterface<S> {
  readonly deviceIndex: number;
  readonly networkCardIndex: number;
  readonly interfaceType: "efa" | "efa-only";
  readonly securityGroups: S[];
  readonly deleteOnTermination: "true";
}

/**
 * One EFA device per network card. The primary interface (card 0, device 0) carries the node's IP
 * traffic, so it is an EFA with ENA: EC2 rejects an EFA-only primary interface. Every other card
 * gets an EFA-only interface at device index 0, which takes no IP address from the subnet (EC2
 * user guide efa-acc-inst-types; EKS user guide node-efa, VPC CNI 1.18.5 or later).
 */
export function efaInterfaces<S>(cards: number, securityGroups: S[]): EfaInterface<S>[] {
  return Array.from({ length: cards }, (_, card) => ({
    deviceIndex: 0,
    networkCardIndex: card,
    interfaceType: card === 0 ? ("efa" as const) : ("efa-only" as const),
    securityGroups,
    deleteOnTermination: "true" as const,
  }));
}

export interface LaunchTemplateSpec<S> {
  /** Set only for capacity blocks, whose node groups must not list instance types. */
  readonly instanceType?: string;
  readonly blockDeviceMappings: BlockDevice[];
  readonly metadataOptions: { httpEndpoint: "enabled"; httpTokens: "required"; httpPutResponseHopLimit: number; instanceMetadataTags: "disabled" };
  readonly userData?: string;
  readonly networkInterfaces?: EfaInterface<S>[];
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
    ...(pool.capacityType === "capacity-block" ? { instanceType: pool.hardware.instanceType ?? "" } : {}),
    blockDeviceMappings: blockDevices(pool.nodeImage, pool.rootVolumeGiB),
    metadataOptions: { ...METADATA_OPTIONS },
    ...(userData !== undefined ? { userData: Buffer.from(userData, "utf8").toString("base64") } : {}),
    ...(pool.efa ? { networkInterfaces: efaInterfaces(efaCards, options.efaSecurityGroupIds ?? []) } : {}),
    ...(options.placementGroupName !== undefined ? { placement: { groupName: options.placementGroupName } } : {}),
    ...(pool.capacityType === "capacity-block" ? { instanceMarketOptions: { marketType: "capacity-block" as const } } : {}),
    ...(reservation !== undefined ? { capacityReservationSpecification: { capacityReservationTarget: { capacityReservationId: reservation } } } : {}),
  };
}

export function systemLaunchTemplateSpec(): LaunchTemplateSpec<never> {
  return { blockDeviceMappings: blockDevices("al2023-standard", 100), metadataOptions: { ...METADATA_OPTIONS } };
}

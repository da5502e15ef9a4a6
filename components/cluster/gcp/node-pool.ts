import { sharingNodeLabels } from "../../addons/gpu-operator-values";
import type { ResolvedPool, ResolvedSystemNodes, Taint } from "../../config";
import { gkeSystemPoolStart } from "../../config/managed";
import { GPU_MODEL_LABEL, SYSTEM_NODE_LABEL } from "../aws/node-group";
import { CLOUD_TAINT_EFFECT, CloudTaintEffect } from "../pool-descriptor";

// What one GKE node pool is made of, as plain data; GkeCluster turns it into gcp.container.NodePool.

/**
 * Node label that keeps GKE's own device plugin off the node, so the GPU Operator's runs there
 * (NVIDIA google-gke.rst, v25.10; it must be a Kubernetes label, not a resource label).
 */
export const NO_GKE_DEVICE_PLUGIN_LABEL = "gke-no-default-nvidia-gpu-device-plugin";

export interface GkeTaint {
  readonly key: string;
  readonly value: string;
  readonly effect: CloudTaintEffect;
}

export function gkeTaint(taint: Taint): GkeTaint {
  return { key: taint.key, value: taint.value ?? "", effect: CLOUD_TAINT_EFFECT[taint.effect] };
}

/** A3 Ultra only boots from Hyperdisk; every other family here takes Persistent Disk. */
export function bootDiskType(machineType: string): "hyperdisk-balanced" | "pd-balanced" {
  return machineType.startsWith("a3-ultragpu") ? "hyperdisk-balanced" : "pd-balanced";
}

export interface NodeConfigSpec<S> {
  readonly machineType: string;
  readonly imageType: "COS_CONTAINERD";
  readonly diskSizeGb: number;
  readonly diskType: string;
  readonly serviceAccount: S;
  readonly oauthScopes: string[];
  readonly labels: Record<string, string>;
  readonly taints: GkeTaint[];
  readonly metadata: Record<string, string>;
  readonly workloadMetadataConfig: { mode: "GKE_METADATA" };
  readonly shieldedInstanceConfig: { enableSecureBoot: boolean; enableIntegrityMonitoring: boolean };
  readonly gvnic?: { enabled: boolean };
  readonly guestAccelerators?: { type: string; count: number; gpuDriverInstallationConfig: { gpuDriverVersion: "INSTALLATION_DISABLED" } }[];
  readonly ephemeralStorageLocalSsdConfig?: { localSsdCount: number };
  readonly spot?: boolean;
  readonly reservationAffinity?: { consumeReservationType: "SPECIFIC_RESERVATION"; key: string; values: string[] } | { consumeReservationType: "NO_RESERVATION" };
}

export interface NodePoolSpec<S> {
  readonly nodeLocations?: string[];
  readonly autoscaling: { totalMinNodeCount: number; totalMaxNodeCount: number; locationPolicy: "ANY" | "BALANCED" };
  readonly initialNodeCount?: number;
  readonly management: { autoRepair: true; autoUpgrade: true };
  /** GPU capacity is scarce: replace nodes one at a time instead of surging. */
  readonly upgradeSettings: { maxSurge: number; maxUnavailable: number };
  readonly placementPolicy?: { type: "COMPACT" };
  readonly nodeConfig: NodeConfigSpec<S>;
}

const COMMON_NODE_CONFIG = {
  imageType: "COS_CONTAINERD",
  oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
  metadata: { "disable-legacy-endpoints": "true" },
  // Pods see the GKE metadata server, which hands out Workload Identity, never the node's identity.
  workloadMetadataConfig: { mode: "GKE_METADATA" },
  shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
} as const;

/**
 * A GPU pool's node pool. Drivers: installation disabled on the accelerator and GKE's device
 * plugin switched off by label, so Google's COS driver installer (applied by the add-ons) puts
 * the driver under /home/kubernetes/bin/nvidia and the GPU Operator runs the rest. Local SSDs
 * back ephemeral storage (`ephemeralStorageLocalSsdConfig`): GKE assembles them into one RAID0
 * array mounted at /mnt/stateful_partition/kube-ephemeral-ssd with kubelet and containerd on it,
 * the same shape as EKS nodeadm RAID0, so the cache's hostPath lands on NVMe without a privileged
 * formatter of our own.
 */
export function gpuNodePoolSpec<S>(pool: ResolvedPool, serviceAccount: S): NodePoolSpec<S> {
  const { hardware } = pool;
  const machineType = hardware.instanceType ?? "";
  if (hardware.accelerator === undefined) {
    throw new Error(`gpuPools "${pool.name}": ${machineType} has no GCP accelerator type in the catalog`);
  }
  const nvme = pool.nvme === "raid0" && hardware.localNvme !== undefined;
  return {
    ...(pool.zones !== undefined ? { nodeLocations: [...pool.zones] } : {}),
    autoscaling: { totalMinNodeCount: pool.minNodes, totalMaxNodeCount: pool.maxNodes, locationPolicy: "ANY" },
    ...(pool.desiredNodes > 0 && pool.zones?.length === 1 ? { initialNodeCount: pool.desiredNodes } : {}),
    management: { autoRepair: true, autoUpgrade: true },
    upgradeSettings: { maxSurge: 0, maxUnavailable: 1 },
    ...(pool.multiNode ? { placementPolicy: { type: "COMPACT" as const } } : {}),
    nodeConfig: {
      ...COMMON_NODE_CONFIG,
      oauthScopes: [...COMMON_NODE_CONFIG.oauthScopes],
      metadata: { ...COMMON_NODE_CONFIG.metadata },
      machineType,
      diskSizeGb: pool.rootVolumeGiB,
      diskType: bootDiskType(machineType),
      serviceAccount,
      labels: { ...pool.nodeLabels, [GPU_MODEL_LABEL]: hardware.gpuModel, ...sharingNodeLabels(pool), [NO_GKE_DEVICE_PLUGIN_LABEL]: "true" },
      taints: pool.taints.map(gkeTaint),
      gvnic: { enabled: true },
      guestAccelerators: [{ type: hardware.accelerator, count: hardware.gpusPerNode, gpuDriverInstallationConfig: { gpuDriverVersion: "INSTALLATION_DISABLED" } }],
      ...(nvme ? { ephemeralStorageLocalSsdConfig: { localSsdCount: hardware.localNvme?.devices ?? 0 } } : {}),
      ...(pool.capacityType === "spot" ? { spot: true } : {}),
      ...(pool.reservation !== undefined
        ? { reservationAffinity: { consumeReservationType: "SPECIFIC_RESERVATION" as const, key: "compute.googleapis.com/reservation-name", values: [pool.reservation] } }
        : {}),
    },
  };
}

export function systemNodePoolSpec<S>(nodes: ResolvedSystemNodes, serviceAccount: S): NodePoolSpec<S> {
  return {
    autoscaling: { totalMinNodeCount: nodes.minNodes, totalMaxNodeCount: nodes.maxNodes, locationPolicy: "BALANCED" },
    // Per zone; without it the pool starts empty and every release waiting for its pods stalls.
    initialNodeCount: gkeSystemPoolStart(nodes.minNodes).perZone,
    management: { autoRepair: true, autoUpgrade: true },
    upgradeSettings: { maxSurge: 1, maxUnavailable: 0 },
    nodeConfig: {
      ...COMMON_NODE_CONFIG,
      oauthScopes: [...COMMON_NODE_CONFIG.oauthScopes],
      metadata: { ...COMMON_NODE_CONFIG.metadata },
      machineType: nodes.instanceType,
      diskSizeGb: 100,
      diskType: "pd-balanced",
      serviceAccount,
      labels: { [SYSTEM_NODE_LABEL]: "true" },
      taints: [],
    },
  };
}

/**
 * A Google service account ID (6-30 characters, a letter first) for `<base>-<suffix>`: the base
 * is shortened so the suffix always survives.
 */
export function serviceAccountId(base: string, suffix: string): string {
  const room = 30 - suffix.length - 1;
  const head = base.slice(0, room).replace(/-+$/, "");
  const id = `${head}-${suffix}`;
  return /^[a-z]/.test(id) ? id : `g${id.slice(0, 29)}`;
}

/** Email of a service account in a project. */
export function serviceAccountEmail(accountId: string, project: string): string {
  return `${accountId}@${project}.iam.gserviceaccount.com`;
}

/** The Workload Identity member a Kubernetes ServiceAccount acts as, in the pool `<project>.svc.id.goog`. */
export function workloadIdentityMember(workloadPool: string, namespace: string, serviceAccount: string): string {
  return `serviceAccount:${workloadPool}[${namespace}/${serviceAccount}]`;
}

/** Project roles a GKE node's own service account needs (logs, metrics, image pulls), and no more. */
export const NODE_SERVICE_ACCOUNT_ROLES = [
  "roles/logging.logWriter",
  "roles/monitoring.metricWriter",
  "roles/monitoring.viewer",
  "roles/stackdriver.resourceMetadata.writer",
  "roles/autoscaling.metricsWriter",
  "roles/artifactregistry.reader",
] as const;

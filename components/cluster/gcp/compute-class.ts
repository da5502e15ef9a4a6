import type { ResolvedPool } from "../../config";
import type { CapacityStepType, ResolvedCapacityStep } from "../../config/capacity";
import { COMPUTE_CLASS_LABEL, computeClassName, windowMinutes } from "../../config/capacity";
import { gpuNodePoolSpec, NodePoolSpec } from "./node-pool";

// The GKE side of a pool's capacity fallback, as plain data: a custom ComputeClass whose ordered
// priorities name one autoscaled node pool per fallback step (reservation → on-demand → spot), and
// those node pools. GkeCluster registers them.
//
// Why manually created node pools rather than node auto-provisioning: the pools need what the
// platform's GPU pools have (driver installation off and GKE's device plugin off for the GPU
// Operator, local SSD as the ephemeral-storage RAID0, the pool's labels and taints), which a
// ComputeClass priority can only name by `nodepools`. The cluster autoscaler then scales the
// highest priority pool that can take the pending replicas and falls back down the list when a
// pool cannot grow (reservation full, stockout, its max reached). Pods opt in with the
// `cloud.google.com/compute-class` node selector; the pools carry that label and the matching
// NoSchedule taint, which GKE requires of manually created pools in a ComputeClass.
// Fields follow the ComputeClass reference (cloud.google.com/v1,
// https://cloud.google.com/kubernetes-engine/docs/reference/crds/computeclass); no CRD file is
// published, so tests validate against a schema transcribed from that page.

export { COMPUTE_CLASS_LABEL, computeClassName };

export interface ComputeClass {
  readonly apiVersion: "cloud.google.com/v1";
  readonly kind: "ComputeClass";
  readonly metadata: {
    readonly name: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
  readonly spec: {
    readonly priorities: readonly { readonly nodepools: readonly string[] }[];
    readonly nodePoolAutoCreation: { readonly enabled: boolean };
    readonly whenUnsatisfiable: "DoNotScaleUp" | "ScaleUpAnyway";
    readonly activeMigration: { readonly optimizeRulePriority: boolean };
    readonly autoscalingPolicy: { readonly consolidationDelayMinutes: number };
  };
}

/** Node pool of a step: the first keeps the pool's usual name, later ones add the step. */
export function stepNodePoolName(pool: string, step: CapacityStepType, index: number): string {
  return index === 0 ? `gpu-${pool}` : `gpu-${pool}-${step}`;
}

/** Minutes GKE waits before removing an underused node, from the pool's consolidateAfter (validated as minutes or hours). */
export function consolidationDelayMinutes(consolidateAfter: string): number {
  const hours = /^([1-9][0-9]*)h$/.exec(consolidateAfter);
  return hours !== null ? Number(hours[1]) * 60 : (windowMinutes(consolidateAfter) ?? 10);
}

/**
 * The ComputeClass: priorities in fallback order, no auto-created pools (so nothing beyond the
 * steps' bounds can appear), no scale-up outside them, and no active migration, which would move
 * serving replicas back to a higher priority as soon as it had room.
 */
export function computeClass(pool: ResolvedPool): ComputeClass {
  return {
    apiVersion: "cloud.google.com/v1",
    kind: "ComputeClass",
    metadata: {
      name: computeClassName(pool.name),
      labels: { "llm-platform.io/gpu-pool": pool.name },
    },
    spec: {
      priorities: pool.capacity.steps.map((step, i) => ({
        nodepools: [stepNodePoolName(pool.name, step.type, i)],
      })),
      nodePoolAutoCreation: { enabled: false },
      whenUnsatisfiable: "DoNotScaleUp",
      activeMigration: { optimizeRulePriority: false },
      autoscalingPolicy: {
        consolidationDelayMinutes: consolidationDelayMinutes(pool.capacity.consolidateAfter),
      },
    },
  };
}

/**
 * The node pool of one step: the pool's GPU node pool with the step's bounds and purchase option,
 * and the ComputeClass label and taint. The first step holds the pool's minimum; a reservation
 * step consumes exactly its reservations and the others none, so on-demand never eats into them.
 */
export function stepNodePoolSpec<S>(pool: ResolvedPool, step: ResolvedCapacityStep, index: number, serviceAccount: S): NodePoolSpec<S> {
  const { initialNodeCount, nodeConfig: baseConfig, ...base } = gpuNodePoolSpec(pool, serviceAccount);
  const className = computeClassName(pool.name);
  // The step decides the purchase option, not the pool's capacityType or reservation.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- both are dropped on purpose
  const { spot, reservationAffinity, ...nodeConfig } = baseConfig;
  const first = index === 0;
  return {
    ...base,
    autoscaling: {
      totalMinNodeCount: first ? pool.minNodes : 0,
      totalMaxNodeCount: step.maxNodes,
      locationPolicy: "ANY",
    },
    ...(first && initialNodeCount !== undefined ? { initialNodeCount: Math.min(initialNodeCount, step.maxNodes) } : {}),
    nodeConfig: {
      ...nodeConfig,
      labels: { ...nodeConfig.labels, [COMPUTE_CLASS_LABEL]: className },
      taints: [...nodeConfig.taints, { key: COMPUTE_CLASS_LABEL, value: className, effect: "NO_SCHEDULE" }],
      ...(step.type === "spot" ? { spot: true } : {}),
      reservationAffinity:
        step.type === "reservation"
          ? {
              consumeReservationType: "SPECIFIC_RESERVATION",
              key: "compute.googleapis.com/reservation-name",
              values: [...step.reservationIds],
            }
          : { consumeReservationType: "NO_RESERVATION" },
    },
  };
}

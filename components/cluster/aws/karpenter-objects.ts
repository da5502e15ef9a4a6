import { sharingNodeLabels } from "../../addons/gpu-operator-values";
import type { ResolvedPool } from "../../config";
import type { CapacityStepType, ResolvedCapacityStep } from "../../config/capacity";
import { MODEL_TERMINATION_GRACE_SECONDS } from "../../serving/llm-inference-service";
import { karpenterAmiAlias, karpenterControllerImage } from "../../versions";
import { GPU_MODEL_LABEL, SYSTEM_NODE_LABEL } from "./node-group";

// What Karpenter is given for a GPU pool, as plain data: one NodePool per capacity fallback step
// and the EC2NodeClasses they launch from, plus the chart's values. EksCluster registers them.
//
// Why one NodePool per step, ordered by weight: inside one NodePool Karpenter v1.14 tries
// `reserved`, then `spot`, then `on-demand` (docs concepts/nodepools.md, "If a NodePool is
// compatible with multiple capacity types…"), which puts spot before on-demand. NodePools are
// tried highest weight first, and a NodePool whose capacity is exhausted (its reservations full,
// an insufficient-capacity error that marks the offering unavailable, or its limit reached) leaves
// the pods to the next one; so reservation → on-demand → spot is three NodePools with falling
// weights, each allowing one capacity type. A step's limit caps only its own NodePool (limits are
// per NodePool), so the pool can reach the sum of its steps' nodes; plan and the GPU budget policy
// count that sum.
//
// Nodes match the managed node groups' launch templates (node-group.ts): the EKS AL2023 image
// (its NVIDIA variant for GPU types), the instance store as one RAID0 array (Karpenter's
// `instanceStorePolicy: RAID0` has nodeadm build it, as our user data does for node groups), IMDSv2
// with a hop limit of 1, an encrypted gp3 root volume of the pool's size, the pool's labels and
// taints, EFA interfaces and the cluster placement group where the pool asks for them.

export const KARPENTER_NAMESPACE = "kube-system";
export const KARPENTER_SERVICE_ACCOUNT = "karpenter";

/** The NodePool fields the platform sets: karpenter.sh/v1 NodePool (karpenter-crd 1.14.1). */
export interface NodeSelectorRequirement {
  readonly key: string;
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  readonly values?: readonly string[];
}

export interface DisruptionBudget {
  readonly nodes: string;
  readonly reasons?: readonly ("Underutilized" | "Empty" | "Drifted")[];
  readonly schedule?: string;
  readonly duration?: string;
}

export interface KarpenterNodePool {
  readonly apiVersion: "karpenter.sh/v1";
  readonly kind: "NodePool";
  readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
  readonly spec: {
    readonly weight: number;
    readonly limits: Readonly<Record<string, string>>;
    readonly disruption: {
      readonly consolidationPolicy: "WhenEmpty" | "WhenEmptyOrUnderutilized";
      readonly consolidateAfter: string;
      readonly budgets: readonly DisruptionBudget[];
    };
    readonly template: {
      readonly metadata: { readonly labels: Readonly<Record<string, string>> };
      readonly spec: {
        readonly nodeClassRef: { readonly group: "karpenter.k8s.aws"; readonly kind: "EC2NodeClass"; readonly name: string };
        readonly requirements: readonly NodeSelectorRequirement[];
        readonly taints: readonly { readonly key: string; readonly value?: string; readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute" }[];
        readonly expireAfter: string;
        readonly terminationGracePeriod: string;
      };
    };
  };
}

/** A subnet by ID (given subnets), or by its Name tag (the subnets the platform creates, whose IDs exist only after deploy). */
export type SubnetTerm<S> = { readonly id: S } | { readonly tags: Readonly<Record<string, string>> };

/** The EC2NodeClass fields the platform sets: karpenter.k8s.aws/v1 EC2NodeClass (karpenter-crd 1.14.1); `S` carries IDs (plain strings in tests). */
export interface Ec2NodeClass<S> {
  readonly apiVersion: "karpenter.k8s.aws/v1";
  readonly kind: "EC2NodeClass";
  readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
  readonly spec: {
    readonly role: S;
    readonly amiSelectorTerms: readonly { readonly alias: string }[];
    readonly subnetSelectorTerms: readonly SubnetTerm<S>[];
    readonly securityGroupSelectorTerms: readonly { readonly id: S }[];
    readonly instanceStorePolicy?: "RAID0";
    readonly metadataOptions: { readonly httpEndpoint: "enabled"; readonly httpProtocolIPv6: "disabled"; readonly httpPutResponseHopLimit: 1; readonly httpTokens: "required" };
    readonly blockDeviceMappings: readonly {
      readonly deviceName: string;
      readonly rootVolume: true;
      readonly ebs: { readonly volumeSize: string; readonly volumeType: "gp3"; readonly encrypted: true; readonly deleteOnTermination: true };
    }[];
    readonly networkInterfaces?: readonly { readonly networkCardIndex: number; readonly deviceIndex: number; readonly interfaceType: "interface" | "efa-only" }[];
    readonly placementGroupSelector?: { readonly name: S };
    readonly capacityReservationSelectorTerms?: readonly ({ readonly id: string } | { readonly tags: Readonly<Record<string, string>> })[];
    readonly tags: Readonly<Record<string, string>>;
  };
}

/** Karpenter's capacity-type label value for a fallback step. */
const CAPACITY_TYPE: Record<CapacityStepType, "reserved" | "on-demand" | "spot"> = { reservation: "reserved", "on-demand": "on-demand", spot: "spot" };

/** Label on every object the platform gives Karpenter, naming the pool. */
export const KARPENTER_POOL_LABEL = "llm-platform.io/gpu-pool";

export function nodePoolName(pool: string, step: CapacityStepType): string {
  return `${pool}-${step}`;
}

/** The reservation step launches from its own class (it alone selects reservations); the others share the pool's. */
export function nodeClassName(pool: string, step: CapacityStepType): string {
  return step === "reservation" ? `${pool}-reserved` : pool;
}

/** Weight of the step at `index`: the first step is tried first. */
export function stepWeight(index: number, steps: number): number {
  return (steps - index) * 10;
}

/** Node removal leaves each model pod its full termination grace, and a spot notice's two minutes cover it. */
export const NODE_TERMINATION_GRACE = `${MODEL_TERMINATION_GRACE_SECONDS}s`;

/**
 * Disruption of the pool's nodes. Empty nodes (no replica left) go after consolidateAfter, one at
 * a time. Nodes that serve are never consolidated nor replaced for drift outside the window: with
 * a window, a zero-node budget for Underutilized and Drifted is active from the window's close
 * until it opens again, and inside it one node at a time may go; without one, consolidation only
 * removes empty nodes and drift waits for nodes to empty. Expiry is off: in Karpenter v1 it is
 * forceful and ignores budgets.
 */
export function nodePoolDisruption(pool: ResolvedPool): KarpenterNodePool["spec"]["disruption"] {
  const window = pool.capacity.disruptionWindow;
  const serving = ["Underutilized", "Drifted"] as const;
  return window !== undefined
    ? {
        consolidationPolicy: "WhenEmptyOrUnderutilized",
        consolidateAfter: pool.capacity.consolidateAfter,
        budgets: [{ nodes: "0", reasons: [...serving], schedule: window.blockSchedule, duration: window.blockDuration }, { nodes: "1" }],
      }
    : { consolidationPolicy: "WhenEmpty", consolidateAfter: pool.capacity.consolidateAfter, budgets: [{ nodes: "0", reasons: [...serving] }, { nodes: "1" }] };
}

/** The NodePool of one fallback step. */
export function karpenterNodePool(pool: ResolvedPool, step: ResolvedCapacityStep, index: number): KarpenterNodePool {
  const { hardware } = pool;
  if (hardware.instanceType === undefined) {
    throw new Error(`gpuPools "${pool.name}": Karpenter pools need a catalog instance type`);
  }
  const requirements: NodeSelectorRequirement[] = [
    { key: "node.kubernetes.io/instance-type", operator: "In", values: [hardware.instanceType] },
    { key: "karpenter.sh/capacity-type", operator: "In", values: [CAPACITY_TYPE[step.type]] },
    ...(pool.zones !== undefined ? [{ key: "topology.kubernetes.io/zone", operator: "In" as const, values: [...pool.zones] }] : []),
  ];
  return {
    apiVersion: "karpenter.sh/v1",
    kind: "NodePool",
    metadata: { name: nodePoolName(pool.name, step.type), labels: { [KARPENTER_POOL_LABEL]: pool.name } },
    spec: {
      weight: stepWeight(index, pool.capacity.steps.length),
      // Physical GPUs: Karpenter counts the instance type's nvidia.com/gpu, before any sharing.
      limits: { "nvidia.com/gpu": String(step.maxNodes * hardware.gpusPerNode) },
      disruption: nodePoolDisruption(pool),
      template: {
        metadata: { labels: { ...pool.nodeLabels, [GPU_MODEL_LABEL]: hardware.gpuModel, ...sharingNodeLabels(pool) } },
        spec: {
          nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: nodeClassName(pool.name, step.type) },
          requirements,
          taints: pool.taints.map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: t.effect })),
          expireAfter: "Never",
          terminationGracePeriod: NODE_TERMINATION_GRACE,
        },
      },
    },
  };
}

export interface NodeClassInputs<S> {
  /** Name of the IAM role Karpenter makes the nodes' instance profile from. */
  readonly role: S;
  readonly subnetTerms: readonly SubnetTerm<S>[];
  /** The cluster security group, and the pool's EFA group when it has one. */
  readonly securityGroupIds: readonly S[];
  readonly placementGroupName?: S;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * EFA on every network card: the primary ENA interface, an EFA-only interface beside it on card 0,
 * and one EFA-only interface on each further card (the CRD requires an `interface` at card 0,
 * device 0 and allows one efa-only per card; EFA-only interfaces take no subnet address).
 */
export function karpenterEfaInterfaces(cards: number): NonNullable<Ec2NodeClass<string>["spec"]["networkInterfaces"]> {
  return [
    { networkCardIndex: 0, deviceIndex: 0, interfaceType: "interface" },
    ...Array.from({ length: cards }, (_, card) => ({ networkCardIndex: card, deviceIndex: card === 0 ? 1 : 0, interfaceType: "efa-only" as const })),
  ];
}

/** The EC2NodeClasses of a Karpenter pool: the shared one, and the reservation step's when it has one. */
export function karpenterNodeClasses<S>(pool: ResolvedPool, inputs: NodeClassInputs<S>): Ec2NodeClass<S>[] {
  if (pool.nodeImage !== "al2023-nvidia") {
    throw new Error(`gpuPools "${pool.name}": Karpenter pools use the AL2023 NVIDIA image, not ${pool.nodeImage}`);
  }
  const names = [...new Set(pool.capacity.steps.map((s) => nodeClassName(pool.name, s.type)))];
  const reservation = pool.capacity.steps.find((s) => s.type === "reservation");
  return names.map((name) => ({
    apiVersion: "karpenter.k8s.aws/v1",
    kind: "EC2NodeClass",
    metadata: { name, labels: { [KARPENTER_POOL_LABEL]: pool.name } },
    spec: {
      role: inputs.role,
      amiSelectorTerms: [{ alias: karpenterAmiAlias.alias }],
      subnetSelectorTerms: [...inputs.subnetTerms],
      securityGroupSelectorTerms: inputs.securityGroupIds.map((id) => ({ id })),
      ...(pool.nvme === "raid0" ? { instanceStorePolicy: "RAID0" as const } : {}),
      metadataOptions: { httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" },
      blockDeviceMappings: [
        { deviceName: "/dev/xvda", rootVolume: true, ebs: { volumeSize: `${pool.rootVolumeGiB}Gi`, volumeType: "gp3", encrypted: true, deleteOnTermination: true } },
      ],
      ...(pool.efa ? { networkInterfaces: karpenterEfaInterfaces(pool.hardware.efaInterfaces ?? 1) } : {}),
      ...(inputs.placementGroupName !== undefined ? { placementGroupSelector: { name: inputs.placementGroupName } } : {}),
      ...(reservation !== undefined && name === nodeClassName(pool.name, "reservation")
        ? {
            capacityReservationSelectorTerms: [
              ...reservation.reservationIds.map((id) => ({ id })),
              ...(reservation.reservationTags !== undefined ? [{ tags: { ...reservation.reservationTags } }] : []),
            ],
          }
        : {}),
      tags: { ...inputs.tags, Name: `${pool.name}-gpu` },
    },
  }));
}

/** The Karpenter controller chart's values the platform sets (chart karpenter 1.14.1 values.yaml). */
export interface KarpenterValues {
  readonly replicas: number;
  readonly serviceAccount: { readonly name: string };
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly controller: {
    readonly image: { readonly tag: string; readonly digest: string };
    readonly resources: { readonly requests: { readonly cpu: string; readonly memory: string }; readonly limits: { readonly memory: string } };
  };
  readonly settings: {
    readonly clusterName: string;
    readonly interruptionQueue: string;
    readonly featureGates: { readonly reservedCapacity: boolean };
  };
}

/**
 * The controller's values: on the system nodes (never on nodes it launches: the chart's own
 * affinity keeps it off them), the service account Pod Identity maps to its role, the interruption
 * queue, reserved capacity on (the reservation step), and the 1.14.1 image (see versions.ts).
 */
export function karpenterValues(clusterName: string, queueName: string, replicas: number): KarpenterValues {
  return {
    replicas,
    serviceAccount: { name: KARPENTER_SERVICE_ACCOUNT },
    nodeSelector: { "kubernetes.io/os": "linux", [SYSTEM_NODE_LABEL]: "true" },
    controller: {
      image: { tag: karpenterControllerImage.tag, digest: "" },
      resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "1Gi" } },
    },
    settings: { clusterName, interruptionQueue: queueName, featureGates: { reservedCapacity: true } },
  };
}

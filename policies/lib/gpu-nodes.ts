import type { PolicyResource } from "@pulumi/policy";
import { findGpuInstanceType } from "../../components/catalog";
import { isKind, Json } from "./kubernetes";

// GPU capacity as the cloud providers' resources (and Karpenter) describe it.

export const EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
export const EKS_MANAGED_NODE_GROUP = "eks:index:ManagedNodeGroup";
export const GKE_NODE_POOL = "gcp:container/nodePool:NodePool";
export const GKE_CLUSTER = "gcp:container/cluster:Cluster";
export const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
export const EC2_INSTANCE = "aws:ec2/instance:Instance";
export const AUTOSCALING_GROUP = "aws:autoscaling/group:Group";
export const GCE_INSTANCE = "gcp:compute/instance:Instance";

/** NVIDIA GPUs of instance types outside the serving catalog, by family and size. */
const AWS_GPU_FAMILIES: [RegExp, (size: string) => number][] = [
  [/^g4dn$/, (s) => (s === "12xlarge" ? 4 : s === "metal" ? 8 : 1)],
  [/^g4ad$/, (s) => (s === "8xlarge" ? 2 : s === "16xlarge" ? 4 : 1)],
  [/^g3s?$/, (s) => (s === "8xlarge" ? 2 : s === "16xlarge" ? 4 : 1)],
  [/^p3$/, (s) => (s === "8xlarge" ? 4 : s === "16xlarge" ? 8 : 1)],
  [/^p3dn|^p4|^p5|^p6/, () => 8],
  [/^(g5g|g6f|gr6|g6|g5|g6e|g7)$/, () => 1],
];

/** GPUs per node of an instance or machine type (0 when it has none). */
export function gpusOfType(cloud: "aws" | "gcp", type: string): number {
  const known = findGpuInstanceType(cloud, type)?.gpusPerNode;
  if (known !== undefined) {
    return known;
  }
  if (cloud === "aws") {
    const [family, size] = type.split(".");
    const rule = AWS_GPU_FAMILIES.find(([re]) => re.test(family ?? ""));
    return rule ? rule[1](size ?? "") : 0;
  }
  const m = /^(a2|a3|a4)-[a-z]+-(\d+)g$/.exec(type);
  return m ? Number(m[2]) : /^(a2|a3|a4|g2)-/.test(type) ? 1 : 0;
}

export interface GpuNodeGroupView {
  readonly cloud: "aws" | "gcp";
  /** Instance/machine types of the group. */
  readonly types: string[];
  /** GPUs per node (the largest of the group's types). */
  readonly gpusPerNode: number;
  /** Nodes at maximum scale, all zones together. */
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

/** Zones a GKE node pool spans: its node locations, one for a zonal location, three for a region. */
export function gkeZones(props: Json): number {
  const locations = props?.nodeLocations as unknown[] | undefined;
  if (Array.isArray(locations) && locations.length > 0) {
    return locations.length;
  }
  const location = String(props?.location ?? props?.zone ?? "");
  // A region (us-central1) spreads a pool over its default three zones; a zone (us-central1-a) is one.
  return /^[a-z]+-[a-z]+\d+$/.test(location) ? 3 : 1;
}

/** A GKE pool's nodes at max scale: total counts as given, per-zone counts × zones. */
function gkeMaxNodes(pool: Json): number {
  const a = pool?.autoscaling ?? {};
  if (a.totalMaxNodeCount !== undefined) {
    return Number(a.totalMaxNodeCount);
  }
  const perZone = Number(a.maxNodeCount ?? pool?.nodeCount ?? pool?.initialNodeCount ?? 0);
  return perZone * gkeZones(pool);
}

function gkePool(pool: Json): GpuNodeGroupView | undefined {
  const nodeConfig = pool?.nodeConfig ?? {};
  const accelerators = (nodeConfig.guestAccelerators ?? []) as Json[];
  const machine = String(nodeConfig.machineType ?? "");
  const attached = accelerators.reduce((sum: number, a: Json) => sum + Number(a?.count ?? 0), 0);
  const gpus = Math.max(gpusOfType("gcp", machine), attached);
  if (gpus === 0) {
    return undefined;
  }
  const driver = accelerators.map((a) => a?.gpuDriverInstallationConfig?.gpuDriverVersion).find((v) => v !== undefined);
  return {
    cloud: "gcp",
    types: [machine],
    gpusPerNode: gpus,
    maxNodes: gkeMaxNodes(pool),
    taints: ((nodeConfig.taints ?? []) as Json[]).map((t) => ({ key: t.key, value: t.value, effect: CLOUD_TAINT_EFFECT[t.effect] ?? t.effect })),
    spot: nodeConfig.spot === true || nodeConfig.preemptible === true,
    gkeDriver: driver === undefined ? undefined : driver === "INSTALLATION_DISABLED" ? "none" : "google",
  };
}

/** A node group's GPU view, or undefined when it is not a GPU node group. */
export function gpuNodeGroup(type: string, props: Json): GpuNodeGroupView | undefined {
  if (type === EKS_NODE_GROUP || type === EKS_MANAGED_NODE_GROUP) {
    const types: string[] = props?.instanceTypes ?? (props?.instanceType ? [props.instanceType] : []);
    const gpus = Math.max(0, ...types.map((t) => gpusOfType("aws", t)));
    const nvidiaAmi = typeof props?.amiType === "string" && /NVIDIA|GPU/.test(props.amiType);
    if (gpus === 0 && !nvidiaAmi) {
      return undefined;
    }
    return {
      cloud: "aws",
      types,
      gpusPerNode: gpus,
      maxNodes: Number(props?.scalingConfig?.maxSize ?? props?.maxSize ?? 0),
      taints: ((props?.taints ?? []) as Json[]).map((t) => ({ key: t.key, value: t.value, effect: CLOUD_TAINT_EFFECT[t.effect] ?? t.effect })),
      spot: props?.capacityType === "SPOT",
      amiType: props?.amiType,
    };
  }
  if (type === GKE_NODE_POOL) {
    return gkePool(props);
  }
  return undefined;
}

/** One place GPUs can come from, with its size at maximum scale. */
export interface GpuSource {
  readonly name: string;
  readonly what: string;
  readonly types: string[];
  readonly gpus: number;
  /** Set when nothing bounds the GPUs the source can launch. */
  readonly unbounded?: string;
}

const GPU_LABEL_KEYS = ["karpenter.k8s.aws/instance-gpu-count", "karpenter.k8s.aws/instance-gpu-name", "karpenter.k8s.aws/instance-gpu-manufacturer", "cloud.google.com/gke-accelerator", "nvidia.com/gpu.present", "nvidia.com/gpu.product"];

/** Whether a Karpenter NodePool can launch GPU nodes, and the instance types it names. */
export function karpenterGpuView(props: Json): { gpu: boolean; types: string[]; gpuTypes: string[] } {
  const template = props?.spec?.template?.spec ?? {};
  const reqs = (template.requirements ?? []) as Json[];
  const values = (key: string) => reqs.filter((r) => r?.key === key && r?.operator === "In").flatMap((r) => (r.values ?? []) as string[]);
  const types = values("node.kubernetes.io/instance-type");
  const gpuTypes = types.filter((t) => gpusOfType("aws", t) > 0 || gpusOfType("gcp", t) > 0);
  const gpuFamily = [...values("karpenter.k8s.aws/instance-category"), ...values("karpenter.k8s.aws/instance-family")].some((v) => /^(p|g)\d*[a-z]*$/.test(v));
  const gpuKey = reqs.some((r) => GPU_LABEL_KEYS.includes(String(r?.key)) && r?.operator !== "DoesNotExist" && r?.operator !== "NotIn");
  const gpuTaint = ((template.taints ?? []) as Json[]).some((t) => t?.key === "nvidia.com/gpu");
  const gpuLimit = props?.spec?.limits?.["nvidia.com/gpu"] !== undefined;
  return { gpu: gpuTypes.length > 0 || gpuFamily || gpuKey || gpuTaint || gpuLimit, types, gpuTypes };
}

function isKarpenterNodePool(type: string): boolean {
  return isKind(type, "karpenter.sh", "NodePool");
}

/**
 * A GKE ComputeClass that lets GKE create node pools (`nodePoolAutoCreation.enabled`) for GPU
 * priorities: its GPU nodes are bounded only by the cluster's autoprovisioning limits, which the
 * class does not state. Priorities that name node pools add nothing; those pools are counted.
 */
function computeClassAutoCreatesGpus(type: string, props: Json): boolean {
  if (!isKind(type, "cloud.google.com", "ComputeClass") || props?.spec?.nodePoolAutoCreation?.enabled !== true) {
    return false;
  }
  return ((props?.spec?.priorities ?? []) as Json[]).some((p) => p?.gpu !== undefined || gpusOfType("gcp", String(p?.machineType ?? "")) > 0 || /^(a2|a3|a4|g2)$/.test(String(p?.machineFamily ?? "")));
}

/** GPU types a single resource names (for the allowlist), or undefined when it names none. */
export function gpuTypesOf(r: { type: string; props: Json }): { types: string[]; unrestricted?: string } | undefined {
  const p = r.props;
  const group = gpuNodeGroup(r.type, p);
  if (group) {
    return { types: group.types };
  }
  if (r.type === GKE_CLUSTER) {
    const pools = [...((p?.nodePools ?? []) as Json[]), ...(p?.nodeConfig ? [{ nodeConfig: p.nodeConfig }] : [])].flatMap((pool) => gkePool(pool) ?? []);
    return pools.length > 0 ? { types: pools.flatMap((g) => g.types) } : undefined;
  }
  if (r.type === LAUNCH_TEMPLATE || r.type === EC2_INSTANCE) {
    const t = String(p?.instanceType ?? "");
    return gpusOfType("aws", t) > 0 ? { types: [t] } : undefined;
  }
  if (r.type === AUTOSCALING_GROUP) {
    const overrides = ((p?.mixedInstancesPolicy?.launchTemplate?.overrides ?? []) as Json[]).map((o) => String(o?.instanceType ?? ""));
    const types = overrides.filter((t) => gpusOfType("aws", t) > 0);
    return types.length > 0 ? { types } : undefined;
  }
  if (r.type === GCE_INSTANCE) {
    const machine = String(p?.machineType ?? "");
    const attached = ((p?.guestAccelerators ?? []) as Json[]).length > 0;
    return gpusOfType("gcp", machine) > 0 || attached ? { types: [machine] } : undefined;
  }
  if (isKarpenterNodePool(r.type)) {
    const k = karpenterGpuView(p);
    if (!k.gpu) {
      return undefined;
    }
    return k.types.length === 0 ? { types: [], unrestricted: "its requirements name no node.kubernetes.io/instance-type, so it may launch any GPU type" } : { types: k.types };
  }
  return undefined;
}

/** Every source of GPUs in a stack with its maximum, following launch templates into the groups that use them. */
export function gpuSources(resources: readonly PolicyResource[]): GpuSource[] {
  const templates = new Map(resources.filter((r) => r.type === LAUNCH_TEMPLATE).map((r) => [r.urn, r]));
  const usedTemplates = new Set<string>();
  const templateOf = (r: PolicyResource) => r.dependencies.find((d) => templates.has(d.urn));
  const sources: GpuSource[] = [];
  for (const r of resources) {
    const p = r.props;
    if (r.type === EKS_NODE_GROUP || r.type === EKS_MANAGED_NODE_GROUP) {
      const lt = templateOf(r);
      const types = (p?.instanceTypes as string[] | undefined) ?? (lt?.props?.instanceType ? [String(lt.props.instanceType)] : []);
      if (lt) {
        usedTemplates.add(lt.urn);
      }
      const gpus = Math.max(0, ...types.map((t) => gpusOfType("aws", t)));
      if (gpus > 0) {
        sources.push({ name: r.name, what: "node group", types, gpus: gpus * Number(p?.scalingConfig?.maxSize ?? p?.maxSize ?? 0) });
      }
    } else if (r.type === GKE_NODE_POOL) {
      const g = gkePool(p);
      if (g) {
        sources.push({ name: r.name, what: "GKE node pool", types: g.types, gpus: g.gpusPerNode * g.maxNodes });
      }
    } else if (r.type === GKE_CLUSTER) {
      for (const [i, pool] of ((p?.nodePools ?? []) as Json[]).entries()) {
        const g = gkePool({ location: p?.location, nodeLocations: p?.nodeLocations, ...pool });
        if (g) {
          sources.push({ name: `${r.name}.nodePools[${i}]`, what: "GKE node pool", types: g.types, gpus: g.gpusPerNode * g.maxNodes });
        }
      }
      const g = p?.nodeConfig && !p?.removeDefaultNodePool ? gkePool({ location: p.location, nodeLocations: p.nodeLocations, nodeConfig: p.nodeConfig, initialNodeCount: p.initialNodeCount }) : undefined;
      if (g) {
        sources.push({ name: `${r.name} default pool`, what: "GKE node pool", types: g.types, gpus: g.gpusPerNode * g.maxNodes });
      }
    } else if (r.type === AUTOSCALING_GROUP) {
      const lt = templateOf(r);
      if (lt) {
        usedTemplates.add(lt.urn);
      }
      const overrides = ((p?.mixedInstancesPolicy?.launchTemplate?.overrides ?? []) as Json[]).map((o) => String(o?.instanceType ?? ""));
      const types = overrides.length > 0 ? overrides : lt?.props?.instanceType ? [String(lt.props.instanceType)] : [];
      const gpus = Math.max(0, ...types.map((t) => gpusOfType("aws", t)));
      if (gpus > 0) {
        sources.push({ name: r.name, what: "auto scaling group", types, gpus: gpus * Number(p?.maxSize ?? 0) });
      }
    } else if (r.type === EC2_INSTANCE || r.type === GCE_INSTANCE) {
      const cloud = r.type === EC2_INSTANCE ? "aws" : "gcp";
      const type = String(cloud === "aws" ? (p?.instanceType ?? "") : (p?.machineType ?? ""));
      const attached = ((p?.guestAccelerators ?? []) as Json[]).reduce((s: number, a: Json) => s + Number(a?.count ?? 0), 0);
      const gpus = Math.max(gpusOfType(cloud, type), attached);
      if (gpus > 0) {
        sources.push({ name: r.name, what: "instance", types: [type], gpus });
      }
    } else if (computeClassAutoCreatesGpus(r.type, p)) {
      sources.push({ name: r.name, what: "GKE ComputeClass", types: [], gpus: 0, unbounded: "it auto-creates GPU node pools (nodePoolAutoCreation), bounded only by cluster-wide autoprovisioning limits" });
    } else if (isKarpenterNodePool(r.type)) {
      const k = karpenterGpuView(p);
      const limit = p?.spec?.limits?.["nvidia.com/gpu"];
      if (k.gpu) {
        sources.push(
          limit === undefined || !/^\d+$/.test(String(limit))
            ? { name: r.name, what: "Karpenter NodePool", types: k.types, gpus: 0, unbounded: "it sets no spec.limits[\"nvidia.com/gpu\"]" }
            : { name: r.name, what: "Karpenter NodePool", types: k.types, gpus: Number(limit) },
        );
      }
    }
  }
  // A GPU launch template no group uses still says what someone means to launch: count one node.
  for (const lt of templates.values()) {
    const type = String(lt.props?.instanceType ?? "");
    if (!usedTemplates.has(lt.urn) && gpusOfType("aws", type) > 0) {
      sources.push({ name: lt.name, what: "launch template (at least one node)", types: [type], gpus: gpusOfType("aws", type) });
    }
  }
  return sources;
}

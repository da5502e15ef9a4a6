import { eksAddons } from "../versions";
import { isKnownRegion, nearestRegions } from "../catalog/regions";
import { MAX_VPC_ZONES, overlaps, parseIpv4Cidr, planVpcSubnets, VpcSubnetPlan } from "../network/cidr";
import type { Report } from "./report";
import type { ResolvedPool } from "./resolved-pool";
import { ParsedPlatform } from "./schema";

// Cross-field rules of managed clusters (EKS, GKE): network, API access, system nodes, snapshot
// store, and the pool options that only a cloud can honour (zones, reservations, EFA).

export type ResolvedNetwork =
  | { readonly cloud: "aws"; readonly create: true; readonly cidr: string; readonly natGateways: "single" | "per-zone"; readonly subnets: readonly VpcSubnetPlan[] }
  | { readonly cloud: "aws"; readonly create: false; readonly vpcId: string; readonly privateSubnetIds: readonly string[]; readonly publicSubnetIds: readonly string[] }
  | {
      readonly cloud: "gcp";
      readonly create: true;
      readonly cidr: string;
      readonly podCidr: string;
      readonly serviceCidr: string;
      readonly proxyCidr: string;
      readonly controlPlaneCidr: string;
    }
  | {
      readonly cloud: "gcp";
      readonly create: false;
      readonly network: string;
      readonly subnetwork: string;
      readonly podsRange: string;
      readonly servicesRange: string;
      readonly controlPlaneCidr: string;
    };

export interface ResolvedSystemNodes {
  readonly instanceType: string;
  readonly minNodes: number;
  readonly maxNodes: number;
}

/** The snapshot store with its provider and bucket settled. */
export interface SnapshotStoreConfig {
  readonly provider: "s3" | "gcs";
  readonly bucket: string;
  readonly region?: string;
  readonly endpoint?: string;
  /** Whether the platform creates the bucket (managed clusters) or it exists already. */
  readonly created: boolean;
}

export const DEFAULT_SYSTEM_INSTANCE = { aws: "m7i.xlarge", gcp: "n2-standard-4" } as const;
const GCP_DEFAULTS = { cidr: "10.0.0.0/20", podCidr: "10.4.0.0/14", serviceCidr: "10.8.0.0/20", proxyCidr: "10.9.0.0/23", controlPlaneCidr: "172.16.0.0/28" };
const AWS_DEFAULT_VPC_CIDR = "10.0.0.0/16";

export interface ManagedClusterSettings {
  readonly network?: ResolvedNetwork;
  readonly systemNodes: ResolvedSystemNodes;
  readonly deletionProtection: boolean;
  /** Checks the pools' cloud-only options against the cloud and network. */
  checkPools(pools: readonly ResolvedPool[], poolNames: readonly string[], report: Report): void;
}

const AWS_ONLY_NETWORK = ["zones"] as const;
const GCP_ONLY_NETWORK = ["podCidr", "serviceCidr", "controlPlaneCidr", "proxyCidr"] as const;

function resolveAwsNetwork(config: ParsedPlatform, report: Report): ResolvedNetwork | undefined {
  const network = config.network;
  for (const key of GCP_ONLY_NETWORK) {
    if (network[key] !== undefined) {
      report(`network.${key}`, "is a GKE setting; cloud.provider is aws");
    }
  }
  const existing = network.existing;
  if (existing !== undefined) {
    for (const key of ["network", "subnetwork", "podsRange", "servicesRange"] as const) {
      if (existing[key] !== undefined) {
        report(`network.existing.${key}`, "is a GKE setting; cloud.provider is aws");
      }
    }
    if (network.zones !== undefined || network.cidr !== undefined) {
      report(network.zones !== undefined ? "network.zones" : "network.cidr", "describes a VPC the platform creates; it does not apply with network.existing");
    }
    if (existing.vpcId === undefined) {
      report("network.existing.vpcId", "is required with network.existing on aws");
    }
    const subnets = existing.privateSubnetIds ?? [];
    if (subnets.length < 2) {
      report("network.existing.privateSubnetIds", "needs subnets in at least two availability zones (EKS requires two)");
    }
    return existing.vpcId === undefined
      ? undefined
      : { cloud: "aws", create: false, vpcId: existing.vpcId, privateSubnetIds: subnets, publicSubnetIds: existing.publicSubnetIds };
  }
  const cidr = network.cidr ?? AWS_DEFAULT_VPC_CIDR;
  const prefix = parseIpv4Cidr(cidr).prefix;
  if (prefix < 16 || prefix > 20) {
    report("network.cidr", `a VPC CIDR must be /16 to /20 (AWS allows /16 at most; below /20 the pod subnets run out); got /${prefix}`);
  }
  const zones = network.zones;
  if (zones === undefined) {
    report("network.zones", "is required when the platform creates the VPC: list at least two availability zones, e.g. [us-east-1a, us-east-1b]");
    return undefined;
  }
  if (zones.length < 2 || zones.length > MAX_VPC_ZONES) {
    report("network.zones", `needs 2 to ${MAX_VPC_ZONES} availability zones (EKS requires two); got ${zones.length}`);
  }
  const duplicate = zones.find((z, i) => zones.indexOf(z) !== i);
  if (duplicate !== undefined) {
    report("network.zones", `lists ${duplicate} twice`);
  }
  const region = config.cloud.region;
  zones.forEach((zone, i) => {
    if (region !== undefined && !(zone.startsWith(region) && /^[a-z]$/.test(zone.slice(region.length)))) {
      report(`network.zones[${i}]`, `${zone} is not an availability zone of ${region} (expected ${region}a, ${region}b, …)`);
    }
  });
  if (prefix < 16 || prefix > 20 || zones.length > MAX_VPC_ZONES) {
    return undefined;
  }
  return { cloud: "aws", create: true, cidr, natGateways: network.natGateways, subnets: planVpcSubnets(cidr, zones) };
}

function resolveGcpNetwork(config: ParsedPlatform, report: Report): ResolvedNetwork | undefined {
  const network = config.network;
  for (const key of AWS_ONLY_NETWORK) {
    if (network[key] !== undefined) {
      report(`network.${key}`, "is an AWS setting; on gcp set zones per pool (node locations)");
    }
  }
  if (network.natGateways !== "single") {
    report("network.natGateways", "is an AWS setting; GKE uses one Cloud NAT per region");
  }
  const controlPlaneCidr = network.controlPlaneCidr ?? GCP_DEFAULTS.controlPlaneCidr;
  if (parseIpv4Cidr(controlPlaneCidr).prefix !== 28) {
    report("network.controlPlaneCidr", "must be a /28 (GKE's private control-plane range)");
  }
  const existing = network.existing;
  if (existing !== undefined) {
    for (const key of ["vpcId", "privateSubnetIds"] as const) {
      if (existing[key] !== undefined) {
        report(`network.existing.${key}`, "is an AWS setting; cloud.provider is gcp");
      }
    }
    const missing = (["network", "subnetwork", "podsRange", "servicesRange"] as const).filter((k) => existing[k] === undefined);
    missing.forEach((k) => report(`network.existing.${k}`, "is required with network.existing on gcp"));
    if (network.cidr !== undefined || network.podCidr !== undefined || network.serviceCidr !== undefined || network.proxyCidr !== undefined) {
      report("network.cidr", "describes ranges the platform creates; with network.existing name the subnetwork's ranges instead");
    }
    if (missing.length > 0) {
      return undefined;
    }
    return {
      cloud: "gcp",
      create: false,
      network: existing.network as string,
      subnetwork: existing.subnetwork as string,
      podsRange: existing.podsRange as string,
      servicesRange: existing.servicesRange as string,
      controlPlaneCidr,
    };
  }
  const ranges = {
    cidr: network.cidr ?? GCP_DEFAULTS.cidr,
    podCidr: network.podCidr ?? GCP_DEFAULTS.podCidr,
    serviceCidr: network.serviceCidr ?? GCP_DEFAULTS.serviceCidr,
    proxyCidr: network.proxyCidr ?? GCP_DEFAULTS.proxyCidr,
    controlPlaneCidr,
  };
  const names = Object.keys(ranges) as (keyof typeof ranges)[];
  names.forEach((a, i) =>
    names.slice(i + 1).forEach((b) => {
      if (overlaps(ranges[a], ranges[b])) {
        report(`network.${b}`, `${ranges[b]} overlaps network.${a} ${ranges[a]}`);
      }
    }),
  );
  return { cloud: "gcp", create: true, ...ranges };
}

function checkAwsPool(pool: ResolvedPool, path: string, network: ResolvedNetwork | undefined, report: Report): void {
  const created = network?.cloud === "aws" && network.create;
  const zones = network?.cloud === "aws" && network.create ? network.subnets.map((s) => s.zone) : [];
  if (pool.zones !== undefined) {
    if (network?.cloud === "aws" && !network.create) {
      report(`${path}.zones`, "selects subnets of the VPC the platform creates; with network.existing use subnetIds");
    }
    pool.zones.forEach((zone, i) => {
      if (created && !zones.includes(zone)) {
        report(`${path}.zones[${i}]`, `${zone} is not one of network.zones (${zones.join(", ")})`);
      }
    });
  }
  if (pool.subnetIds !== undefined && created) {
    report(`${path}.subnetIds`, "applies with network.existing; pick zones of the created VPC with zones");
  }
  const placements = created ? (pool.zones ?? zones).length : (pool.subnetIds ?? (network?.cloud === "aws" && !network.create ? network.privateSubnetIds : [])).length;
  const field = created ? "zones" : "subnetIds";
  if (pool.efa && pool.multiNode && placements !== 1) {
    report(`${path}.${field}`, `multi-node EFA pools need exactly one ${created ? "zone" : "subnet"}: a cluster placement group lives in one availability zone`);
  }
  if (pool.capacityType === "capacity-block") {
    if (pool.reservation === undefined) {
      report(`${path}.reservation`, "is required with capacity-block: the EC2 capacity block reservation ID (cr-…) the nodes launch into");
    }
    if (placements !== 1) {
      report(`${path}.${field}`, `capacity-block pools need exactly one ${created ? "zone" : "subnet"}: the reservation's availability zone`);
    }
  }
  if (pool.reservation !== undefined && !/^cr-[0-9a-f]{8,17}$/.test(pool.reservation)) {
    report(`${path}.reservation`, `"${pool.reservation}" is not an EC2 capacity reservation ID (cr-…)`);
  }
  if (pool.reservation !== undefined && pool.capacityType === "spot") {
    report(`${path}.reservation`, "spot capacity cannot consume a capacity reservation");
  }
}

function checkGcpPool(pool: ResolvedPool, path: string, region: string | undefined, report: Report): void {
  pool.zones?.forEach((zone, i) => {
    if (region !== undefined && !(zone.startsWith(`${region}-`) && /^[a-z]$/.test(zone.slice(region.length + 1)))) {
      report(`${path}.zones[${i}]`, `${zone} is not a zone of ${region} (expected ${region}-a, ${region}-b, …)`);
    }
  });
  if (pool.subnetIds !== undefined) {
    report(`${path}.subnetIds`, "is an AWS setting; on gcp pick zones");
  }
  if (pool.multiNode && pool.zones?.length !== 1) {
    report(`${path}.zones`, "multi-node pools need exactly one zone: GKE compact placement keeps the nodes in one zone");
  }
  if (pool.reservation !== undefined && pool.capacityType === "spot") {
    report(`${path}.reservation`, "spot VMs cannot consume a reservation");
  }
}

function checkExistingPool(pool: ResolvedPool, path: string, report: Report): void {
  for (const key of ["zones", "subnetIds", "reservation"] as const) {
    if (pool[key] !== undefined) {
      report(`${path}.${key}`, "only applies to node pools the platform creates (cloud.provider aws or gcp)");
    }
  }
}

/**
 * Zones GKE spreads a regional cluster's node pool over when it names no node locations (GKE
 * docs, regional clusters: three zones of the region by default).
 */
export const GKE_DEFAULT_ZONES = 3;

/**
 * The GKE system pool's first nodes: `initialNodeCount` counts per zone, and the pool must start
 * with nodes because every in-cluster release waits for pods on it (the cluster autoscaler only
 * adds nodes for pending pods, it does not fill a pool up to its minimum).
 */
export function gkeSystemPoolStart(minNodes: number): { perZone: number; total: number } {
  const perZone = Math.max(1, Math.ceil(minNodes / GKE_DEFAULT_ZONES));
  return { perZone, total: perZone * GKE_DEFAULT_ZONES };
}

type ApiAccess = NonNullable<ParsedPlatform["cluster"]["apiAccess"]>;

/**
 * A private-only endpoint must admit the machine that deploys: the same program creates the
 * network, so that machine is never inside it, and the cluster admits only its nodes otherwise
 * (EKS: the cluster security group allows 443 from itself; GKE: master authorized networks).
 */
function checkApiAccess(provider: "aws" | "gcp", access: ApiAccess, privateNodes: boolean, report: Report): void {
  const sources = access.privateSources;
  const count = (sources?.cidrs.length ?? 0) + (sources?.securityGroupIds.length ?? 0);
  if (access.publicCidrs.length === 0 && count === 0) {
    report(
      "cluster.apiAccess.privateSources",
      "is required when publicCidrs is [] (private-only endpoint): list the CIDRs of a connected network (cidrs)" +
        (provider === "aws" ? " or the security group of a runner in a peered VPC (securityGroupIds)" : "") +
        " from which pulumi reaches the API; nothing else can",
    );
  }
  if (provider === "gcp" && (sources?.securityGroupIds.length ?? 0) > 0) {
    report("cluster.apiAccess.privateSources.securityGroupIds", "is an AWS setting; GKE admits clients of the private endpoint by CIDR (privateSources.cidrs)");
  }
  if (provider === "gcp" && access.publicCidrs.length === 0 && !privateNodes) {
    report("cluster.privateNodes", "must be true when cluster.apiAccess.publicCidrs is []: GKE has a private endpoint only on clusters with private nodes");
  }
}

export function resolveManagedCluster(parsed: ParsedPlatform, report: Report): ManagedClusterSettings {
  const { provider, region, project } = parsed.cloud;
  if (provider !== "existing" && region === undefined) {
    report("cloud.region", `is required for ${provider}`);
  }
  const unknownRegion = provider !== "existing" && region !== undefined && !isKnownRegion(provider, region);
  if (unknownRegion) {
    report("cloud.region", `"${region}" is not ${provider === "aws" ? "an AWS" : "a Google Cloud"} region (nearest: ${nearestRegions(provider, region).join(", ")})`);
  }
  // Zones and stores are checked against a real region only; an unknown one is reported once, above.
  const config = unknownRegion ? { ...parsed, cloud: { ...parsed.cloud, region: undefined } } : parsed;
  const { cluster } = config;
  if (provider === "gcp" && project === undefined) {
    report("cloud.project", "is required for gcp");
  }
  if (provider !== "gcp" && project !== undefined) {
    report("cloud.project", `is a Google Cloud setting; cloud.provider is ${provider}`);
  }
  if (provider !== "existing" && cluster.context !== undefined) {
    report("cluster.context", `only applies to existing clusters; cloud.provider is ${provider}`);
  }
  if (provider !== "existing" && cluster.apiAccess === undefined) {
    report("cluster.apiAccess", "is required for a managed cluster: list the CIDRs that may reach the API in publicCidrs, or [] for a private-only endpoint");
  }
  if (provider === "existing" && cluster.apiAccess !== undefined) {
    report("cluster.apiAccess", "only applies to clusters the platform creates (aws, gcp)");
  }
  if (provider !== "existing" && cluster.apiAccess !== undefined) {
    checkApiAccess(provider, cluster.apiAccess, cluster.privateNodes, report);
  }
  if (provider !== "aws" && cluster.admins.length > 0) {
    report("cluster.admins", "are EKS access entries; cloud.provider is " + provider);
  }
  if (provider === "aws" && eksAddons[cluster.kubernetesVersion] === undefined) {
    report(
      "cluster.kubernetesVersion",
      `${cluster.kubernetesVersion} has no pinned EKS add-on versions in this release (pinned: ${Object.keys(eksAddons).join(", ")})`,
    );
  }
  if (provider === "gcp" && cluster.systemNodes.minNodes <= cluster.systemNodes.maxNodes) {
    const first = gkeSystemPoolStart(cluster.systemNodes.minNodes);
    if (first.total > cluster.systemNodes.maxNodes) {
      report(
        "cluster.systemNodes.maxNodes",
        `${cluster.systemNodes.maxNodes} is below the ${first.total} node(s) the GKE system pool starts with (${first.perZone} in each of the ${GKE_DEFAULT_ZONES} zones GKE spreads a regional pool over)`,
      );
    }
  }
  if (cluster.systemNodes.minNodes > cluster.systemNodes.maxNodes) {
    report("cluster.systemNodes.minNodes", `${cluster.systemNodes.minNodes} is above maxNodes ${cluster.systemNodes.maxNodes}`);
  }
  const n = config.network;
  const networkSet = n.cidr !== undefined || n.zones !== undefined || n.podCidr !== undefined || n.serviceCidr !== undefined || n.controlPlaneCidr !== undefined || n.proxyCidr !== undefined || n.existing !== undefined;
  if (provider === "existing" && networkSet) {
    report("network", "only applies to clusters the platform creates (aws, gcp)");
  }
  const network = provider === "aws" ? resolveAwsNetwork(config, report) : provider === "gcp" ? resolveGcpNetwork(config, report) : undefined;
  return {
    network,
    deletionProtection: cluster.deletionProtection ?? config.environment.tier === "prod",
    systemNodes: {
      instanceType: cluster.systemNodes.instanceType ?? (provider === "gcp" ? DEFAULT_SYSTEM_INSTANCE.gcp : DEFAULT_SYSTEM_INSTANCE.aws),
      minNodes: cluster.systemNodes.minNodes,
      maxNodes: cluster.systemNodes.maxNodes,
    },
    checkPools(pools, poolNames, poolReport) {
      for (const pool of pools) {
        const path = `gpuPools[${poolNames.indexOf(pool.name)}]`;
        if (provider === "aws") {
          checkAwsPool(pool, path, network, poolReport);
        } else if (provider === "gcp") {
          checkGcpPool(pool, path, region, poolReport);
        } else {
          checkExistingPool(pool, path, poolReport);
        }
      }
    },
  };
}

/** The snapshot store: the one the platform creates on aws/gcp, or the configured one. */
export function resolveStore(config: ParsedPlatform, clusterName: string, report: Report): SnapshotStoreConfig | undefined {
  const { provider: cloud, region } = config.cloud;
  const { mode, store } = config.modelCache;
  if (cloud === "existing") {
    if (store === undefined) {
      if (mode !== "off") {
        report("modelCache.store", `is required with modelCache.mode ${mode} on an existing cluster`);
      }
      return undefined;
    }
    if (store.provider === undefined) {
      report("modelCache.store.provider", "is required on an existing cluster (s3 or gcs)");
    }
    if (store.bucket === undefined) {
      report("modelCache.store.bucket", "is required on an existing cluster");
    }
    if (store.provider === undefined || store.bucket === undefined) {
      return undefined;
    }
    return { ...store, provider: store.provider, bucket: store.bucket, created: false };
  }
  const provider = cloud === "aws" ? "s3" : "gcs";
  if (store?.provider !== undefined && store.provider !== provider) {
    report("modelCache.store.provider", `the platform creates the store in ${cloud}, which is ${provider}; got ${store.provider}`);
  }
  if (store?.endpoint !== undefined) {
    report("modelCache.store.endpoint", `is for S3-compatible stores on existing clusters; on ${cloud} the platform creates the bucket`);
  }
  if (store?.region !== undefined && store.region !== region) {
    report("modelCache.store.region", `the bucket is created in cloud.region ${region ?? "(unset)"}; leave region unset`);
  }
  return {
    provider,
    bucket: store?.bucket ?? `${clusterName}-model-snapshots`,
    ...(cloud === "aws" && region !== undefined ? { region } : {}),
    created: true,
  };
}

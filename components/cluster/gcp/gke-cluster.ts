import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { gatewayApiCrdsOwner } from "../../addons/gateway-manifests";
import { cacheReaders } from "../../cache/identities";
import type { PlatformConfig, ResolvedNetwork } from "../../config";
import { CacheServiceAccountAnnotations, ClusterOutputs, SnapshotStoreOutputs } from "../outputs";
import { describePool, GpuPoolDescriptor } from "../pool-descriptor";
import { computeClass, stepNodePoolName, stepNodePoolSpec } from "./compute-class";
import { gkeKubeconfig } from "./kubeconfig";
import { gpuNodePoolSpec, NODE_SERVICE_ACCOUNT_ROLES, NodePoolSpec, serviceAccountId, systemNodePoolSpec } from "./node-pool";
import { gkeRequirements } from "./requirements";
import { createGcsSnapshotStore } from "./snapshot-store";

export interface GkeClusterArgs {
  /** The validated environment (cloud.provider `gcp`). Required. */
  readonly config: PlatformConfig;
  /** Labels on every Google Cloud resource that takes them. Default: the environment. */
  readonly labels?: Record<string, string>;
}

const PODS_RANGE = "pods";
const SERVICES_RANGE = "services";

/**
 * A GKE Standard cluster for LLM serving: its network (or a given one) with Cloud NAT and the
 * proxy-only subnet regional Gateways need, Workload Identity, the Gateway API, a release channel,
 * private nodes, a system pool, one node pool per GPU pool (one per fallback step, under a
 * ComputeClass, for pools with `capacity.provisioner: compute-class`), and the GCS snapshot store with its
 * Workload Identity bindings.
 */
/** Master authorized networks: the public CIDRs and the private endpoint's sources, each once. */
export function authorizedNetworks(publicCidrs: readonly string[], privateCidrs: readonly string[]): { cidrBlock: string; displayName: string }[] {
  const cidrs = [...new Set([...publicCidrs, ...privateCidrs])];
  return cidrs.map((cidrBlock) => ({ cidrBlock, displayName: publicCidrs.includes(cidrBlock) ? cidrBlock : `private ${cidrBlock}` }));
}

export class GkeCluster extends pulumi.ComponentResource implements ClusterOutputs {
  public readonly clusterName: pulumi.Output<string>;
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly provider: k8s.Provider;
  public readonly gpuPools: readonly GpuPoolDescriptor[];
  public readonly snapshotStore: SnapshotStoreOutputs;
  public readonly cacheServiceAccountAnnotations: CacheServiceAccountAnnotations;
  public readonly identityDependencies: readonly pulumi.Resource[];
  public readonly nodePools: readonly gcp.container.NodePool[];
  /** A ComputeClass per pool with `capacity.provisioner: compute-class`. */
  public readonly computeClasses: readonly k8s.apiextensions.CustomResource[];

  constructor(name: string, args: GkeClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    const { config } = args;
    const { cluster } = config;
    const { region, project, store, network, publicCidrs, privateCidrs } = gkeRequirements(config);
    super("llm-platform:index:GkeCluster", name, {}, opts);
    const labels = args.labels ?? { "llm-platform-environment": config.environment.name, "managed-by": "pulumi" };
    const childOpts = { parent: this };

    const { networkId, subnetworkId, podsRange, servicesRange } = this.network(name, network, project, region, cluster.name);

    const gke = new gcp.container.Cluster(
      `${name}-gke`,
      {
        name: cluster.name,
        project,
        location: region,
        network: networkId,
        subnetwork: subnetworkId,
        // Node pools are managed one by one below; the default pool only exists to create the cluster.
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        minMasterVersion: cluster.kubernetesVersion,
        releaseChannel: { channel: cluster.releaseChannel },
        workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` },
        // Off when Envoy Gateway serves the Gateway (tenants): the platform installs the CRDs then.
        gatewayApiConfig: { channel: gatewayApiCrdsOwner(config) === "gke" ? "CHANNEL_STANDARD" : "CHANNEL_DISABLED" },
        addonsConfig: { httpLoadBalancing: { disabled: false } },
        // Dataplane V2 enforces NetworkPolicies (the models namespace's); it is fixed at creation.
        datapathProvider: "ADVANCED_DATAPATH",
        ipAllocationPolicy: { clusterSecondaryRangeName: podsRange, servicesSecondaryRangeName: servicesRange },
        ...(cluster.privateNodes
          ? { privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: publicCidrs.length === 0, masterIpv4CidrBlock: network.controlPlaneCidr } }
          : {}),
        // Authorized networks gate the private endpoint as well as the public one; nodes pass anyway.
        masterAuthorizedNetworksConfig: { cidrBlocks: authorizedNetworks(publicCidrs, privateCidrs) },
        deletionProtection: cluster.deletionProtection,
        resourceLabels: labels,
      },
      childOpts,
    );
    this.clusterName = gke.name;

    const nodeAccountId = serviceAccountId(cluster.name, "nodes");
    const nodeAccount = new gcp.serviceaccount.Account(`${name}-nodes`, { accountId: nodeAccountId, project, displayName: `llm-platform ${cluster.name} nodes` }, childOpts);
    const nodeRoles = NODE_SERVICE_ACCOUNT_ROLES.map(
      (role) =>
        new gcp.projects.IAMMember(`${name}-nodes-${role.split("/")[1]}`, { project, role, member: pulumi.interpolate`serviceAccount:${nodeAccount.email}` }, childOpts),
    );
    const nodePool = (poolName: string, spec: NodePoolSpec<pulumi.Input<string>>) =>
      new gcp.container.NodePool(
        `${name}-${poolName}`,
        { name: poolName, project, cluster: gke.id, location: region, ...spec },
        // The cluster autoscaler owns the node count once the pool exists.
        { parent: this, dependsOn: nodeRoles, ignoreChanges: ["initialNodeCount"] },
      );
    const system = nodePool("system", systemNodePoolSpec(cluster.systemNodes, nodeAccount.email));
    // A ComputeClass pool has one autoscaled node pool per fallback step; others have one.
    const gpuNodePools = config.gpuPools.flatMap((pool) =>
      pool.capacity.provisioner === "compute-class"
        ? pool.capacity.steps.map((step, i) => nodePool(stepNodePoolName(pool.name, step.type, i), stepNodePoolSpec(pool, step, i, nodeAccount.email)))
        : [nodePool(`gpu-${pool.name}`, gpuNodePoolSpec(pool, nodeAccount.email))],
    );
    this.nodePools = [system, ...gpuNodePools];

    // `<project>.svc.id.goog` exists only once the cluster does: bindings to it wait for the cluster.
    const workloadPool = gke.workloadIdentityConfig.apply((c) => {
      if (c?.workloadPool === undefined) {
        throw new Error(`GKE cluster ${cluster.name} reports no Workload Identity pool`);
      }
      return c.workloadPool;
    });
    const snapshots = createGcsSnapshotStore(
      `${name}-store`,
      { bucket: store.bucket, project, region, clusterName: cluster.name, namespace: config.modelsNamespace, readers: cacheReaders(config.models), labels, workloadPool },
      this,
    );
    this.snapshotStore = { provider: "gcs", bucket: snapshots.bucketName, readerIdentities: Object.fromEntries(Object.entries(snapshots.readerEmails).map(([sa, email]) => [sa, pulumi.output(email)])), seederIdentity: pulumi.output(snapshots.seederEmail) };
    this.cacheServiceAccountAnnotations = snapshots.annotations;
    this.identityDependencies = snapshots.bindings;

    const endpoint = publicCidrs.length === 0 && cluster.privateNodes ? gke.privateClusterConfig.apply((p) => p?.privateEndpoint ?? "") : gke.endpoint;
    this.kubeconfig = pulumi.secret(
      pulumi.all([gke.name, endpoint, gke.masterAuth]).apply(([clusterName, host, auth]) => gkeKubeconfig({ name: clusterName, endpoint: host, caData: auth.clusterCaCertificate ?? "" })),
    );
    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this, dependsOn: [system] });
    // Each class names its node pools, so it follows them; GKE serves the ComputeClass kind itself.
    this.computeClasses = config.gpuPools
      .filter((pool) => pool.capacity.provisioner === "compute-class")
      .map((pool) => new k8s.apiextensions.CustomResource(`${name}-compute-class-${pool.name}`, { ...computeClass(pool) }, { parent: this, provider: this.provider, dependsOn: gpuNodePools }));
    this.gpuPools = config.gpuPools.map(describePool);
    this.registerOutputs({ clusterName: this.clusterName, gpuPools: this.gpuPools, snapshotStore: this.snapshotStore });
  }

  private network(
    name: string,
    network: Extract<ResolvedNetwork, { cloud: "gcp" }>,
    project: string,
    region: string,
    clusterName: string,
  ): { networkId: pulumi.Input<string>; subnetworkId: pulumi.Input<string>; podsRange: string; servicesRange: string } {
    if (!network.create) {
      return { networkId: network.network, subnetworkId: network.subnetwork, podsRange: network.podsRange, servicesRange: network.servicesRange };
    }
    const opts = { parent: this };
    const vpc = new gcp.compute.Network(`${name}-network`, { name: clusterName, project, autoCreateSubnetworks: false, routingMode: "REGIONAL" }, opts);
    const subnetwork = new gcp.compute.Subnetwork(
      `${name}-nodes`,
      {
        name: `${clusterName}-nodes`,
        project,
        region,
        network: vpc.id,
        ipCidrRange: network.cidr,
        privateIpGoogleAccess: true,
        secondaryIpRanges: [
          { rangeName: PODS_RANGE, ipCidrRange: network.podCidr },
          { rangeName: SERVICES_RANGE, ipCidrRange: network.serviceCidr },
        ],
      },
      opts,
    );
    // Regional internal and external Application Load Balancers (the GKE Gateway classes the
    // platform uses) run their proxies in this subnet.
    new gcp.compute.Subnetwork(
      `${name}-proxy-only`,
      { name: `${clusterName}-proxy-only`, project, region, network: vpc.id, ipCidrRange: network.proxyCidr, purpose: "REGIONAL_MANAGED_PROXY", role: "ACTIVE" },
      opts,
    );
    const router = new gcp.compute.Router(`${name}-router`, { name: `${clusterName}-router`, project, region, network: vpc.id }, opts);
    new gcp.compute.RouterNat(
      `${name}-nat`,
      {
        name: `${clusterName}-nat`,
        project,
        region,
        router: router.name,
        natIpAllocateOption: "AUTO_ONLY",
        sourceSubnetworkIpRangesToNat: "ALL_SUBNETWORKS_ALL_IP_RANGES",
        logConfig: { enable: true, filter: "ERRORS_ONLY" },
      },
      opts,
    );
    return { networkId: vpc.id, subnetworkId: subnetwork.id, podsRange: PODS_RANGE, servicesRange: SERVICES_RANGE };
  }
}

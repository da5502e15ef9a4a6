import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { cacheReaders } from "../../cache/identities";
import type { PlatformConfig, ResolvedPool } from "../../config";
import { ClusterOutputs, SnapshotStoreOutputs } from "../outputs";
import { describePool, GpuPoolDescriptor } from "../pool-descriptor";
import { clusterAdminAccessPolicyArn, ec2TrustPolicy, nodeManagedPolicyArns } from "./iam-documents";
import { AdminEntry, apiIngressRules, configuredAdminEntries, deployerEntry, withoutCreatorAdminBootstrap } from "./api-access";
import { gpuLaunchTemplateSpec, gpuNodeGroupSpec, LaunchTemplateSpec, NodeGroupSpec, systemLaunchTemplateSpec, systemNodeGroupSpec } from "./node-group";
import { eksRequirements } from "./requirements";
import { createS3SnapshotStore } from "./snapshot-store";
import { AwsSubnets, createVpc, existingSubnets, privateSubnetName } from "./vpc";
import { Karpenter } from "./karpenter";

export interface EksClusterArgs {
  /** The validated environment (cloud.provider `aws`). Required. */
  readonly config: PlatformConfig;
  /** Tags on every AWS resource. Default: the environment and `managed-by: pulumi`. */
  readonly tags?: Record<string, string>;
}

/**
 * An EKS cluster for LLM serving: its VPC (or given subnets), a KMS key for secrets and snapshots,
 * the control plane through @pulumi/eks (API authentication with access entries, private or
 * CIDR-limited endpoint, logs, pinned add-ons), a CPU system node group, one managed node group per
 * GPU pool with its own launch template (or, for pools with `capacity.provisioner: karpenter`,
 * Karpenter NodePools), and the snapshot store with its Pod Identity roles.
 */
export class EksCluster extends pulumi.ComponentResource implements ClusterOutputs {
  public readonly clusterName: pulumi.Output<string>;
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly provider: k8s.Provider;
  public readonly gpuPools: readonly GpuPoolDescriptor[];
  public readonly snapshotStore: SnapshotStoreOutputs;
  public readonly identityDependencies: readonly pulumi.Resource[];
  /** The KMS key that encrypts Kubernetes secrets and the snapshot store. */
  public readonly kmsKeyArn: pulumi.Output<string>;
  public readonly nodeGroups: readonly aws.eks.NodeGroup[];
  /** Karpenter, when a pool's capacity is provisioned by it. */
  public readonly karpenter?: Karpenter;
  /** Cluster-admin access entries: one per principal of `cluster.admins` and the principal running pulumi. */
  public readonly adminAccessEntries: pulumi.Output<aws.eks.AccessEntry[]>;

  constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    const { config } = args;
    const { cluster } = config;
    const { addonPins, region, store, publicCidrs, privateSources, network } = eksRequirements(config);
    super("llm-platform:index:EksCluster", name, {}, opts);
    const tags = args.tags ?? { "llm-platform.io/environment": config.environment.name, "managed-by": "pulumi" };
    const childOpts = { parent: this };

    const key = new aws.kms.Key(
      `${name}-kms`,
      { description: `llm-platform ${cluster.name}: Kubernetes secrets and model snapshots`, enableKeyRotation: true, deletionWindowInDays: 30, tags },
      childOpts,
    );
    new aws.kms.Alias(`${name}-kms`, { name: `alias/${cluster.name}`, targetKeyId: key.keyId }, childOpts);
    this.kmsKeyArn = key.arn;

    const subnets: AwsSubnets = network.create ? createVpc(name, network, cluster.name, tags, this) : existingSubnets(network);
    const control = new eks.Cluster(
      `${name}-eks`,
      {
        name: cluster.name,
        version: cluster.kubernetesVersion,
        vpcId: subnets.vpcId,
        privateSubnetIds: subnets.privateSubnetIds,
        ...(subnets.publicSubnetIds.length > 0 ? { publicSubnetIds: subnets.publicSubnetIds } : {}),
        authenticationMode: eks.AuthenticationMode.Api,
        encryptionConfigKeyArn: key.arn,
        endpointPrivateAccess: true,
        endpointPublicAccess: publicCidrs.length > 0,
        ...(publicCidrs.length > 0 ? { publicAccessCidrs: [...publicCidrs] } : {}),
        enabledClusterLogTypes: [...cluster.logTypes],
        skipDefaultNodeGroup: true,
        nodeAssociatePublicIpAddress: false,
        createOidcProvider: false,
        deletionProtection: cluster.deletionProtection,
        // The VPC CNI enforces NetworkPolicies (the models namespace's) only with its policy agent on.
        vpcCniOptions: { addonVersion: addonPins["vpc-cni"].version, enableNetworkPolicy: true },
        kubeProxyAddonOptions: { version: addonPins["kube-proxy"].version },
        // Off here: pulumi-eks would create the CoreDNS add-on inside this component, whose outputs
        // (which the node groups need) resolve only once the add-on is ACTIVE, which needs nodes.
        // It is installed below, after the system node group (pulumi-eks issue #1819).
        corednsAddonOptions: { enabled: false },
        tags,
      },
      // Its control plane would give the creator an access entry of its own; this program makes them all.
      { parent: this, transforms: [withoutCreatorAdminBootstrap] },
    );
    this.clusterName = control.eksCluster.apply((c) => c.name);
    const clusterSecurityGroupId = control.eksCluster.apply((c) => c.vpcConfig.clusterSecurityGroupId);

    const podIdentityAgent = new aws.eks.Addon(
      `${name}-pod-identity-agent`,
      {
        clusterName: this.clusterName,
        addonName: "eks-pod-identity-agent",
        addonVersion: addonPins["eks-pod-identity-agent"].version,
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
        tags,
      },
      childOpts,
    );

    const nodeRole = new aws.iam.Role(`${name}-nodes`, { assumeRolePolicy: JSON.stringify(ec2TrustPolicy()), description: `llm-platform ${cluster.name} nodes`, tags }, childOpts);
    const attachments = nodeManagedPolicyArns(region).map(
      (policyArn) => new aws.iam.RolePolicyAttachment(`${name}-nodes-${policyArn.split("/").pop()}`, { role: nodeRole.name, policyArn }, childOpts),
    );

    const nodeGroup = (groupName: string, spec: NodeGroupSpec, template: LaunchTemplateSpec<pulumi.Input<string>>, subnetIds: pulumi.Input<string>[]) => {
      const launchTemplate = new aws.ec2.LaunchTemplate(
        `${name}-${groupName}`,
        {
          ...template,
          updateDefaultVersion: true,
          tagSpecifications: [
            { resourceType: "instance", tags: { ...tags, Name: `${cluster.name}-${groupName}` } },
            { resourceType: "volume", tags: { ...tags, Name: `${cluster.name}-${groupName}` } },
          ],
          tags,
        },
        childOpts,
      );
      return new aws.eks.NodeGroup(
        `${name}-${groupName}`,
        {
          clusterName: this.clusterName,
          nodeGroupName: `${cluster.name}-${groupName}`,
          nodeRoleArn: nodeRole.arn,
          subnetIds,
          version: cluster.kubernetesVersion,
          ...spec,
          launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
          updateConfig: { maxUnavailable: 1 },
          tags,
        },
        // No node autoscaler is installed, so the desired count stays under this program's control.
        { parent: this, dependsOn: attachments },
      );
    };

    const system = nodeGroup("system", systemNodeGroupSpec(cluster.systemNodes), systemLaunchTemplateSpec(), subnets.privateSubnetIds);
    // EKS installs a self-managed CoreDNS with the cluster; the managed add-on takes it over
    // (OVERWRITE) once there are nodes for its pods, so its create waiter can see it ACTIVE.
    const coredns = new aws.eks.Addon(
      `${name}-coredns`,
      {
        clusterName: this.clusterName,
        addonName: "coredns",
        addonVersion: addonPins.coredns.version,
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
        tags,
      },
      { parent: this, dependsOn: [system] },
    );
    const apiIngress = apiIngressRules(privateSources).map(
      ({ key, ...rule }) =>
        new aws.vpc.SecurityGroupIngressRule(`${name}-api-${key}`, { securityGroupId: clusterSecurityGroupId, ipProtocol: "tcp", fromPort: 443, toPort: 443, ...rule, tags }, childOpts),
    );
    const admins = this.adminAccess(name, cluster.admins, region, tags);
    this.adminAccessEntries = admins.entries;
    const managedPools = config.gpuPools.filter((pool) => pool.capacity.provisioner !== "karpenter");
    const karpenterPools = config.gpuPools.filter((pool) => pool.capacity.provisioner === "karpenter");
    const gpuGroups = managedPools.map((pool) => this.gpuNodeGroup(name, pool, subnets, clusterSecurityGroupId, tags, nodeGroup));
    this.nodeGroups = [system, ...gpuGroups];

    const snapshots = createS3SnapshotStore(
      `${name}-store`,
      {
        bucket: store.bucket,
        region,
        kmsKeyArn: key.arn,
        clusterName: this.clusterName,
        namespace: config.modelsNamespace,
        readers: cacheReaders(config.models),
        tags,
        dependsOn: [podIdentityAgent],
      },
      this,
    );
    this.snapshotStore = { provider: "s3", bucket: snapshots.bucketName, readerIdentities: snapshots.readerRoleArns, seederIdentity: snapshots.seederRoleArn };
    this.identityDependencies = snapshots.associations;

    this.kubeconfig = pulumi.secret(control.kubeconfigJson);
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig, enableServerSideApply: true },
      // Charts wait for their pods, so nothing in the cluster starts before nodes can run it.
      // The ingress rules open the private endpoint to the machine running pulumi, and the admin
      // entries (the deployer's among them) let it in.
      { parent: this, dependsOn: admins.grants.apply((grants) => [system, coredns, podIdentityAgent, ...apiIngress, ...grants]) },
    );
    if (karpenterPools.length > 0) {
      this.karpenter = new Karpenter(
        `${name}-karpenter`,
        {
          clusterName: this.clusterName,
          region,
          pools: karpenterPools.map((pool) => {
            const { efaSecurityGroupIds, placementGroupName } = this.efaResources(name, pool, subnets, clusterSecurityGroupId, tags);
            // Subnets the program creates have no ID until deploy: those are selected by their Name tag.
            const subnetTerms =
              network.create && pool.subnetIds === undefined
                ? (pool.zones ?? network.subnets.map((s) => s.zone)).map((zone) => ({ tags: { Name: privateSubnetName(cluster.name, zone) } }))
                : this.poolSubnets(pool, subnets).map((id) => ({ id }));
            return { pool, network: { subnetTerms, securityGroupIds: efaSecurityGroupIds ?? [clusterSecurityGroupId], placementGroupName } };
          }),
          provider: this.provider,
          replicas: config.environment.tier === "prod" ? 2 : 1,
          tags,
          dependsOn: [podIdentityAgent],
        },
        { parent: this },
      );
    }
    this.gpuPools = config.gpuPools.map(describePool);
    this.registerOutputs({ clusterName: this.clusterName, gpuPools: this.gpuPools, snapshotStore: this.snapshotStore, kmsKeyArn: this.kmsKeyArn });
  }

  /**
   * An access entry with the cluster-admin policy for each principal of `cluster.admins` and for
   * the principal running pulumi (the issuer of its session). The configured admins' entries are
   * registered at once; the deployer's own only when no configured admin names it, which only the
   * session lookup tells, so that one is registered when the lookup answers (in previews too).
   * Names come from the principal, so a change of deployer leaves every other entry alone.
   */
  private adminAccess(
    name: string,
    admins: readonly string[],
    region: string,
    tags: Record<string, string>,
  ): { entries: pulumi.Output<aws.eks.AccessEntry[]>; grants: pulumi.Output<pulumi.Resource[]> } {
    const grant = ({ key, principalArn, formerKeys }: AdminEntry) => {
      // deleteBeforeReplace: a new ARN spelling of the same principal replaces the entry, and EKS
      // refuses a second entry for a principal (409) while the old one exists.
      const opts = { parent: this, aliases: formerKeys.map((former) => ({ name: `${name}-${former}` })), deleteBeforeReplace: true };
      const entry = new aws.eks.AccessEntry(`${name}-${key}`, { clusterName: this.clusterName, principalArn, type: "STANDARD", tags }, opts);
      const association = new aws.eks.AccessPolicyAssociation(
        `${name}-${key}`,
        { clusterName: this.clusterName, principalArn: entry.principalArn, policyArn: clusterAdminAccessPolicyArn(region), accessScope: { type: "cluster" } },
        opts,
      );
      return { entry, association };
    };
    const configured = configuredAdminEntries(admins).map(grant);
    const caller = aws.getCallerIdentityOutput({}, { parent: this });
    const deployer = aws.iam.getSessionContextOutput({ arn: caller.arn }, { parent: this }).issuerArn;
    const all = deployer.apply((arn) => [...configured, ...deployerEntry(admins, arn).map(grant)]);
    return {
      entries: all.apply((grants) => grants.map((g) => g.entry)),
      grants: all.apply((grants) => grants.flatMap((g): pulumi.Resource[] => [g.entry, g.association])),
    };
  }

  private gpuNodeGroup(
    name: string,
    pool: ResolvedPool,
    subnets: AwsSubnets,
    clusterSecurityGroupId: pulumi.Output<string>,
    tags: Record<string, string>,
    nodeGroup: (groupName: string, spec: NodeGroupSpec, template: LaunchTemplateSpec<pulumi.Input<string>>, subnetIds: pulumi.Input<string>[]) => aws.eks.NodeGroup,
  ): aws.eks.NodeGroup {
    const groupName = `gpu-${pool.name}`;
    const { efaSecurityGroupIds, placementGroupName } = this.efaResources(name, pool, subnets, clusterSecurityGroupId, tags);
    const template = gpuLaunchTemplateSpec<pulumi.Input<string>>(pool, { efaSecurityGroupIds, placementGroupName });
    return nodeGroup(groupName, gpuNodeGroupSpec(pool), template, this.poolSubnets(pool, subnets));
  }

  /** The EFA security group and cluster placement group of a pool that asks for EFA (node groups and Karpenter alike). */
  private efaResources(
    name: string,
    pool: ResolvedPool,
    subnets: AwsSubnets,
    clusterSecurityGroupId: pulumi.Output<string>,
    tags: Record<string, string>,
  ): { efaSecurityGroupIds?: pulumi.Input<string>[]; placementGroupName?: pulumi.Input<string> } {
    const groupName = `gpu-${pool.name}`;
    let efaSecurityGroupIds: pulumi.Input<string>[] | undefined;
    let placementGroupName: pulumi.Input<string> | undefined;
    if (pool.efa) {
      // EFA traffic must be allowed to and from the group itself; interfaces given in a launch
      // template replace the cluster security group, so it is listed again.
      const efa = new aws.ec2.SecurityGroup(
        `${name}-${groupName}-efa`,
        {
          vpcId: subnets.vpcId,
          description: `EFA traffic between ${pool.name} nodes`,
          ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }],
          egress: [
            { protocol: "-1", fromPort: 0, toPort: 0, self: true },
            { protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] },
          ],
          tags,
        },
        { parent: this },
      );
      efaSecurityGroupIds = [clusterSecurityGroupId, efa.id];
    }
    if (pool.efa && pool.multiNode) {
      placementGroupName = new aws.ec2.PlacementGroup(`${name}-${groupName}`, { strategy: "cluster", tags }, { parent: this }).name;
    }
    return { efaSecurityGroupIds, placementGroupName };
  }

  private poolSubnets(pool: ResolvedPool, subnets: AwsSubnets): pulumi.Input<string>[] {
    if (pool.subnetIds !== undefined) {
      return [...pool.subnetIds];
    }
    if (pool.zones !== undefined) {
      return pool.zones.flatMap((zone) => {
        const id = subnets.privateSubnetByZone.get(zone);
        return id === undefined ? [] : [id];
      });
    }
    return subnets.privateSubnetIds;
  }
}

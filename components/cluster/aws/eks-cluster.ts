import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig, ResolvedPool } from "../../config";
import { ClusterOutputs, SnapshotStoreOutputs } from "../outputs";
import { describePool, GpuPoolDescriptor } from "../pool-descriptor";
import { clusterAdminAccessPolicyArn, ec2TrustPolicy, nodeManagedPolicyArns } from "./iam-documents";
import { adminsToGrant, apiIngressRules } from "./api-access";
import { gpuLaunchTemplateSpec, gpuNodeGroupSpec, LaunchTemplateSpec, NodeGroupSpec, systemLaunchTemplateSpec, systemNodeGroupSpec } from "./node-group";
import { eksRequirements } from "./requirements";
import { createS3SnapshotStore } from "./snapshot-store";
import { AwsSubnets, createVpc, existingSubnets } from "./vpc";

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
 * GPU pool with its own launch template, and the snapshot store with its Pod Identity roles.
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
  /** The admins' access entries, once the deploying identity is known (it has its own already). */
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
        vpcCniOptions: { addonVersion: addonPins["vpc-cni"].version },
        kubeProxyAddonOptions: { version: addonPins["kube-proxy"].version },
        // Off here: pulumi-eks would create the CoreDNS add-on inside this component, whose outputs
        // (which the node groups need) resolve only once the add-on is ACTIVE, which needs nodes.
        // It is installed below, after the system node group (pulumi-eks issue #1819).
        corednsAddonOptions: { enabled: false },
        tags,
      },
      childOpts,
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
    this.adminAccessEntries = this.adminAccess(name, cluster.admins, region, tags);
    const gpuGroups = config.gpuPools.map((pool) => this.gpuNodeGroup(name, pool, subnets, clusterSecurityGroupId, tags, nodeGroup));
    this.nodeGroups = [system, ...gpuGroups];

    const snapshots = createS3SnapshotStore(
      `${name}-store`,
      { bucket: store.bucket, kmsKeyArn: key.arn, clusterName: this.clusterName, namespace: config.modelsNamespace, tags, dependsOn: [podIdentityAgent] },
      this,
    );
    this.snapshotStore = { provider: "s3", bucket: snapshots.bucketName, readerIdentity: snapshots.readerRoleArn, seederIdentity: snapshots.seederRoleArn };
    this.identityDependencies = snapshots.associations;

    this.kubeconfig = pulumi.secret(control.kubeconfigJson);
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig, enableServerSideApply: true },
      // Charts wait for their pods, so nothing in the cluster starts before nodes can run it.
      // The ingress rules open the private endpoint to the machine running pulumi.
      { parent: this, dependsOn: [system, coredns, podIdentityAgent, ...apiIngress] },
    );
    this.gpuPools = config.gpuPools.map(describePool);
    this.registerOutputs({ clusterName: this.clusterName, gpuPools: this.gpuPools, snapshotStore: this.snapshotStore, kmsKeyArn: this.kmsKeyArn });
  }

  /**
   * One access entry with the cluster-admin policy per `cluster.admins` ARN, except the deploying
   * principal's: pulumi-eks bootstraps the creator's entry, and a second one is refused (409).
   * Registered once the caller is known; invokes resolve in previews too, so they show there.
   */
  private adminAccess(name: string, admins: readonly string[], region: string, tags: Record<string, string>): pulumi.Output<aws.eks.AccessEntry[]> {
    if (admins.length === 0) {
      return pulumi.output([]);
    }
    const caller = aws.getCallerIdentityOutput({}, { parent: this });
    const deployer = aws.iam.getSessionContextOutput({ arn: caller.arn }, { parent: this }).issuerArn;
    return deployer.apply((arn) =>
      adminsToGrant(admins, arn).map(({ index, arn: principalArn }) => {
        const entry = new aws.eks.AccessEntry(`${name}-admin-${index}`, { clusterName: this.clusterName, principalArn, type: "STANDARD", tags }, { parent: this });
        new aws.eks.AccessPolicyAssociation(
          `${name}-admin-${index}`,
          { clusterName: this.clusterName, principalArn: entry.principalArn, policyArn: clusterAdminAccessPolicyArn(region), accessScope: { type: "cluster" } },
          { parent: this },
        );
        return entry;
      }),
    );
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
    const template = gpuLaunchTemplateSpec<pulumi.Input<string>>(pool, { efaSecurityGroupIds, placementGroupName });
    return nodeGroup(groupName, gpuNodeGroupSpec(pool), template, this.poolSubnets(pool, subnets));
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

import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedPool } from "../../config";
import { charts } from "../../versions";
import { awsPartition, ec2TrustPolicy, nodeManagedPolicyArns, podIdentityTrustPolicy } from "./iam-documents";
import {
  INTERRUPTION_QUEUE_RETENTION_SECONDS,
  INTERRUPTION_RULES,
  interruptionEventPattern,
  interruptionQueuePolicy,
  karpenterDiscoveryPolicy,
  karpenterIamIntegrationPolicy,
  karpenterNodeLifecyclePolicy,
  KarpenterScope,
} from "./karpenter-iam";
import { KARPENTER_NAMESPACE, KARPENTER_SERVICE_ACCOUNT, karpenterNodeClasses, karpenterNodePool, karpenterValues, SubnetTerm } from "./karpenter-objects";

/** What a Karpenter pool's EC2NodeClasses need from the cluster. */
export interface KarpenterPoolNetwork {
  readonly subnetTerms: SubnetTerm<pulumi.Input<string>>[];
  readonly securityGroupIds: pulumi.Input<string>[];
  readonly placementGroupName?: pulumi.Input<string>;
}

export interface KarpenterArgs {
  readonly clusterName: pulumi.Output<string>;
  readonly region: string;
  /** Pools with `capacity.provisioner: karpenter`, and their network. */
  readonly pools: readonly { readonly pool: ResolvedPool; readonly network: KarpenterPoolNetwork }[];
  readonly provider: k8s.Provider;
  readonly replicas: number;
  readonly tags: Record<string, string>;
  /** The Pod Identity agent: the controller's credentials come through it. */
  readonly dependsOn: pulumi.Resource[];
}

/**
 * Karpenter on an EKS cluster: the controller's IAM role (EKS Pod Identity) with upstream's policies,
 * the nodes' own role with an EC2_LINUX access entry (managed node groups get theirs from EKS; this
 * role is kept apart so the two never claim one entry), the interruption queue and the EventBridge
 * rules feeding it, the CRD and controller releases, and per pool its EC2NodeClasses and NodePools.
 */
export class Karpenter extends pulumi.ComponentResource {
  public readonly queueName: pulumi.Output<string>;
  public readonly nodeRoleName: pulumi.Output<string>;
  public readonly release: k8s.helm.v3.Release;
  public readonly nodePools: readonly k8s.apiextensions.CustomResource[];

  constructor(name: string, args: KarpenterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:index:Karpenter", name, {}, opts);
    const { tags } = args;
    const parent = { parent: this };

    const nodeRole = new aws.iam.Role(`${name}-nodes`, { assumeRolePolicy: JSON.stringify(ec2TrustPolicy()), description: "llm-platform Karpenter GPU nodes", tags }, parent);
    nodeManagedPolicyArns(args.region).forEach(
      (policyArn) => new aws.iam.RolePolicyAttachment(`${name}-nodes-${policyArn.split("/").pop()}`, { role: nodeRole.name, policyArn }, parent),
    );
    // Nodes join the cluster through the access entry of their role (EKS API authentication mode).
    const nodeAccess = new aws.eks.AccessEntry(`${name}-nodes`, { clusterName: args.clusterName, principalArn: nodeRole.arn, type: "EC2_LINUX", tags }, parent);
    this.nodeRoleName = nodeRole.name;

    const queue = new aws.sqs.Queue(
      `${name}-interruption`,
      { name: args.clusterName.apply((c) => `${c}-karpenter`), messageRetentionSeconds: INTERRUPTION_QUEUE_RETENTION_SECONDS, sqsManagedSseEnabled: true, tags },
      parent,
    );
    new aws.sqs.QueuePolicy(`${name}-interruption`, { queueUrl: queue.url, policy: queue.arn.apply((arn) => JSON.stringify(interruptionQueuePolicy(arn))) }, parent);
    for (const [key, rule] of Object.entries(INTERRUPTION_RULES)) {
      const eventRule = new aws.cloudwatch.EventRule(`${name}-${key}`, { description: `Karpenter: ${rule.detailType}`, eventPattern: interruptionEventPattern(rule), tags }, parent);
      new aws.cloudwatch.EventTarget(`${name}-${key}`, { rule: eventRule.name, targetId: "KarpenterInterruptionQueueTarget", arn: queue.arn }, parent);
    }
    this.queueName = queue.name;

    const controllerRole = new aws.iam.Role(
      `${name}-controller`,
      { assumeRolePolicy: JSON.stringify(podIdentityTrustPolicy()), description: "llm-platform Karpenter controller (Pod Identity)", tags },
      parent,
    );
    const identity = aws.getCallerIdentityOutput({}, parent);
    const partition = awsPartition(args.region);
    const scope: pulumi.Output<KarpenterScope> = pulumi
      .all([identity.accountId, args.clusterName, nodeRole.arn, queue.arn])
      .apply(([accountId, clusterName, nodeRoleArn, queueArn]) => ({ partition, region: args.region, accountId, clusterName, nodeRoleArn, queueArn }));
    const documents = { lifecycle: karpenterNodeLifecyclePolicy, "iam-integration": karpenterIamIntegrationPolicy, discovery: karpenterDiscoveryPolicy };
    const attachments = Object.entries(documents).map(([key, document]) => {
      const policy = new aws.iam.Policy(`${name}-${key}`, { description: `llm-platform Karpenter controller: ${key}`, policy: scope.apply((s) => JSON.stringify(document(s))), tags }, parent);
      return new aws.iam.RolePolicyAttachment(`${name}-${key}`, { role: controllerRole.name, policyArn: policy.arn }, parent);
    });
    const association = new aws.eks.PodIdentityAssociation(
      `${name}-controller`,
      { clusterName: args.clusterName, namespace: KARPENTER_NAMESPACE, serviceAccount: KARPENTER_SERVICE_ACCOUNT, roleArn: controllerRole.arn, tags },
      { parent: this, dependsOn: args.dependsOn },
    );

    const k8sOpts = (dependsOn: pulumi.Resource[]) => ({ parent: this, provider: args.provider, dependsOn });
    const release = (key: "karpenterCrd" | "karpenter", values: pulumi.Inputs, dependsOn: pulumi.Resource[], extra: Partial<k8s.helm.v3.ReleaseArgs> = {}) => {
      const pin = charts[key];
      return new k8s.helm.v3.Release(
        `${name}-${pin.chart}`,
        { name: pin.chart, chart: `${pin.repository}/${pin.chart}`, version: pin.version, namespace: pin.namespace, values, timeout: 600, atomic: true, ...extra },
        k8sOpts(dependsOn),
      );
    };
    const crds = release("karpenterCrd", {}, []);
    this.release = release(
      "karpenter",
      pulumi.all([args.clusterName, queue.name]).apply(([clusterName, queueName]) => ({ ...karpenterValues(clusterName, queueName, args.replicas) })),
      [crds, association, ...attachments],
      // The CRDs come from the karpenter-crd release, which upgrades them; Helm never upgrades crds/.
      { skipCrds: true },
    );

    const nodePools: k8s.apiextensions.CustomResource[] = [];
    for (const { pool, network } of args.pools) {
      const classes = karpenterNodeClasses<pulumi.Input<string>>(pool, { role: nodeRole.name, ...network, tags });
      const registered = classes.map(
        (nodeClass) => new k8s.apiextensions.CustomResource(`${name}-class-${nodeClass.metadata.name}`, { ...nodeClass }, k8sOpts([crds, nodeAccess])),
      );
      pool.capacity.steps.forEach((step, i) => {
        const nodePool = karpenterNodePool(pool, step, i);
        nodePools.push(new k8s.apiextensions.CustomResource(`${name}-pool-${nodePool.metadata.name}`, { ...nodePool }, k8sOpts([crds, this.release, ...registered])));
      });
    }
    this.nodePools = nodePools;
    this.registerOutputs({ queueName: this.queueName, nodeRoleName: this.nodeRoleName });
  }
}

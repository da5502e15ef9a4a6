import type { PolicyDocument, PolicyStatement } from "./iam-documents";

// The Karpenter controller's IAM policies, its interruption queue's policy and the EventBridge
// rules that feed the queue, as aws/karpenter-provider-aws v1.14.1 gives them in
// website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml
// (NodeLifecyclePolicy, IAMIntegrationPolicy, EKSIntegrationPolicy, InterruptionPolicy,
// ResourceDiscoveryPolicy; the queue, its policy and the five rules). The zonal-shift policy is
// left out: the platform leaves Karpenter's enableZonalShift at its default, off. Pure: tests read
// the documents.

export interface KarpenterScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly clusterName: string;
  readonly nodeRoleArn: string;
  readonly queueArn: string;
}

const statement = (s: PolicyStatement): PolicyStatement => s;

/** Tags Karpenter puts on what it creates, which its rights are scoped to. */
function ownedTags(clusterName: string, prefix: "aws:RequestTag" | "aws:ResourceTag") {
  return { [`${prefix}/kubernetes.io/cluster/${clusterName}`]: "owned" };
}

/** NodeLifecyclePolicy: launch, tag and terminate only what carries the cluster's and a NodePool's tags. */
export function karpenterNodeLifecyclePolicy(s: KarpenterScope): PolicyDocument {
  const ec2 = (what: string) => `arn:${s.partition}:ec2:${s.region}:*:${what}`;
  const created = ["fleet/*", "instance/*", "volume/*", "network-interface/*", "launch-template/*", "spot-instances-request/*"].map(ec2);
  return {
    Version: "2012-10-17",
    Statement: [
      statement({
        Sid: "AllowScopedEC2InstanceAccessActions",
        Effect: "Allow",
        Resource: [
          `arn:${s.partition}:ec2:${s.region}::image/*`,
          `arn:${s.partition}:ec2:${s.region}::snapshot/*`,
          ec2("security-group/*"),
          ec2("subnet/*"),
          ec2("capacity-reservation/*"),
          ec2("placement-group/*"),
        ],
        Action: ["ec2:RunInstances", "ec2:CreateFleet"],
      }),
      statement({
        Sid: "AllowScopedEC2LaunchTemplateAccessActions",
        Effect: "Allow",
        Resource: [ec2("launch-template/*")],
        Action: ["ec2:RunInstances", "ec2:CreateFleet"],
        Condition: { StringEquals: ownedTags(s.clusterName, "aws:ResourceTag"), StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
      }),
      statement({
        Sid: "AllowScopedEC2InstanceActionsWithTags",
        Effect: "Allow",
        Resource: created,
        Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
        Condition: {
          StringEquals: { ...ownedTags(s.clusterName, "aws:RequestTag"), "aws:RequestTag/eks:eks-cluster-name": s.clusterName },
          StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
        },
      }),
      statement({
        Sid: "AllowScopedResourceCreationTagging",
        Effect: "Allow",
        Resource: created,
        Action: ["ec2:CreateTags"],
        Condition: {
          StringEquals: {
            ...ownedTags(s.clusterName, "aws:RequestTag"),
            "aws:RequestTag/eks:eks-cluster-name": s.clusterName,
            "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
          },
          StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
        },
      }),
      statement({
        Sid: "AllowScopedResourceTagging",
        Effect: "Allow",
        Resource: [ec2("instance/*")],
        Action: ["ec2:CreateTags"],
        Condition: {
          StringEquals: ownedTags(s.clusterName, "aws:ResourceTag"),
          StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
          StringEqualsIfExists: { "aws:RequestTag/eks:eks-cluster-name": s.clusterName },
          "ForAllValues:StringEquals": { "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"] },
        },
      }),
      statement({
        Sid: "AllowScopedDeletion",
        Effect: "Allow",
        Resource: [ec2("instance/*"), ec2("launch-template/*")],
        Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
        Condition: { StringEquals: ownedTags(s.clusterName, "aws:ResourceTag"), StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
      }),
    ],
  };
}

/** IAMIntegrationPolicy: pass only the node role, and manage only the instance profiles it tags for this cluster. */
export function karpenterIamIntegrationPolicy(s: KarpenterScope): PolicyDocument {
  const profiles = [`arn:${s.partition}:iam::${s.accountId}:instance-profile/*`];
  const region = { "aws:ResourceTag/topology.kubernetes.io/region": s.region };
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AllowPassingInstanceRole",
        Effect: "Allow",
        Resource: [s.nodeRoleArn],
        Action: ["iam:PassRole"],
        Condition: { StringEquals: { "iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] } },
      },
      {
        Sid: "AllowScopedInstanceProfileCreationActions",
        Effect: "Allow",
        Resource: profiles,
        Action: ["iam:CreateInstanceProfile"],
        Condition: {
          StringEquals: { ...ownedTags(s.clusterName, "aws:RequestTag"), "aws:RequestTag/eks:eks-cluster-name": s.clusterName, "aws:RequestTag/topology.kubernetes.io/region": s.region },
          StringLike: { "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
        },
      },
      {
        Sid: "AllowScopedInstanceProfileTagActions",
        Effect: "Allow",
        Resource: profiles,
        Action: ["iam:TagInstanceProfile"],
        Condition: {
          StringEquals: {
            ...ownedTags(s.clusterName, "aws:ResourceTag"),
            ...region,
            ...ownedTags(s.clusterName, "aws:RequestTag"),
            "aws:RequestTag/eks:eks-cluster-name": s.clusterName,
            "aws:RequestTag/topology.kubernetes.io/region": s.region,
          },
          StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*", "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
        },
      },
      {
        Sid: "AllowScopedInstanceProfileActions",
        Effect: "Allow",
        Resource: profiles,
        Action: ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
        Condition: { StringEquals: { ...ownedTags(s.clusterName, "aws:ResourceTag"), ...region }, StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*" } },
      },
    ],
  };
}

/** EKSIntegrationPolicy, InterruptionPolicy and ResourceDiscoveryPolicy in one document: each is a few lines. */
export function karpenterDiscoveryPolicy(s: KarpenterScope): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "AllowAPIServerEndpointDiscovery", Effect: "Allow", Resource: [`arn:${s.partition}:eks:${s.region}:${s.accountId}:cluster/${s.clusterName}`], Action: ["eks:DescribeCluster"] },
      { Sid: "AllowInterruptionQueueActions", Effect: "Allow", Resource: [s.queueArn], Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"] },
      {
        Sid: "AllowRegionalReadActions",
        Effect: "Allow",
        Resource: ["*"],
        Action: [
          "ec2:DescribeCapacityReservations",
          "ec2:DescribeImages",
          "ec2:DescribeInstances",
          "ec2:DescribeInstanceStatus",
          "ec2:DescribeInstanceTypeOfferings",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplates",
          "ec2:DescribePlacementGroups",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeSpotPriceHistory",
          "ec2:DescribeSubnets",
        ],
        Condition: { StringEquals: { "aws:RequestedRegion": s.region } },
      },
      { Sid: "AllowSSMReadActions", Effect: "Allow", Resource: [`arn:${s.partition}:ssm:${s.region}::parameter/aws/service/*`], Action: ["ssm:GetParameter"] },
      { Sid: "AllowPricingReadActions", Effect: "Allow", Resource: ["*"], Action: ["pricing:GetProducts"] },
      { Sid: "AllowUnscopedInstanceProfileListAction", Effect: "Allow", Resource: ["*"], Action: ["iam:ListInstanceProfiles"] },
      { Sid: "AllowInstanceProfileReadActions", Effect: "Allow", Resource: [`arn:${s.partition}:iam::${s.accountId}:instance-profile/*`], Action: ["iam:GetInstanceProfile"] },
    ],
  };
}

/** The queue's policy: EventBridge (and SQS) may send, nothing may use it without TLS. */
export function interruptionQueuePolicy(queueArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "AllowEventDelivery", Effect: "Allow", Principal: { Service: ["events.amazonaws.com", "sqs.amazonaws.com"] }, Action: ["sqs:SendMessage"], Resource: [queueArn] },
      { Sid: "DenyHTTP", Effect: "Deny", Principal: "*", Action: ["sqs:*"], Resource: [queueArn], Condition: { Bool: { "aws:SecureTransport": "false" } } },
    ],
  };
}

/** Messages older than this are useless to Karpenter: a spot notice gives two minutes. */
export const INTERRUPTION_QUEUE_RETENTION_SECONDS = 300;

/** The EventBridge rules that feed the queue, by key: what each event pattern matches. */
export const INTERRUPTION_RULES: Readonly<Record<string, { readonly source: string; readonly detailType: string }>> = {
  "scheduled-change": { source: "aws.health", detailType: "AWS Health Event" },
  "spot-interruption": { source: "aws.ec2", detailType: "EC2 Spot Instance Interruption Warning" },
  rebalance: { source: "aws.ec2", detailType: "EC2 Instance Rebalance Recommendation" },
  "instance-state-change": { source: "aws.ec2", detailType: "EC2 Instance State-change Notification" },
  "capacity-reservation-interruption": { source: "aws.ec2", detailType: "EC2 Capacity Reservation Instance Interruption Warning" },
};

/** The EventBridge event pattern of a rule, as JSON. */
export function interruptionEventPattern(rule: { readonly source: string; readonly detailType: string }): string {
  return JSON.stringify({ source: [rule.source], "detail-type": [rule.detailType] });
}

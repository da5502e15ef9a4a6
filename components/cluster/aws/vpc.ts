import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedNetwork } from "../../config";

/** The subnets a cluster uses, by role. */
export interface AwsSubnets {
  readonly vpcId: pulumi.Input<string>;
  /** Private subnets in config order of their zones. */
  readonly privateSubnetIds: pulumi.Input<string>[];
  readonly publicSubnetIds: pulumi.Input<string>[];
  /** Private subnet per zone, when the platform created the VPC. */
  readonly privateSubnetByZone: ReadonlyMap<string, pulumi.Input<string>>;
}

/** The Name tag of a created private subnet; Karpenter's EC2NodeClasses select subnets by it. */
export function privateSubnetName(clusterName: string, zone: string): string {
  return `${clusterName}-private-${zone}`;
}

type CreatedNetwork = Extract<ResolvedNetwork, { cloud: "aws"; create: true }>;

/**
 * A VPC with a public and a private subnet per zone, an internet gateway, and NAT (one gateway, or
 * one per zone) for the private subnets where nodes live. Subnets carry the tags load balancer
 * controllers use to place internal and internet-facing load balancers.
 */
export function createVpc(name: string, network: CreatedNetwork, clusterName: string, tags: Record<string, string>, parent: pulumi.Resource): AwsSubnets {
  const opts = { parent };
  const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: network.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: clusterName } }, opts);
  const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { ...tags, Name: clusterName } }, opts);
  const publicRoutes = new aws.ec2.RouteTable(
    `${name}-public`,
    { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: { ...tags, Name: `${clusterName}-public` } },
    opts,
  );
  const clusterTag = { [`kubernetes.io/cluster/${clusterName}`]: "shared" };
  const publics = network.subnets.map((plan) => {
    const subnet = new aws.ec2.Subnet(
      `${name}-public-${plan.zone}`,
      {
        vpcId: vpc.id,
        cidrBlock: plan.publicCidr,
        availabilityZone: plan.zone,
        mapPublicIpOnLaunch: false,
        tags: { ...tags, ...clusterTag, Name: `${clusterName}-public-${plan.zone}`, "kubernetes.io/role/elb": "1" },
      },
      opts,
    );
    new aws.ec2.RouteTableAssociation(`${name}-public-${plan.zone}`, { subnetId: subnet.id, routeTableId: publicRoutes.id }, opts);
    return subnet;
  });
  const natCount = network.natGateways === "per-zone" ? publics.length : 1;
  const nats = publics.slice(0, natCount).map((subnet, i) => {
    const zone = network.subnets[i].zone;
    const eip = new aws.ec2.Eip(`${name}-nat-${zone}`, { domain: "vpc", tags: { ...tags, Name: `${clusterName}-nat-${zone}` } }, opts);
    return new aws.ec2.NatGateway(
      `${name}-nat-${zone}`,
      { allocationId: eip.id, subnetId: subnet.id, tags: { ...tags, Name: `${clusterName}-nat-${zone}` } },
      { parent, dependsOn: [igw] },
    );
  });
  const privateByZone = new Map<string, pulumi.Input<string>>();
  const privates = network.subnets.map((plan, i) => {
    const subnet = new aws.ec2.Subnet(
      `${name}-private-${plan.zone}`,
      {
        vpcId: vpc.id,
        cidrBlock: plan.privateCidr,
        availabilityZone: plan.zone,
        tags: { ...tags, ...clusterTag, Name: privateSubnetName(clusterName, plan.zone), "kubernetes.io/role/internal-elb": "1" },
      },
      opts,
    );
    const routes = new aws.ec2.RouteTable(
      `${name}-private-${plan.zone}`,
      { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nats[Math.min(i, nats.length - 1)].id }], tags: { ...tags, Name: `${clusterName}-private-${plan.zone}` } },
      opts,
    );
    new aws.ec2.RouteTableAssociation(`${name}-private-${plan.zone}`, { subnetId: subnet.id, routeTableId: routes.id }, opts);
    privateByZone.set(plan.zone, subnet.id);
    return subnet.id;
  });
  return { vpcId: vpc.id, privateSubnetIds: privates, publicSubnetIds: publics.map((s) => s.id), privateSubnetByZone: privateByZone };
}

export function existingSubnets(network: Extract<ResolvedNetwork, { cloud: "aws"; create: false }>): AwsSubnets {
  return {
    vpcId: network.vpcId,
    privateSubnetIds: [...network.privateSubnetIds],
    publicSubnetIds: [...network.publicSubnetIds],
    privateSubnetByZone: new Map(),
  };
}

// Who reaches an EKS cluster's API, as plain data: the 443 ingress rules a private endpoint needs
// and the access entries the admins get. EksCluster turns these into resources.

/** The private endpoint's sources as the config lists them (`cluster.apiAccess.privateSources`). */
export interface PrivateApiSources {
  readonly cidrs: readonly string[];
  readonly securityGroupIds: readonly string[];
}

/** One 443 ingress rule on the cluster security group. */
export type ApiIngressRule =
  | { readonly key: string; readonly cidrIpv4: string; readonly description: string }
  | { readonly key: string; readonly referencedSecurityGroupId: string; readonly description: string };

/**
 * 443 ingress rules for the private endpoint. The cluster security group EKS creates admits only
 * itself (EKS user guide sec-group-reqs), so nothing outside the nodes reaches the private
 * endpoint without them. Keys are derived from the source, so adding one never renames another.
 */
export function apiIngressRules(sources: PrivateApiSources | undefined): ApiIngressRule[] {
  if (sources === undefined) {
    return [];
  }
  return [
    ...sources.cidrs.map((cidr) => ({ key: `cidr-${cidr.replace(/[./]/g, "-")}`, cidrIpv4: cidr, description: `Kubernetes API from ${cidr}` })),
    ...sources.securityGroupIds.map((id) => ({ key: id, referencedSecurityGroupId: id, description: `Kubernetes API from ${id}` })),
  ];
}

const IAM_PRINCIPAL = /^arn:(aws[a-z-]*):iam::(\d{12}):(role|user)\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;

/**
 * Whether two IAM role or user ARNs name the same principal. A role's path is not part of its
 * identity (names are unique per account), and IAM names compare case-insensitively.
 */
export function sameIamPrincipal(a: string, b: string): boolean {
  const x = IAM_PRINCIPAL.exec(a);
  const y = IAM_PRINCIPAL.exec(b);
  if (x === null || y === null) {
    return a === b;
  }
  return x[1] === y[1] && x[2] === y[2] && x[3] === y[3] && x[4].toLowerCase() === y[4].toLowerCase();
}

/**
 * The admins that need an access entry of their own. pulumi-eks creates the cluster with
 * `bootstrapClusterCreatorAdminPermissions: true` (v4.3.0 cluster.ts), so the deploying principal
 * (the issuer of its session: the role of an assumed-role session) already has one, and
 * CreateAccessEntry for it again answers 409 ResourceInUseException.
 */
export function adminsToGrant(admins: readonly string[], deployer: string): { index: number; arn: string }[] {
  return admins.flatMap((arn, index) => (sameIamPrincipal(arn, deployer) ? [] : [{ index, arn }]));
}

import type { Inputs } from "@pulumi/pulumi";

// Who reaches an EKS cluster's API, as plain data: the 443 ingress rules a private endpoint needs
// and the cluster-admin access entries. EksCluster turns these into resources.

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

// A role or user ARN (a role's path is kept out of the name), or an account's root.
const IAM_PRINCIPAL = /^arn:aws[a-z-]*:iam::(\d{12}):(?:(role|user)\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)|root)$/;

/** The type of the control plane pulumi-eks registers inside its Cluster component. */
export const EKS_CONTROL_PLANE_TYPE = "aws:eks/cluster:Cluster";

/** One cluster-admin access entry: an EKS access entry plus its policy association. */
export interface AdminEntry {
  /** Suffix of both resources' names, derived from the principal alone. */
  readonly key: string;
  readonly principalArn: string;
  /** Suffixes the entry was registered under before keys came from the principal (`admin-<index>`). */
  readonly formerKeys: readonly string[];
}

/**
 * The resource-name suffix of a principal's entry: kind, account and name. A role's path is left
 * out and the name lower-cased, as neither tells principals apart (IAM names are unique per
 * account, case-insensitively), and EKS holds one entry per principal. So every ARN spelling of
 * one principal, whoever deploys, maps to one resource name, and an entry is never renamed (a
 * rename creates the new entry before deleting the old: 409).
 */
export function adminEntryKey(arn: string): string {
  const match = IAM_PRINCIPAL.exec(arn);
  if (match === null) {
    throw new Error(`${arn} is not an IAM role, user or account root ARN`);
  }
  const [, account, kind, name] = match;
  return kind === undefined ? `admin-root-${account}` : `admin-${kind}-${account}-${name.toLowerCase()}`;
}

/** One entry per principal in `cluster.admins`; a principal listed twice keeps its first spelling. */
export function configuredAdminEntries(admins: readonly string[]): AdminEntry[] {
  const entries: AdminEntry[] = [];
  admins.forEach((arn, index) => {
    const key = adminEntryKey(arn);
    if (!entries.some((e) => e.key === key)) {
      entries.push({ key, principalArn: arn, formerKeys: [`admin-${index}`] });
    }
  });
  return entries;
}

/**
 * The deploying principal's entry when `cluster.admins` does not already name it (then that entry
 * serves). `deployer` is the issuer of the calling session: the IAM role behind an assumed-role
 * session (with its path), else the user or root ARN itself. The cluster is created without the
 * creator bootstrap entry, so this entry is what lets pulumi reach the Kubernetes API at all.
 */
export function deployerEntry(admins: readonly string[], deployer: string): AdminEntry[] {
  if (!IAM_PRINCIPAL.test(deployer)) {
    throw new Error(
      `the identity running pulumi resolves to ${deployer}, which cannot have an EKS access entry (only IAM roles, users and account roots can; ` +
        "an STS federated-user session cannot): run pulumi as an IAM role or user",
    );
  }
  const key = adminEntryKey(deployer);
  return admins.some((arn) => adminEntryKey(arn) === key) ? [] : [{ key, principalArn: deployer, formerKeys: [] }];
}

/**
 * pulumi-eks v4.3.0 (nodejs/eks/cluster/cluster.ts) creates the control plane with
 * `accessConfig.bootstrapClusterCreatorAdminPermissions: true` and offers no argument to change
 * it: EKS then gives whoever creates the cluster an access entry outside this program, and the
 * program's own entry for that principal answers 409. This transform, on the eks.Cluster
 * component, turns the bootstrap off on its control-plane child. The flag is fixed at creation
 * (UpdateClusterConfig cannot change it; the AWS provider marks it ForceNew), and pulumi-eks
 * ignores changes to it, so an existing cluster is not replaced: it keeps its creator entry.
 */
export function withoutCreatorAdminBootstrap<O>(args: { type: string; props: Inputs; opts: O }): { props: Inputs; opts: O } | undefined {
  if (args.type !== EKS_CONTROL_PLANE_TYPE) {
    return undefined;
  }
  const accessConfig = args.props.accessConfig;
  if (typeof accessConfig !== "object" || accessConfig === null) {
    // Without an accessConfig EKS would bootstrap the creator after all (its default is true).
    throw new Error(`${EKS_CONTROL_PLANE_TYPE} registered without accessConfig: the creator bootstrap cannot be turned off (pulumi-eks changed?)`);
  }
  // The options (pulumi-eks's ignoreChanges on this flag among them) stay as they are.
  return { props: { ...args.props, accessConfig: { ...accessConfig, bootstrapClusterCreatorAdminPermissions: false } }, opts: args.opts };
}

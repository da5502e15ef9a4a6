import type { ResourceValidationPolicy } from "@pulumi/policy";
import { broadGrant, statements } from "./lib/iam";
import { Json } from "./lib/kubernetes";

/** Policy documents a resource carries: `policy` of policies, inline policies of roles. */
function documents(type: string, p: Json): { where: string; doc: unknown }[] {
  if (["aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy", "aws:iam/groupPolicy:GroupPolicy"].includes(type)) {
    return [{ where: "policy", doc: p?.policy }];
  }
  if (type === "aws:iam/role:Role") {
    return ((p?.inlinePolicies ?? []) as Json[]).map((ip, i) => ({ where: `inlinePolicies[${i}]${ip?.name ? ` (${ip.name})` : ""}`, doc: ip?.policy }));
  }
  return [];
}

/** Managed policy ARNs a resource attaches. */
function attachedArns(type: string, p: Json): string[] {
  if (/^aws:iam\/(rolePolicyAttachment|userPolicyAttachment|groupPolicyAttachment|policyAttachment):/.test(type)) {
    return [String(p?.policyArn)];
  }
  if (type === "aws:iam/role:Role") {
    return ((p?.managedPolicyArns ?? []) as unknown[]).map(String);
  }
  if (type === "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive") {
    return ((p?.policyArns ?? []) as unknown[]).map(String);
  }
  return [];
}

const GCP_IAM = /^gcp:(projects|organizations|folder|storage|serviceaccount|artifactregistry|kms|secretmanager)\/\w*IAM(Member|Binding|Policy):/i;

/** Roles a GCP IAM resource grants. */
function gcpRoles(type: string, p: Json): string[] {
  if (!GCP_IAM.test(type)) {
    return [];
  }
  if (/IAMPolicy:/.test(type)) {
    let data: Json = p?.policyData;
    try {
      data = typeof data === "string" ? JSON.parse(data) : data;
    } catch {
      return [];
    }
    return ((data?.bindings ?? []) as Json[]).map((b) => String(b?.role));
  }
  return p?.role === undefined ? [] : [String(p.role)];
}

export interface IamConfig {
  deniedManagedPolicies: string[];
  deniedGcpRoles: string[];
}

export const iamLeastPrivilege: ResourceValidationPolicy = {
  name: "iam-least-privilege",
  description: "IAM grants are least privilege: no wildcard actions or `*` resources on AWS policies and roles, no admin managed policies, no broad GCP roles on projects, folders, organizations or buckets.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      deniedManagedPolicies: {
        type: "array",
        items: { type: "string" },
        default: ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "AmazonS3FullAccess", "AmazonEC2FullAccess", "AmazonEKSServicePolicy", "SecretsManagerReadWrite"],
      },
      deniedGcpRoles: {
        type: "array",
        items: { type: "string" },
        default: [
          "roles/owner",
          "roles/editor",
          "roles/storage.admin",
          "roles/iam.securityAdmin",
          "roles/iam.serviceAccountAdmin",
          "roles/iam.serviceAccountKeyAdmin",
          "roles/iam.serviceAccountTokenCreator",
          "roles/resourcemanager.projectIamAdmin",
          "roles/container.admin",
          "roles/compute.admin",
        ],
      },
    },
  },
  validateResource: (args, report) => {
    const config = args.getConfig<IamConfig>();
    const fix = "Grant the named actions on the named ARNs only (the platform's cache roles show the shape: s3:GetObject on <bucket>/models/*).";
    for (const { where, doc } of documents(args.type, args.props)) {
      const parsed = statements(doc);
      if (parsed === undefined && doc !== undefined) {
        report(`${args.type.split(":").pop()} ${args.name} ${where} is not a policy document that can be checked. Write it as JSON with a Statement list.`);
      }
      for (const [i, s] of (parsed ?? []).entries()) {
        const why = broadGrant(s);
        if (why) {
          report(`${args.type.split(":").pop()} ${args.name} ${where} statement ${i}: ${why}. ${fix}`);
        }
      }
    }
    for (const arn of attachedArns(args.type, args.props)) {
      const name = arn.split("/").pop() ?? arn;
      if (/^arn:aws[a-z-]*:iam::aws:policy\//.test(arn) && config.deniedManagedPolicies.includes(name)) {
        report(`${args.type.split(":").pop()} ${args.name} attaches ${arn}, an administrator-level managed policy. Attach a policy that names the actions and resources the role needs.`);
      }
    }
    for (const role of gcpRoles(args.type, args.props).filter((r) => config.deniedGcpRoles.includes(r))) {
      report(`${args.type.split(":").pop()} ${args.name} grants ${role}${args.props?.member ? ` to ${args.props.member}` : ""}, a broad role. Grant a narrow one (roles/storage.objectViewer on the snapshot bucket, as the platform's cache reader has).`);
    }
  },
};

export const iamPolicies = [iamLeastPrivilege];

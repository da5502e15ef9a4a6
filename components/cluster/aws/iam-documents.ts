import { createHash } from "crypto";

// IAM and bucket-policy documents for the EKS snapshot store. Pure: they take ARNs and return the
// JSON documents, so tests can check that they name only the bucket and never a wildcard action.

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: string | Record<string, string | string[]>;
  readonly Action: string[];
  readonly Resource?: string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: PolicyStatement[];
}

/** Key prefix every model snapshot lives under. */
export const SNAPSHOT_PREFIX = "models/";

const READ_OBJECT_ACTIONS = ["s3:GetObject"];
const WRITE_OBJECT_ACTIONS = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"];

/** Denies every request to the bucket that does not use TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: ["s3:*"],
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
}

/** The bucket's KMS key and region, when the bucket is encrypted with a customer key. */
export interface SnapshotKey {
  readonly keyArn: string;
  readonly region: string;
}

/**
 * Conditions that confine a KMS grant to S3 using the key for this bucket: the request comes
 * through S3 in the bucket's region (`kms:ViaService`), and S3's encryption context names the
 * bucket (with S3 Bucket Keys, as the platform's bucket has) or one of its objects (without).
 * A pod holding the role cannot call KMS directly, nor reach the key through another service.
 */
export function kmsViaS3(bucketArn: string, key: SnapshotKey): PolicyStatement["Condition"] {
  const dnsSuffix = awsPartition(key.region) === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
  return {
    StringEquals: { "kms:ViaService": `s3.${key.region}.${dnsSuffix}` },
    StringLike: { "kms:EncryptionContext:aws:s3:arn": [bucketArn, `${bucketArn}/${SNAPSHOT_PREFIX}*`] },
  };
}

/**
 * What a cache reader may do: list and read the snapshots under `prefixes` (each ending in '/'),
 * and decrypt them through S3 when the bucket uses a KMS key. A model's reader gets its model's
 * prefix (`models/<id>/`), a pool's pre-warm reader those of the pool's models; by default every
 * snapshot. The KMS grant cannot be narrowed further: with S3 Bucket Keys the encryption context
 * S3 sends names the bucket, not the object, and S3 decrypts only what GetObject already allowed.
 */
export function snapshotReaderPolicy(bucketArn: string, key?: SnapshotKey, prefixes: readonly string[] = [SNAPSHOT_PREFIX]): PolicyDocument {
  if (prefixes.length === 0) {
    throw new Error("snapshotReaderPolicy: prefixes must name at least one key prefix");
  }
  for (const prefix of prefixes) {
    if (!prefix.startsWith(SNAPSHOT_PREFIX) || !prefix.endsWith("/") || /[*?]/.test(prefix) || prefix.split("/").some((s) => s === "." || s === "..")) {
      throw new Error(`snapshotReaderPolicy: prefix "${prefix}" must start with "${SNAPSHOT_PREFIX}", end with "/", and hold no wildcard or "."/".." segment`);
    }
  }
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "ListSnapshots", Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucketArn], Condition: { StringLike: { "s3:prefix": prefixes.map((p) => `${p}*`) } } },
      { Sid: "ReadSnapshots", Effect: "Allow", Action: READ_OBJECT_ACTIONS, Resource: prefixes.map((p) => `${bucketArn}/${p}*`) },
      ...(key ? [{ Sid: "DecryptSnapshots", Effect: "Allow" as const, Action: ["kms:Decrypt"], Resource: [key.keyArn], Condition: kmsViaS3(bucketArn, key) }] : []),
    ],
  };
}

/**
 * What the seeder may do on top of reading: upload snapshots (multipart included). No
 * s3:DeleteObject: a seeder never removes a snapshot, and its identity cannot be used to.
 */
export function snapshotWriterPolicy(bucketArn: string, key?: SnapshotKey): PolicyDocument {
  const reader = snapshotReaderPolicy(bucketArn, key);
  return {
    Version: "2012-10-17",
    Statement: [
      ...reader.Statement.filter((s) => s.Sid !== "DecryptSnapshots"),
      { Sid: "ListUploads", Effect: "Allow", Action: ["s3:ListBucketMultipartUploads"], Resource: [bucketArn] },
      { Sid: "WriteSnapshots", Effect: "Allow", Action: WRITE_OBJECT_ACTIONS, Resource: [`${bucketArn}/${SNAPSHOT_PREFIX}*`] },
      ...(key
        ? [{ Sid: "EncryptSnapshots", Effect: "Allow" as const, Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: [key.keyArn], Condition: kmsViaS3(bucketArn, key) }]
        : []),
    ],
  };
}

/**
 * An IAM name (role names hold 64 characters) from a longer one: as is when it fits, else cut
 * and ended with a hash of the whole, so two long names that share a head stay apart.
 */
export function boundedIamName(full: string, max = 64): string {
  if (full.length <= max) {
    return full;
  }
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 8);
  return `${full.slice(0, max - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}

/** Trust policy of a role that EKS Pod Identity hands to pods. */
export function podIdentityTrustPolicy(): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
  };
}

/** Trust policy of the node role (EC2 instances of the managed node groups). */
export function ec2TrustPolicy(): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: ["sts:AssumeRole"] }],
  };
}

/** The AWS partition of a region (ARNs of AWS-managed policies differ by partition). */
export function awsPartition(region: string): "aws" | "aws-cn" | "aws-us-gov" {
  return region.startsWith("cn-") ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
}

/** AWS-managed policies every EKS node needs: join the cluster, pull images, run the VPC CNI. */
export function nodeManagedPolicyArns(region: string): string[] {
  const partition = awsPartition(region);
  return ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy"].map((p) => `arn:${partition}:iam::aws:policy/${p}`);
}

/** The EKS access policy that makes a principal cluster admin. */
export function clusterAdminAccessPolicyArn(region: string): string {
  return `arn:${awsPartition(region)}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`;
}

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { READER_SERVICE_ACCOUNT, SEEDER_SERVICE_ACCOUNT } from "../../cache/snapshot";
import { podIdentityTrustPolicy, snapshotReaderPolicy, snapshotWriterPolicy, tlsOnlyBucketPolicy } from "./iam-documents";

/** Tag that marks the bucket as a snapshot store (the storage policies look for it). */
export const SNAPSHOT_ROLE_TAG = "llm-platform.io/role";
/** Days a replaced or deleted snapshot object version is kept before it expires. */
export const NONCURRENT_VERSION_DAYS = 30;

export interface S3SnapshotStoreArgs {
  readonly bucket: string;
  /** Region the bucket is made in (the cluster's): KMS grants are confined to S3 there. */
  readonly region: string;
  /** The cluster's KMS key (it also encrypts the cluster's secrets), which the bucket uses. */
  readonly kmsKeyArn: pulumi.Input<string>;
  /** Cluster the identities are associated in (through EKS Pod Identity). */
  readonly clusterName: pulumi.Input<string>;
  /** Namespace of the cache ServiceAccounts. */
  readonly namespace: string;
  readonly tags: Record<string, string>;
  /** What the associations wait for (the Pod Identity agent add-on). */
  readonly dependsOn: pulumi.Resource[];
}

export interface S3SnapshotStore {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  readonly readerRoleArn: pulumi.Output<string>;
  readonly seederRoleArn: pulumi.Output<string>;
  /** The Pod Identity associations; pods must start after them to get credentials. */
  readonly associations: pulumi.Resource[];
}

/**
 * The environment's S3 snapshot store: private, KMS-encrypted, versioned, TLS-only, with
 * noncurrent versions expiring; a read-only role for the cache readers and a read-write role for
 * the seeder, each associated with exactly one ServiceAccount through EKS Pod Identity.
 */
export function createS3SnapshotStore(name: string, args: S3SnapshotStoreArgs, parent: pulumi.Resource): S3SnapshotStore {
  const opts = { parent };
  const bucket = new aws.s3.Bucket(
    `${name}-snapshots`,
    { bucket: args.bucket, forceDestroy: false, tags: { ...args.tags, [SNAPSHOT_ROLE_TAG]: "snapshot-store" } },
    opts,
  );
  const block = new aws.s3.BucketPublicAccessBlock(
    `${name}-snapshots`,
    { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
    opts,
  );
  new aws.s3.BucketOwnershipControls(`${name}-snapshots`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
  new aws.s3.BucketServerSideEncryptionConfiguration(
    `${name}-snapshots`,
    {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true }],
    },
    opts,
  );
  const versioning = new aws.s3.BucketVersioning(`${name}-snapshots`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, opts);
  new aws.s3.BucketLifecycleConfiguration(
    `${name}-snapshots`,
    {
      bucket: bucket.id,
      rules: [
        { id: "expire-noncurrent-versions", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: NONCURRENT_VERSION_DAYS } },
        { id: "abort-incomplete-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
      ],
    },
    { parent, dependsOn: [versioning] },
  );
  // After the public access block, so a policy is never briefly evaluated without it.
  new aws.s3.BucketPolicy(`${name}-snapshots`, { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(tlsOnlyBucketPolicy(arn))) }, { parent, dependsOn: [block] });

  const identity = (role: "reader" | "seeder", serviceAccount: string) => {
    const iamRole = new aws.iam.Role(
      `${name}-${role}`,
      { assumeRolePolicy: JSON.stringify(podIdentityTrustPolicy()), description: `llm-platform model cache ${role} (${serviceAccount})`, tags: args.tags },
      opts,
    );
    const document = pulumi
      .all([bucket.arn, args.kmsKeyArn])
      .apply(([arn, keyArn]) => {
        const key = { keyArn, region: args.region };
        return JSON.stringify(role === "reader" ? snapshotReaderPolicy(arn, key) : snapshotWriterPolicy(arn, key));
      });
    new aws.iam.RolePolicy(`${name}-${role}`, { role: iamRole.id, policy: document }, opts);
    const association = new aws.eks.PodIdentityAssociation(
      `${name}-${role}`,
      { clusterName: args.clusterName, namespace: args.namespace, serviceAccount, roleArn: iamRole.arn, tags: args.tags },
      { parent, dependsOn: args.dependsOn },
    );
    return { role: iamRole, association };
  };
  const reader = identity("reader", READER_SERVICE_ACCOUNT);
  const seeder = identity("seeder", SEEDER_SERVICE_ACCOUNT);
  return {
    bucketName: bucket.bucket,
    bucketArn: bucket.arn,
    readerRoleArn: reader.role.arn,
    seederRoleArn: seeder.role.arn,
    associations: [reader.association, seeder.association],
  };
}

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { CacheReader } from "../../cache/identities";
import { modelKeyPrefix } from "../../cache/identities";
import { SEEDER_SERVICE_ACCOUNT } from "../../cache/snapshot";
import { boundedIamName, podIdentityTrustPolicy, snapshotReaderPolicy, snapshotWriterPolicy, tlsOnlyBucketPolicy } from "./iam-documents";

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
  /** The store's readers (cache/identities.ts cacheReaders): a role each, scoped to its models' prefixes. */
  readonly readers: readonly CacheReader[];
  readonly tags: Record<string, string>;
  /** What the associations wait for (the Pod Identity agent add-on). */
  readonly dependsOn: pulumi.Resource[];
}

export interface S3SnapshotStore {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  /** Each reader's role ARN by its ServiceAccount. */
  readonly readerRoleArns: Record<string, pulumi.Output<string>>;
  readonly seederRoleArn: pulumi.Output<string>;
  /** The Pod Identity associations; pods must start after them to get credentials. */
  readonly associations: pulumi.Resource[];
}

/**
 * The environment's S3 snapshot store: private, KMS-encrypted, versioned, TLS-only, with
 * noncurrent versions expiring; a read-only role per cache reader (each model service, each pool's
 * pre-warm DaemonSet) that reads only the prefixes of its models, and a read-write role for the
 * seeder, each associated with exactly one ServiceAccount through EKS Pod Identity. A role per
 * reader rather than one role with session-tag conditions: the tags Pod Identity sets name the
 * ServiceAccount, and a model id (`org/Name`) is not a ServiceAccount name, so a policy variable
 * could not spell the prefix.
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

  const identity = (key: string, serviceAccount: string, description: string, policy: (arn: string, keyArn: string) => object, named: boolean) => {
    const roleName = `${name}-${key}`;
    const iamRole = new aws.iam.Role(
      roleName,
      {
        // A reader's role is named, not auto-named: a long model name plus pulumi's random suffix
        // would pass IAM's 64 characters. The seeder's keeps the name it always had.
        ...(named ? { name: boundedIamName(roleName) } : {}),
        assumeRolePolicy: JSON.stringify(podIdentityTrustPolicy()),
        description: description.slice(0, 1000),
        tags: args.tags,
      },
      { parent, ...(named ? { deleteBeforeReplace: true } : {}) },
    );
    const document = pulumi.all([bucket.arn, args.kmsKeyArn]).apply(([arn, keyArn]) => JSON.stringify(policy(arn, keyArn)));
    new aws.iam.RolePolicy(roleName, { role: iamRole.id, policy: document }, opts);
    const association = new aws.eks.PodIdentityAssociation(
      roleName,
      { clusterName: args.clusterName, namespace: args.namespace, serviceAccount, roleArn: iamRole.arn, tags: args.tags },
      { parent, dependsOn: args.dependsOn },
    );
    return { role: iamRole, association };
  };
  const snapshotKey = (keyArn: string) => ({ keyArn, region: args.region });
  const readers = args.readers.map((reader) => ({
    serviceAccount: reader.serviceAccount,
    ...identity(
      reader.kind === "model" ? `reader-${reader.name}` : `prewarm-${reader.name}`,
      reader.serviceAccount,
      `llm-platform model cache reader (${reader.serviceAccount}): ${reader.modelIds.join(", ")}`,
      (arn, keyArn) => snapshotReaderPolicy(arn, snapshotKey(keyArn), reader.modelIds.map(modelKeyPrefix)),
      true,
    ),
  }));
  const seeder = identity("seeder", SEEDER_SERVICE_ACCOUNT, `llm-platform model cache seeder (${SEEDER_SERVICE_ACCOUNT})`, (arn, keyArn) => snapshotWriterPolicy(arn, snapshotKey(keyArn)), false);
  return {
    bucketName: bucket.bucket,
    bucketArn: bucket.arn,
    readerRoleArns: Object.fromEntries(readers.map((r) => [r.serviceAccount, r.role.arn])),
    seederRoleArn: seeder.role.arn,
    associations: [...readers.map((r) => r.association), seeder.association],
  };
}

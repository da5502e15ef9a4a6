import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { READER_SERVICE_ACCOUNT, SEEDER_SERVICE_ACCOUNT } from "../../cache/snapshot";
import { serviceAccountEmail, serviceAccountId, workloadIdentityMember } from "./node-pool";

/** Label that marks the bucket as a snapshot store (the storage policies look for it). */
export const SNAPSHOT_ROLE_LABEL = "llm-platform-role";
/** Days a replaced or deleted snapshot object version is kept before it is deleted. */
export const NONCURRENT_VERSION_DAYS = 30;
/** Annotation that binds a Kubernetes ServiceAccount to a Google service account. */
export const WORKLOAD_IDENTITY_ANNOTATION = "iam.gke.io/gcp-service-account";

export interface GcsSnapshotStoreArgs {
  readonly bucket: string;
  readonly project: string;
  readonly region: string;
  readonly clusterName: string;
  /** Namespace of the cache ServiceAccounts. */
  readonly namespace: string;
  readonly labels: Record<string, string>;
  /** The cluster's Workload Identity pool (`<project>.svc.id.goog`), from the cluster. */
  readonly workloadPool: pulumi.Input<string>;
}

export interface GcsSnapshotStore {
  readonly bucketName: pulumi.Output<string>;
  readonly readerEmail: string;
  readonly seederEmail: string;
  readonly annotations: { readonly reader: Record<string, string>; readonly seeder: Record<string, string> };
  /** IAM bindings pods need in place before they start. */
  readonly bindings: pulumi.Resource[];
}

/**
 * The environment's GCS snapshot store: uniform access, public access prevention enforced,
 * versioned with noncurrent versions expiring; a Google service account per cache role (object
 * viewer for readers, object admin for the seeder), each usable only by its one Kubernetes
 * ServiceAccount through Workload Identity.
 */
export function createGcsSnapshotStore(name: string, args: GcsSnapshotStoreArgs, parent: pulumi.Resource): GcsSnapshotStore {
  const opts = { parent };
  const bucket = new gcp.storage.Bucket(
    `${name}-snapshots`,
    {
      name: args.bucket,
      project: args.project,
      location: args.region.toUpperCase(),
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: true },
      forceDestroy: false,
      lifecycleRules: [
        { action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: NONCURRENT_VERSION_DAYS, withState: "ARCHIVED" } },
        { action: { type: "AbortIncompleteMultipartUpload" }, condition: { age: 7 } },
      ],
      labels: { ...args.labels, [SNAPSHOT_ROLE_LABEL]: "snapshot-store" },
    },
    opts,
  );
  const identity = (role: "reader" | "seeder", serviceAccount: string, bucketRole: string) => {
    const accountId = serviceAccountId(args.clusterName, `cache-${role}`);
    const account = new gcp.serviceaccount.Account(
      `${name}-${role}`,
      { accountId, project: args.project, displayName: `llm-platform model cache ${role} (${args.clusterName})` },
      opts,
    );
    const access = new gcp.storage.BucketIAMMember(`${name}-${role}`, { bucket: bucket.name, role: bucketRole, member: pulumi.interpolate`serviceAccount:${account.email}` }, opts);
    const binding = new gcp.serviceaccount.IAMMember(
      `${name}-${role}-workload-identity`,
      { serviceAccountId: account.name, role: "roles/iam.workloadIdentityUser", member: pulumi.output(args.workloadPool).apply((pool) => workloadIdentityMember(pool, args.namespace, serviceAccount)) },
      opts,
    );
    return { email: serviceAccountEmail(accountId, args.project), resources: [access, binding] };
  };
  const reader = identity("reader", READER_SERVICE_ACCOUNT, "roles/storage.objectViewer");
  const seeder = identity("seeder", SEEDER_SERVICE_ACCOUNT, "roles/storage.objectAdmin");
  return {
    bucketName: bucket.name,
    readerEmail: reader.email,
    seederEmail: seeder.email,
    annotations: { reader: { [WORKLOAD_IDENTITY_ANNOTATION]: reader.email }, seeder: { [WORKLOAD_IDENTITY_ANNOTATION]: seeder.email } },
    bindings: [...reader.resources, ...seeder.resources],
  };
}

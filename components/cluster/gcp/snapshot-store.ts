import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import type { CacheReader } from "../../cache/identities";
import { modelKeyPrefix } from "../../cache/identities";
import { SEEDER_SERVICE_ACCOUNT } from "../../cache/snapshot";
import type { CacheServiceAccountAnnotations } from "../outputs";
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
  /** The store's readers (cache/identities.ts cacheReaders): a Google service account each, reading its models' prefixes. */
  readonly readers: readonly CacheReader[];
  readonly labels: Record<string, string>;
  /** The cluster's Workload Identity pool (`<project>.svc.id.goog`), from the cluster. */
  readonly workloadPool: pulumi.Input<string>;
}

export interface GcsSnapshotStore {
  readonly bucketName: pulumi.Output<string>;
  /** Each reader's Google service account email by its ServiceAccount. */
  readonly readerEmails: Record<string, string>;
  readonly seederEmail: string;
  readonly annotations: CacheServiceAccountAnnotations;
  /** IAM bindings pods need in place before they start. */
  readonly bindings: pulumi.Resource[];
}

/**
 * The environment's GCS snapshot store: uniform access, public access prevention enforced,
 * versioned with noncurrent versions expiring; a Google service account per cache reader (each
 * model service, each pool's pre-warm DaemonSet) and one for the seeder (object admin), each usable
 * only by its one Kubernetes ServiceAccount through Workload Identity. See readerBindings for what
 * a reader may read.
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
  const account = (key: string, accountId: string, displayName: string, serviceAccount: string) => {
    const created = new gcp.serviceaccount.Account(`${name}-${key}`, { accountId, project: args.project, displayName: displayName.slice(0, 100) }, opts);
    const binding = new gcp.serviceaccount.IAMMember(
      `${name}-${key}-workload-identity`,
      { serviceAccountId: created.name, role: "roles/iam.workloadIdentityUser", member: pulumi.output(args.workloadPool).apply((pool) => workloadIdentityMember(pool, args.namespace, serviceAccount)) },
      opts,
    );
    return { created, binding, email: serviceAccountEmail(accountId, args.project) };
  };
  const readers = args.readers.map((reader) => {
    const key = reader.kind === "model" ? `reader-${reader.name}` : `prewarm-${reader.name}`;
    const identity = account(key, readerAccountId(args.clusterName, reader), `llm-platform cache reader ${reader.serviceAccount} (${args.clusterName})`, reader.serviceAccount);
    const access = readerBindings(args.bucket, reader.modelIds).map(
      (binding, i) =>
        new gcp.storage.BucketIAMMember(
          `${name}-${key}-${i === 0 ? "list" : `read-${i}`}`,
          { bucket: bucket.name, role: binding.role, member: pulumi.interpolate`serviceAccount:${identity.created.email}`, condition: binding.condition },
          opts,
        ),
    );
    return { serviceAccount: reader.serviceAccount, email: identity.email, resources: [...access, identity.binding] };
  });
  const seeder = account("seeder", serviceAccountId(args.clusterName, "cache-seeder"), `llm-platform model cache seeder (${args.clusterName})`, SEEDER_SERVICE_ACCOUNT);
  const seederAccess = new gcp.storage.BucketIAMMember(
    `${name}-seeder`,
    { bucket: bucket.name, role: "roles/storage.objectAdmin", member: pulumi.interpolate`serviceAccount:${seeder.created.email}` },
    opts,
  );
  return {
    bucketName: bucket.name,
    readerEmails: Object.fromEntries(readers.map((r) => [r.serviceAccount, r.email])),
    seederEmail: seeder.email,
    annotations: {
      readers: Object.fromEntries(readers.map((r) => [r.serviceAccount, { [WORKLOAD_IDENTITY_ANNOTATION]: r.email }])),
      seeder: { [WORKLOAD_IDENTITY_ANNOTATION]: seeder.email },
    },
    bindings: [...readers.flatMap((r) => r.resources), seederAccess, seeder.binding],
  };
}

/**
 * A reader's Google service account id (6-30 characters): the cluster's name, `r` for a model's
 * reader or `p` for a pool's pre-warm one, and a hash of the model or pool name, which may be
 * longer than the id has room for.
 */
export function readerAccountId(clusterName: string, reader: Pick<CacheReader, "kind" | "name">): string {
  const hash = createHash("sha256").update(`${reader.kind}/${reader.name}`).digest("hex").slice(0, 8);
  return serviceAccountId(clusterName, `${reader.kind === "model" ? "r" : "p"}-${hash}`);
}

export interface ConditionalBinding {
  readonly role: string;
  readonly condition: { readonly title: string; readonly description: string; readonly expression: string };
}

/** A CEL string literal for an IAM condition (JSON's escaping is CEL's for these names). */
const cel = (s: string): string => JSON.stringify(s);

/**
 * What a reader of `modelIds` is granted on the bucket: object viewer, conditioned. Reads
 * (storage.objects.get) are checked against the object, `projects/_/buckets/<bucket>/objects/<key>`,
 * so one binding per model allows objects under `models/<id>/` only. Listing (storage.objects.list)
 * is checked against the bucket, `projects/_/buckets/<bucket>`, whatever prefix the request names,
 * so no condition can confine it to a prefix: the first binding lets the reader list the whole
 * bucket (it sees other models' object names, never their contents). restore.sh and seed.sh list
 * a snapshot before copying it, so the listing cannot be dropped. One binding per prefix rather
 * than one `||` expression: an IAM condition holds at most 12 logical operators.
 */
export function readerBindings(bucket: string, modelIds: readonly string[]): ConditionalBinding[] {
  if (modelIds.length === 0) {
    throw new Error("readerBindings: a reader must read at least one model");
  }
  const bucketResource = `projects/_/buckets/${bucket}`;
  return [
    {
      role: "roles/storage.objectViewer",
      condition: { title: "list-snapshots", description: "Listing is checked against the bucket: no prefix can be named", expression: `resource.name == ${cel(bucketResource)}` },
    },
    ...modelIds.map((id, i) => ({
      role: "roles/storage.objectViewer",
      condition: {
        title: `read-model-${i + 1}`,
        description: `Objects of ${id}`.slice(0, 256),
        expression: `resource.name.startsWith(${cel(`${bucketResource}/objects/${modelKeyPrefix(id)}`)})`,
      },
    })),
  ];
}

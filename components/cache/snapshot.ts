// Where a model revision lives in the snapshot store and on a node, and how rclone reaches the store.
// Layout (see scripts/restore.sh): <bucket>/models/<model-id>/<revision>/ with the manifest
// `.llm-platform-manifest.tsv` and the marker `.llm-platform-complete` written last.

export interface SnapshotStore {
  readonly provider: "s3" | "gcs";
  readonly bucket: string;
  readonly region?: string;
  /** Endpoint of an S3-compatible store. */
  readonly endpoint?: string;
}

// The readers (restore containers, pre-warm DaemonSets, streaming vLLM pods) each have their own
// ServiceAccount, read-only on their models' prefixes: see identities.ts.
/** ServiceAccount of the seeder Jobs: the only identity that writes the store. */
export const SEEDER_SERVICE_ACCOUNT = "llm-model-cache-seeder";

/** Name of the rclone remote the scripts use; its settings come from RCLONE_CONFIG_SNAP_* variables. */
export const RCLONE_REMOTE = "snap";
/** Directory of the cache under a pool's NVMe mount. */
export const CACHE_DIR_NAME = "llm-platform";
/** Where the restore containers see the cache root. */
export const CACHE_MOUNT = "/cache";
/** Where the scripts ConfigMap is mounted. */
export const SCRIPTS_MOUNT = "/scripts";

/** The model id of a source URI: `hf://org/name` → `org/name`. */
export function modelId(uri: string): string {
  return uri.replace(/^[a-z0-9]+:\/\//, "").replace(/\/+$/, "");
}

/** Key prefix every model snapshot lives under. */
export const SNAPSHOTS_PREFIX = "models/";

/** Key prefix of one model revision in the bucket. */
export function snapshotKey(id: string, revision: string): string {
  return `${SNAPSHOTS_PREFIX}${id}/${revision}`;
}

/** The snapshot as the scripts address it (rclone remote path). */
export function rclonePath(store: SnapshotStore, id: string, revision: string): string {
  return `${RCLONE_REMOTE}:${store.bucket}/${snapshotKey(id, revision)}`;
}

/** Where the snapshots of every model live (rclone remote path): `<root>/<model-id>/<revision>`. */
export function snapshotsRoot(store: SnapshotStore): string {
  return `${RCLONE_REMOTE}:${store.bucket}/models`;
}

/**
 * The object holding the commit a moving ref (dev) points at, written by the seeder once that
 * commit is seeded and read by every restore of the ref (scripts/seed.sh, scripts/restore.sh).
 */
export function refPointerPath(store: SnapshotStore, id: string, ref: string): string {
  return `${snapshotsRoot(store)}/${id}/refs/${ref}`;
}

/** The snapshot as a URL (for vLLM's streamer and for people). */
export function snapshotUrl(store: SnapshotStore, id: string, revision: string): string {
  return `${store.provider === "s3" ? "s3" : "gs"}://${store.bucket}/${snapshotKey(id, revision)}`;
}

/** Cache root on a node with the pool's NVMe array mounted at `mountPath`. */
export function cacheRoot(mountPath: string): string {
  return `${mountPath.replace(/\/$/, "")}/${CACHE_DIR_NAME}`;
}

/** Directory of one restored revision on the node. */
export function revisionDir(root: string, id: string, revision: string): string {
  return `${root}/models/${id}/${revision}`;
}

/**
 * rclone remote settings as environment variables. Credentials are ambient (EKS Pod Identity,
 * GKE Workload Identity) unless a Secret supplies them; `env_auth` makes rclone use them.
 * The seeder's S3 remote also sets `no_check_bucket`: rclone (backend/s3 makeBucket) otherwise
 * calls CreateBucket before a one-object upload in a fresh process, which the seeder, allowed to
 * write objects only, is refused; the platform creates the bucket.
 */
export function rcloneEnv(store: SnapshotStore, role: "reader" | "seeder" = "reader"): { name: string; value: string }[] {
  const prefix = `RCLONE_CONFIG_${RCLONE_REMOTE.toUpperCase()}_`;
  if (store.provider === "gcs") {
    return [
      { name: `${prefix}TYPE`, value: "google cloud storage" },
      { name: `${prefix}ENV_AUTH`, value: "true" },
      { name: `${prefix}BUCKET_POLICY_ONLY`, value: "true" },
    ];
  }
  return [
    { name: `${prefix}TYPE`, value: "s3" },
    { name: `${prefix}PROVIDER`, value: store.endpoint ? "Other" : "AWS" },
    { name: `${prefix}ENV_AUTH`, value: "true" },
    ...(store.region ? [{ name: `${prefix}REGION`, value: store.region }] : []),
    ...(store.endpoint ? [{ name: `${prefix}ENDPOINT`, value: store.endpoint }] : []),
    ...(role === "seeder" ? [{ name: `${prefix}NO_CHECK_BUCKET`, value: "true" }] : []),
  ];
}

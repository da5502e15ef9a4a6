import * as path from "path";
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { platformFactsOf } from "./lib/facts";
import { containersOf, isLlmInferenceService, isModelServer, Json, k8sObjects, objectName, podSpecs, PodTemplateView, volumesOf } from "./lib/kubernetes";
import { NETWORK_FS_DRIVERS, NETWORK_FS_PROVISIONERS, StorageIndex } from "./lib/volumes";
import { statements } from "./lib/iam";

/** Every model-serving pod template of a stack, across all workload kinds and ConfigGroups. */
function servingPodsOf(resources: readonly PolicyResource[]): { r: PolicyResource; type: string; props: Json; view: PodTemplateView }[] {
  return resources.flatMap((r) =>
    k8sObjects(r.type, r.props).flatMap((o) => podSpecs(o.type, o.props).filter(isModelServer).map((view) => ({ r, type: o.type, props: o.props, view }))),
  );
}

export interface NetworkFsConfig {
  blockedCsiDrivers: string[];
  blockedProvisioners: string[];
  allowNfs: boolean;
}

const CACHE_FIX = "Serve weights from the platform's local NVMe cache (modelCache in the stack config) instead.";

export const noNetworkFsWeights: StackValidationPolicy = {
  name: "no-network-fs-weights",
  description: "Model-serving pods (GPU or CPU, any workload kind) do not load weights from network filesystems (NFS, EFS, Filestore, FSx), directly or through claims, volumes and classes.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      blockedCsiDrivers: { type: "array", items: { type: "string" }, default: NETWORK_FS_DRIVERS },
      blockedProvisioners: { type: "array", items: { type: "string" }, default: NETWORK_FS_PROVISIONERS },
      allowNfs: { type: "boolean", default: false },
    },
  },
  validateStack: (args, report) => {
    const config = args.getConfig<NetworkFsConfig>();
    const storage = new StorageIndex(args.resources, { networkDrivers: config.blockedCsiDrivers, networkProvisioners: config.blockedProvisioners, allowNfs: config.allowNfs });
    for (const { r, type, props, view } of servingPodsOf(args.resources)) {
      for (const f of storage.podVolumes(type, props, view.spec).filter((f) => f.network)) {
        report(`${objectName(type, props, r.name)} ${view.path}: volume ${f.volume} is a network filesystem (${f.chain}); weights over the network load too slowly and stall every cold start. ${CACHE_FIX}`, r.urn);
      }
    }
  },
};

export const noNodePinnedWeights: StackValidationPolicy = {
  name: "no-node-pinned-weights",
  description: "No node-pinned volume (local PV, hostname-affine PV, local-disk storage class) holds weights: a dead node must not strand a model.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const storage = new StorageIndex(args.resources, { networkDrivers: [], networkProvisioners: [], allowNfs: true });
    for (const r of args.resources) {
      for (const o of k8sObjects(r.type, r.props).filter((o) => o.type.endsWith(":PersistentVolume"))) {
        const pinned = StorageIndex.pinnedVolume(o.props);
        if (pinned) {
          report(`${objectName(o.type, o.props, r.name)} is pinned to a node (${pinned}); when the node dies its pods cannot move without deleting claims by hand. Use the platform's snapshot-restore cache (modelCache).`, r.urn);
        }
      }
    }
    for (const { r, type, props, view } of servingPodsOf(args.resources)) {
      for (const f of storage.podVolumes(type, props, view.spec)) {
        if (f.nodePinned || f.unknownClaim) {
          report(
            `${objectName(type, props, r.name)} ${view.path}: volume ${f.volume} ${f.unknownClaim ? `mounts claim ${f.unknownClaim}, which is not managed here and may be node-local` : `is node-pinned (${f.chain})`}. Serving pods take weights from the platform's host cache (modelCache), not claims.`,
            r.urn,
          );
        }
      }
    }
  },
};

export interface HostPathConfig {
  cacheRoots: string[];
}

/** A host path as the kubelet resolves it: absolute, `.`/`..` and repeated slashes collapsed. */
export function normaliseHostPath(p: string): string {
  return path.posix.normalize(path.posix.join("/", String(p))).replace(/\/+$/, "") || "/";
}

/** Whether a host path is one of the roots or inside one, compared after normalising both. */
export function underRoots(hostPath: string, roots: readonly string[]): boolean {
  const p = normaliseHostPath(hostPath);
  return roots.map(normaliseHostPath).some((root) => p === root || p.startsWith(root === "/" ? "/" : `${root}/`));
}

export const hostPathUnderCacheRoot: ResourceValidationPolicy = {
  name: "host-path-under-cache-root",
  description: "Model-serving pods mount host paths only under the model-cache root (after normalising `..`), and read-only in serving containers.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      cacheRoots: {
        type: "array",
        items: { type: "string" },
        default: ["/mnt/k8s-disks/0/llm-platform", "/mnt/stateful_partition/kube-ephemeral-ssd/llm-platform"],
      },
    },
  },
  validateResource: (args, report) => {
    const { cacheRoots } = args.getConfig<HostPathConfig>();
    for (const o of k8sObjects(args.type, args.props)) {
      for (const view of podSpecs(o.type, o.props).filter(isModelServer)) {
        const where = `${objectName(o.type, o.props, args.name)} ${view.path}`;
        const hostVolumes = new Set<string>();
        for (const v of volumesOf(view.spec)) {
          if (v?.hostPath === undefined) {
            continue;
          }
          hostVolumes.add(String(v.name));
          if (!underRoots(String(v.hostPath.path), cacheRoots)) {
            report(`${where}: hostPath volume ${v.name} (${v.hostPath.path}, resolved ${normaliseHostPath(v.hostPath.path)}) is outside the model-cache roots ${cacheRoots.join(", ")}. Serving pods may only reach the cache; take weights from the platform's modelCache.`);
          }
        }
        for (const { name, container, init } of containersOf(view.spec)) {
          for (const m of (container?.volumeMounts ?? []) as Json[]) {
            if (!init && hostVolumes.has(String(m?.name)) && m?.readOnly !== true) {
              report(`${where}: container ${name} mounts host volume ${m.name} writable. Serving containers mount the cache read-only (readOnly: true); only the restore init container writes.`);
            }
          }
        }
      }
    }
  },
};

export interface HeadroomConfig {
  headroom: number;
}

export const nvmeCapacity: ResourceValidationPolicy = {
  name: "nvme-capacity",
  description: "Pools that cache weights on local NVMe have room for all their models' weights with headroom.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { headroom: { type: "number", minimum: 1, default: 1.2 } } },
  validateResource: (args, report) => {
    const facts = platformFactsOf(args);
    if (facts === undefined) {
      return;
    }
    const { headroom } = args.getConfig<HeadroomConfig>();
    for (const pool of facts.pools.filter((p) => p.nvmeBytes > 0)) {
      const models = facts.models.filter((m) => m.pool === pool.name);
      // The cache holds checkpoints as stored, whatever precision vLLM serves them in.
      const needed = models.reduce((s, m) => s + m.checkpointBytes, 0) * headroom;
      if (needed > pool.nvmeBytes) {
        report(`pool ${pool.name} caches ${models.map((m) => m.name).join(", ")} needing ${(needed / 1e9).toFixed(0)} GB with ${headroom}× headroom but has ${(pool.nvmeBytes / 1e9).toFixed(0)} GB of NVMe per node. Move models to another pool or pick an instance type with more instance storage.`);
      }
    }
  },
};

const SNAPSHOT_TAG = "llm-platform.io/role";
const SNAPSHOT_LABEL = "llm-platform-role";
export const S3_BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];
export const GCS_BUCKET = "gcp:storage/bucket:Bucket";
const PUBLIC_ACLS = ["public-read", "public-read-write", "authenticated-read"];
const PUBLIC_MEMBERS = /^(allUsers|allAuthenticatedUsers)$/;
const PUBLIC_GRANTEE = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;

/** A bucket and the resources that configure it (by dependency, or by naming it in `bucket`). */
export interface BucketView {
  readonly bucket: PolicyResource;
  readonly names: Set<string>;
  readonly parts: (type: string) => PolicyResource[];
}

export function bucketViews(resources: readonly PolicyResource[]): BucketView[] {
  const byBucketProp = new Map<string, PolicyResource[]>();
  const byDependency = new Map<string, PolicyResource[]>();
  for (const r of resources) {
    if (r.props?.bucket !== undefined && !S3_BUCKET_TYPES.includes(r.type) && r.type !== GCS_BUCKET) {
      byBucketProp.set(String(r.props.bucket), [...(byBucketProp.get(String(r.props.bucket)) ?? []), r]);
    }
    for (const d of r.dependencies) {
      byDependency.set(d.urn, [...(byDependency.get(d.urn) ?? []), r]);
    }
  }
  return resources
    .filter((r) => S3_BUCKET_TYPES.includes(r.type) || r.type === GCS_BUCKET)
    .map((bucket) => {
      const names = new Set([bucket.name, `${bucket.name}-id`, ...[bucket.props?.bucket, bucket.props?.name, bucket.props?.bucketPrefix].filter((n) => n !== undefined).map(String)]);
      const related = new Set([...(byDependency.get(bucket.urn) ?? []), ...[...names].flatMap((n) => byBucketProp.get(n) ?? [])]);
      return { bucket, names, parts: (type: string) => [...related].filter((r) => r.type === type) };
    });
}

export interface BucketConfig {
  modelBucketPattern: string;
}

/** Whether a bucket holds model data: the platform's role tag, or a name that says so. */
function holdsModels(view: BucketView, pattern: RegExp): boolean {
  const p = view.bucket.props ?? {};
  return p.tags?.[SNAPSHOT_TAG] === "snapshot-store" || p.labels?.[SNAPSHOT_LABEL] === "snapshot-store" || [...view.names].some((n) => pattern.test(n));
}

const partTypes = (name: string, v2 = true) => [`aws:s3/${name}:${name[0].toUpperCase()}${name.slice(1)}`, ...(v2 ? [`aws:s3/${name}V2:${name[0].toUpperCase()}${name.slice(1)}V2`] : [])];

export const snapshotBucketProtected: StackValidationPolicy = {
  name: "snapshot-bucket-protected",
  description: "Every bucket that holds model data (the snapshot store or any bucket named for models/weights/checkpoints) is private, encrypted and versioned.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { modelBucketPattern: { type: "string", default: "model|weight|checkpoint|snapshot|llm|huggingface|hf-cache" } } },
  validateStack: (args, report) => {
    const pattern = new RegExp(args.getConfig<BucketConfig>().modelBucketPattern, "i");
    for (const view of bucketViews(args.resources).filter((v) => holdsModels(v, pattern))) {
      const { bucket } = view;
      const p = bucket.props ?? {};
      if (bucket.type === GCS_BUCKET) {
        if (p.publicAccessPrevention !== "enforced" || p.uniformBucketLevelAccess !== true) {
          report(`GCS bucket ${bucket.name} holds model data but is not private. Set publicAccessPrevention: "enforced" and uniformBucketLevelAccess: true.`, bucket.urn);
        }
        if (p.versioning?.enabled !== true) {
          report(`GCS bucket ${bucket.name} holds model data without versioning. Set versioning.enabled: true.`, bucket.urn);
        }
        continue;
      }
      const block = view.parts("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0]?.props;
      if (!block || !["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every((k) => block[k] === true)) {
        report(`S3 bucket ${bucket.name} holds model data but has no public access block with all four settings true. Add an aws.s3.BucketPublicAccessBlock for it.`, bucket.urn);
      }
      if (view.parts(partTypes("bucketServerSideEncryptionConfiguration")[0]).length + view.parts(partTypes("bucketServerSideEncryptionConfiguration")[1]).length === 0 && p.serverSideEncryptionConfiguration === undefined) {
        report(`S3 bucket ${bucket.name} holds model data without a server-side encryption configuration. Add aws.s3.BucketServerSideEncryptionConfiguration with SSE-KMS or SSE-S3.`, bucket.urn);
      }
      const versioned = partTypes("bucketVersioning").flatMap((t) => view.parts(t)).some((v) => v.props?.versioningConfiguration?.status === "Enabled") || p.versioning?.enabled === true;
      if (!versioned) {
        report(`S3 bucket ${bucket.name} holds model data without versioning enabled. Add aws.s3.BucketVersioning with status Enabled.`, bucket.urn);
      }
    }
  },
};

/** Why an S3 or GCS bucket policy document or IAM grant makes a bucket public. */
function publicPolicy(doc: unknown): string | undefined {
  const open = (statements(doc) ?? []).find((s) => s.effect === "Allow" && s.principals.includes("*") && !s.hasCondition);
  return open ? `its bucket policy allows principal "*" to ${open.actions.join(", ")}` : undefined;
}

export const noPublicBuckets: StackValidationPolicy = {
  name: "no-public-buckets",
  description: "No bucket is public: no public ACL or grant, no public access block turned off, no bucket policy for principal \"*\", no allUsers/allAuthenticatedUsers IAM member.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const views = bucketViews(args.resources);
    const bucketOf = (r: PolicyResource) => views.find((v) => r.dependencies.some((d) => d.urn === v.bucket.urn) || v.names.has(String(r.props?.bucket)))?.bucket.name ?? String(r.props?.bucket ?? r.name);
    const fix = "Keep model data private; serve it through the platform's cache readers (modelCache), never by public URL.";
    for (const r of args.resources) {
      const p = r.props ?? {};
      const reasons: string[] = [];
      if (S3_BUCKET_TYPES.includes(r.type)) {
        if (PUBLIC_ACLS.includes(String(p.acl))) reasons.push(`its ACL is ${p.acl}`);
        if (((p.grants ?? []) as Json[]).some((g) => PUBLIC_GRANTEE.test(String(g?.uri)))) reasons.push("it grants access to AllUsers/AuthenticatedUsers");
        const why = p.policy === undefined ? undefined : publicPolicy(p.policy);
        if (why) reasons.push(why);
      } else if (partTypes("bucketAcl").includes(r.type)) {
        if (PUBLIC_ACLS.includes(String(p.acl))) reasons.push(`its ACL is ${p.acl}`);
        const grants = (p.accessControlPolicy?.grants ?? []) as Json[];
        if (grants.some((g) => PUBLIC_GRANTEE.test(String(g?.grantee?.uri)))) reasons.push("its ACL grants access to AllUsers/AuthenticatedUsers");
      } else if (r.type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock") {
        const off = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].filter((k) => p[k] === false);
        if (off.length > 0) reasons.push(`its public access block turns off ${off.join(", ")}`);
      } else if (r.type === "aws:s3/bucketPolicy:BucketPolicy") {
        const why = publicPolicy(p.policy);
        if (why) reasons.push(why);
      } else if (/^gcp:storage\/bucketIAM(Member|Binding):/.test(r.type)) {
        const members = [p.member, ...((p.members ?? []) as unknown[])].filter((m) => m !== undefined).map(String);
        const pub = members.filter((m) => PUBLIC_MEMBERS.test(m));
        if (pub.length > 0) reasons.push(`it grants ${p.role} to ${pub.join(", ")}`);
      } else if (r.type === "gcp:storage/bucketIAMPolicy:BucketIAMPolicy") {
        let data: Json = p.policyData;
        try {
          data = typeof data === "string" ? JSON.parse(data) : data;
        } catch {
          data = {};
        }
        const pub = ((data?.bindings ?? []) as Json[]).filter((b) => ((b?.members ?? []) as string[]).some((m) => PUBLIC_MEMBERS.test(m)));
        if (pub.length > 0) reasons.push(`its IAM policy grants ${pub.map((b) => b.role).join(", ")} to allUsers/allAuthenticatedUsers`);
      } else if (r.type === "gcp:storage/bucketACL:BucketACL" || r.type === "gcp:storage/defaultObjectACL:DefaultObjectACL") {
        const entities = ((p.roleEntities ?? []) as string[]).filter((e) => /:(allUsers|allAuthenticatedUsers)$/.test(e));
        if (entities.length > 0) reasons.push(`its ACL grants ${entities.join(", ")}`);
      } else if (r.type === "gcp:storage/defaultObjectAccessControl:DefaultObjectAccessControl" || r.type === "gcp:storage/objectAccessControl:ObjectAccessControl") {
        if (PUBLIC_MEMBERS.test(String(p.entity))) reasons.push(`it grants ${p.role} to ${p.entity}`);
      }
      for (const reason of reasons) {
        report(`bucket ${S3_BUCKET_TYPES.includes(r.type) ? r.name : bucketOf(r)} is public: ${reason} (${r.type.split(":").pop()} ${r.name}). ${fix}`, r.urn);
      }
    }
  },
};

export const volumesEncrypted: ResourceValidationPolicy = {
  name: "volumes-encrypted",
  description: "EBS volumes and launch-template block devices are encrypted.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type === "aws:ebs/volume:Volume" && args.props?.encrypted !== true) {
      report(`EBS volume ${args.name} is not encrypted. Set encrypted: true.`);
    }
    if (args.type === "aws:ec2/launchTemplate:LaunchTemplate") {
      for (const m of (args.props?.blockDeviceMappings ?? []) as Json[]) {
        if (m?.ebs && String(m.ebs.encrypted) !== "true") {
          report(`launch template ${args.name} block device ${m.deviceName} is not encrypted. Set ebs.encrypted: "true".`);
        }
      }
    }
  },
};

export interface RestoreSloConfig {
  maxRestoreSeconds: number;
}

export const restoreTimeSlo: ResourceValidationPolicy = {
  name: "restore-time-slo",
  description: "The estimated time to restore a model's weights onto a fresh node is within the tier's objective.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { maxRestoreSeconds: { type: "number", minimum: 1, default: 600 } } },
  validateResource: (args, report) => {
    const facts = platformFactsOf(args);
    if (facts === undefined) {
      return;
    }
    const { maxRestoreSeconds } = args.getConfig<RestoreSloConfig>();
    for (const m of facts.models.filter((m) => m.restoreSeconds > maxRestoreSeconds)) {
      report(`model ${m.name} takes an estimated ${m.restoreSeconds.toFixed(0)} s to restore on pool ${m.pool}, above the ${maxRestoreSeconds} s objective. Use a pool with more network or NVMe bandwidth, or a smaller dtype.`);
    }
  },
};

const COMMIT = /^[0-9a-f]{40}$/;

/** The Hugging Face revision a hand-written LLMInferenceService pins: `hf://org/model:rev` (KServe v0.20) or the platform's annotation. */
function serviceRevision(props: Json): { uri: string; revision?: string } | undefined {
  const uri = String(props?.spec?.model?.uri ?? "");
  if (!uri.startsWith("hf://")) {
    return undefined;
  }
  const m = /^hf:\/\/[^:]+:(.+)$/.exec(uri);
  return { uri, revision: m?.[1] ?? props?.metadata?.annotations?.["llm-platform.io/revision"] };
}

export const revisionPinned: ResourceValidationPolicy = {
  name: "model-revision-pinned",
  description: "Hugging Face model revisions are pinned to an immutable 40-hex commit (platform models and hand-written LLMInferenceServices), so every node serves the same weights.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const facts = platformFactsOf(args);
    for (const m of (facts?.models ?? []).filter((m) => m.sourceUri.startsWith("hf://") && !COMMIT.test(m.revision ?? ""))) {
      report(`model ${m.name} (${m.sourceUri}) revision ${m.revision === undefined ? "is not set" : `"${m.revision}" is not a commit hash`}; a branch or tag can move. Set source.revision to the 40-character commit.`);
    }
    for (const o of k8sObjects(args.type, args.props).filter((o) => isLlmInferenceService(o.type))) {
      const found = serviceRevision(o.props);
      if (found && !COMMIT.test(found.revision ?? "")) {
        report(`${objectName(o.type, o.props, args.name)} serves ${found.uri} ${found.revision === undefined ? "without a revision, so it follows the default branch" : `at "${found.revision}", which is not a commit hash and can move`}. Write spec.model.uri as hf://<org>/<model>:<40-character commit>, or declare the model in the stack's models with source.revision.`);
      }
    }
  },
};

export const storagePolicies = [noNetworkFsWeights, noNodePinnedWeights, hostPathUnderCacheRoot, nvmeCapacity, snapshotBucketProtected, noPublicBuckets, volumesEncrypted, restoreTimeSlo, revisionPinned];

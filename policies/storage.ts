import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { platformFactsOf } from "./lib/facts";
import {
  containersOf,
  Json,
  objectName,
  PERSISTENT_VOLUME,
  PERSISTENT_VOLUME_CLAIM,
  podSpecs,
  PodTemplateView,
  requestsGpus,
  STORAGE_CLASS,
  volumesOf,
} from "./lib/kubernetes";

/** Pods that serve models: LLMInferenceService pods and anything that asks for GPUs. */
function servingPods(type: string, props: Json): PodTemplateView[] {
  return podSpecs(type, props).filter((v) => v.serving || requestsGpus(v.spec));
}

export interface NetworkFsConfig {
  blockedCsiDrivers: string[];
  blockedProvisioners: string[];
  allowNfs: boolean;
}

export const noNetworkFsWeights: StackValidationPolicy = {
  name: "no-network-fs-weights",
  description: "Model-serving pods do not load weights from network filesystems (NFS, EFS, Filestore, FSx).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      blockedCsiDrivers: {
        type: "array",
        items: { type: "string" },
        default: ["efs.csi.aws.com", "fsx.csi.aws.com", "filestore.csi.storage.gke.io", "nfs.csi.k8s.io"],
      },
      blockedProvisioners: {
        type: "array",
        items: { type: "string" },
        default: ["efs.csi.aws.com", "fsx.csi.aws.com", "filestore.csi.storage.gke.io", "nfs.csi.k8s.io", "kubernetes.io/nfs"],
      },
      allowNfs: { type: "boolean", default: false },
    },
  },
  validateStack: (args, report) => {
    const config = args.getConfig<NetworkFsConfig>();
    const blockedClasses = new Set(
      args.resources
        .filter((r) => r.type === STORAGE_CLASS && config.blockedProvisioners.includes(String(r.props?.provisioner)))
        .map((r) => String(r.props?.metadata?.name ?? r.name)),
    );
    const claims = claimsByName(args.resources);
    for (const r of args.resources) {
      for (const view of servingPods(r.type, r.props)) {
        const where = `${objectName(r.type, r.props, r.name)} ${view.path}`;
        for (const v of volumesOf(view.spec)) {
          if (v?.nfs && !config.allowNfs) {
            report(`${where}: volume ${v.name} is NFS (${v.nfs.server}:${v.nfs.path}); weights over NFS load too slowly. Serve weights from the local NVMe cache instead.`, r.urn);
          }
          if (v?.csi && config.blockedCsiDrivers.includes(String(v.csi.driver))) {
            report(`${where}: volume ${v.name} uses network filesystem driver ${v.csi.driver}. Serve weights from the local NVMe cache instead.`, r.urn);
          }
          const claim = v?.persistentVolumeClaim ? claims.get(String(v.persistentVolumeClaim.claimName)) : undefined;
          if (claim && blockedClasses.has(String(claim.props?.spec?.storageClassName))) {
            report(`${where}: volume ${v.name} claims ${claim.props?.spec?.storageClassName}, a network filesystem class. Serve weights from the local NVMe cache instead.`, r.urn);
          }
        }
      }
    }
  },
};

function claimsByName(resources: readonly PolicyResource[]): Map<string, PolicyResource> {
  return new Map(resources.filter((r) => r.type === PERSISTENT_VOLUME_CLAIM).map((r) => [String(r.props?.metadata?.name ?? r.name), r]));
}

/** Provisioners whose volumes live on one node's disks. */
const NODE_LOCAL_PROVISIONERS = ["kubernetes.io/no-provisioner", "rancher.io/local-path", "openebs.io/local", "topolvm.io", "local.csi.openebs.io", "lvm.csi.metal-stack.io"];

export const noNodePinnedWeights: StackValidationPolicy = {
  name: "no-node-pinned-weights",
  description: "No node-pinned volume (local PV, node-affine PV, local-disk storage class) holds weights: a dead node must not strand a model.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const pv of args.resources.filter((r) => r.type === PERSISTENT_VOLUME)) {
      const spec = pv.props?.spec ?? {};
      if (spec.local || spec.hostPath || spec.nodeAffinity) {
        report(`${objectName(pv.type, pv.props, pv.name)} is pinned to a node (${spec.local ? "local" : spec.hostPath ? "hostPath" : "nodeAffinity"}); when the node dies its pods cannot move without deleting claims by hand. Use the snapshot-restore cache.`, pv.urn);
      }
    }
    const localClasses = new Set(
      args.resources
        .filter((r) => r.type === STORAGE_CLASS && NODE_LOCAL_PROVISIONERS.includes(String(r.props?.provisioner)))
        .map((r) => String(r.props?.metadata?.name ?? r.name)),
    );
    const claims = claimsByName(args.resources);
    for (const r of args.resources) {
      for (const view of servingPods(r.type, r.props)) {
        for (const v of volumesOf(view.spec)) {
          const claimName = v?.persistentVolumeClaim?.claimName;
          if (claimName === undefined) {
            continue;
          }
          const claim = claims.get(String(claimName));
          const cls = claim?.props?.spec?.storageClassName;
          if (claim === undefined || localClasses.has(String(cls))) {
            report(
              `${objectName(r.type, r.props, r.name)} ${view.path}: volume ${v.name} mounts claim ${claimName}${cls ? ` (class ${cls})` : ""}, which ${claim === undefined ? "is not managed here and may be" : "is"} node-local. Serving pods take weights from the host cache, not claims.`,
              r.urn,
            );
          }
        }
      }
    }
  },
};

export interface HostPathConfig {
  cacheRoots: string[];
}

export const hostPathUnderCacheRoot: ResourceValidationPolicy = {
  name: "host-path-under-cache-root",
  description: "Serving pods mount host paths only under the model-cache root, and read-only in serving containers.",
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
    const under = (path: string) => cacheRoots.some((root) => path === root || path.startsWith(`${root.replace(/\/$/, "")}/`));
    for (const view of servingPods(args.type, args.props)) {
      const where = `${objectName(args.type, args.props, args.name)} ${view.path}`;
      const hostVolumes = new Set<string>();
      for (const v of volumesOf(view.spec)) {
        if (v?.hostPath === undefined) {
          continue;
        }
        hostVolumes.add(String(v.name));
        if (!under(String(v.hostPath.path))) {
          report(`${where}: hostPath volume ${v.name} (${v.hostPath.path}) is outside the model-cache roots ${cacheRoots.join(", ")}. Serving pods may only reach the cache.`);
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
const S3_BUCKET_TYPES = ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"];

export const snapshotBucketProtected: StackValidationPolicy = {
  name: "snapshot-bucket-protected",
  description: "Snapshot-store buckets are private, encrypted and versioned.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const dependents = (bucket: PolicyResource, type: string) =>
      args.resources.filter((r) => r.type === type && r.dependencies.some((d) => d.urn === bucket.urn));
    for (const bucket of args.resources.filter((r) => S3_BUCKET_TYPES.includes(r.type) && r.props?.tags?.[SNAPSHOT_TAG] === "snapshot-store")) {
      const block = dependents(bucket, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0]?.props;
      if (!block || !["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every((k) => block[k] === true)) {
        report(`S3 bucket ${bucket.name} holds model snapshots but has no public access block with all four settings true. Add an aws.s3.BucketPublicAccessBlock.`, bucket.urn);
      }
      const sse = [
        ...dependents(bucket, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"),
        ...dependents(bucket, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"),
      ];
      if (sse.length === 0) {
        report(`S3 bucket ${bucket.name} holds model snapshots without a server-side encryption configuration. Add SSE-KMS or SSE-S3.`, bucket.urn);
      }
      const versioning = [
        ...dependents(bucket, "aws:s3/bucketVersioning:BucketVersioning"),
        ...dependents(bucket, "aws:s3/bucketVersioningV2:BucketVersioningV2"),
      ];
      if (!versioning.some((v) => v.props?.versioningConfiguration?.status === "Enabled")) {
        report(`S3 bucket ${bucket.name} holds model snapshots without versioning enabled. Add aws.s3.BucketVersioning with status Enabled.`, bucket.urn);
      }
    }
    for (const bucket of args.resources.filter((r) => r.type === "gcp:storage/bucket:Bucket" && r.props?.labels?.[SNAPSHOT_LABEL] === "snapshot-store")) {
      const p = bucket.props;
      if (p.publicAccessPrevention !== "enforced" || p.uniformBucketLevelAccess !== true) {
        report(`GCS bucket ${bucket.name} holds model snapshots but is not private (publicAccessPrevention: enforced and uniformBucketLevelAccess: true).`, bucket.urn);
      }
      if (p.versioning?.enabled !== true) {
        report(`GCS bucket ${bucket.name} holds model snapshots without versioning. Set versioning.enabled: true.`, bucket.urn);
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

export const revisionPinned: ResourceValidationPolicy = {
  name: "model-revision-pinned",
  description: "Hugging Face model revisions are pinned to an immutable 40-hex commit, so every node serves the same weights.",
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    const facts = platformFactsOf(args);
    for (const m of (facts?.models ?? []).filter((m) => m.sourceUri.startsWith("hf://") && !COMMIT.test(m.revision ?? ""))) {
      report(`model ${m.name} (${m.sourceUri}) revision ${m.revision === undefined ? "is not set" : `"${m.revision}" is not a commit hash`}; a branch or tag can move. Set source.revision to the 40-character commit.`);
    }
  },
};

export const storagePolicies = [noNetworkFsWeights, noNodePinnedWeights, hostPathUnderCacheRoot, nvmeCapacity, snapshotBucketProtected, volumesEncrypted, restoreTimeSlo, revisionPinned];

import type { GpuPoolDescriptor } from "../cluster/pool-descriptor";
import type { ResolvedModel } from "../config";
import { isCommitHash } from "../config/revision";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IEnvFromSource } from "kubernetes-models/v1/EnvFromSource";
import type { ISecurityContext } from "kubernetes-models/v1/SecurityContext";
import type { IVolumeMount } from "kubernetes-models/v1/VolumeMount";
import type { Named } from "../named-object";
import type { Container, CronJob, DaemonSet, EnvVar, Job, JobSpec, PodSpec, Volume } from "../workload-kinds";
import { images, imageRef } from "../versions";
import { CACHE_MOUNT, cacheRoot, modelId, rcloneEnv, rclonePath, revisionDir, SCRIPTS_MOUNT, snapshotsRoot, SnapshotStore } from "./snapshot";

// Pod parts and workloads of the snapshot-restore cache. Pure builders; the ModelCache component
// and the model services register them.

export interface CacheSettings {
  readonly store: SnapshotStore;
  /** Secret with store credentials as environment variables; ambient identity when absent. */
  readonly credentialsSecret?: string;
  readonly verifyChecksums: boolean;
  readonly transfers: number;
  readonly pruneGraceHours: number;
  /** ConfigMap holding restore.sh, seed.sh and prune.sh. */
  readonly scriptsConfigMap: string;
}

export const SCRIPTS_VOLUME = "cache-scripts";
export const CACHE_ROOT_VOLUME = "cache-root";
export const WEIGHTS_VOLUME = "model-weights";
/** The path KServe's presets serve the model from (`vllm serve /mnt/models`). */
export const MODEL_MOUNT = "/mnt/models";

/** Root runs the transfers: the NVMe array belongs to root, and no capability is needed for that. */
const RESTORE_SECURITY: ISecurityContext = { runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

/** A container's store access: rclone's environment, and the credentials Secret when there is one. */
interface StoreEnv {
  readonly env: EnvVar[];
  readonly envFrom?: IEnvFromSource[];
}

function storeEnv(settings: CacheSettings, role: "reader" | "seeder" = "reader"): StoreEnv {
  return {
    env: rcloneEnv(settings.store, role),
    ...(settings.credentialsSecret ? { envFrom: [{ secretRef: { name: settings.credentialsSecret } }] } : {}),
  };
}

/**
 * True when the model's revision is a moving ref (a branch or tag, allowed in dev only): the
 * seeder resolves it to a commit and writes a ref pointer, restores follow that pointer.
 */
export function isMovingRef(model: ResolvedModel): boolean {
  return model.source.revision !== undefined && !isCommitHash(model.source.revision);
}

/** Transfer settings every restore shares (a pod's init container and the pre-warm loop alike). */
function restoreSettingsEnv(settings: CacheSettings): EnvVar[] {
  return [
    { name: "CACHE_ROOT", value: CACHE_MOUNT },
    { name: "VERIFY_CHECKSUMS", value: settings.verifyChecksums ? "1" : "0" },
    { name: "TRANSFERS", value: String(settings.transfers) },
  ];
}

const RESTORE_RESOURCES = { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "4Gi" } };

/** The init container that makes the revision complete on the node before vLLM starts. */
export function restoreContainer(model: ResolvedModel, settings: CacheSettings, name = "restore-weights"): Container {
  const id = modelId(model.source.uri);
  const revision = model.source.revision ?? "";
  const base = storeEnv(settings);
  const [root, ...transfer] = restoreSettingsEnv(settings);
  return {
    name,
    image: imageRef(images.rclone),
    command: ["sh", `${SCRIPTS_MOUNT}/restore.sh`],
    ...base,
    env: [
      root,
      { name: "MODEL_ID", value: id },
      { name: "REVISION", value: revision },
      { name: "SNAPSHOT", value: rclonePath(settings.store, id, revision) },
      ...(isMovingRef(model) ? [{ name: "MOVING_REF", value: "1" }] : []),
      ...transfer,
      ...base.env,
    ],
    resources: RESTORE_RESOURCES,
    securityContext: RESTORE_SECURITY,
    volumeMounts: [
      { name: CACHE_ROOT_VOLUME, mountPath: CACHE_MOUNT },
      { name: SCRIPTS_VOLUME, mountPath: SCRIPTS_MOUNT, readOnly: true },
    ],
  };
}

function scriptsVolume(settings: CacheSettings): Volume {
  return { name: SCRIPTS_VOLUME, configMap: { name: settings.scriptsConfigMap, defaultMode: 0o555 } };
}

/** What a serving pod on an NVMe pool adds: restore init container, host volumes, read-only mount. */
export function nvmeServingParts(
  model: ResolvedModel,
  pool: GpuPoolDescriptor,
  settings: CacheSettings,
): { initContainers: Container[]; volumes: Volume[]; mainVolumeMounts: IVolumeMount[] } {
  if (pool.nvme === undefined) {
    throw new Error(`pool ${pool.name} has no NVMe array for the model cache`);
  }
  const root = cacheRoot(pool.nvme.mountPath);
  const id = modelId(model.source.uri);
  return {
    initContainers: [restoreContainer(model, settings)],
    volumes: [
      { name: CACHE_ROOT_VOLUME, hostPath: { path: root, type: "DirectoryOrCreate" } },
      // The revision directory is published by rename before vLLM starts; DirectoryOrCreate only
      // matters on a node that has never held it, where restore.sh replaces the empty directory.
      // For a moving ref (dev) the path is restore.sh's symlink to the commit it restored; the
      // container runtime resolves it when vLLM's container is created, after the restore.
      { name: WEIGHTS_VOLUME, hostPath: { path: revisionDir(root, id, model.source.revision ?? ""), type: "DirectoryOrCreate" } },
      scriptsVolume(settings),
    ],
    mainVolumeMounts: [{ name: WEIGHTS_VOLUME, mountPath: MODEL_MOUNT, readOnly: true }],
  };
}

/** Seeder Job name: derived from model and revision, within the 63 characters of a label value. */
export function seederJobName(model: string, revision: string, maxLength = 63): string {
  const rev = revision.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 8) || "rev";
  return `seed-${model}-${rev}`.slice(0, maxLength).replace(/-+$/, "");
}

/** How often a dev seeder re-resolves a moving ref (and seeds the new commit when it moved). */
export const RESEED_SCHEDULE = "0 * * * *";

export interface SeederOptions {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Secret holding the Hugging Face token under key `token`, if any. */
  readonly hfTokenSecret?: string;
  readonly labels: Record<string, string>;
  /**
   * The model's GPU pool: the seeder runs on one of its nodes, whose ephemeral storage is the
   * local NVMe array on the nodes the platform builds. Absent for a model without a pool.
   */
  readonly pool?: GpuPoolDescriptor;
  /** Scratch space for one download, in bytes (seeding.ts seedScratchBytes). */
  readonly scratchBytes: number;
}

const WORK_MOUNT = "/work";
const COMMIT_FILE = `${WORK_MOUNT}/commit`;
const SEEDED_FLAG = `${WORK_MOUNT}/.seeded`;

// Resolves a moving ref to the commit it points at now, with the token when there is one.
const RESOLVE_REF_PY = [
  "import os, sys",
  "from huggingface_hub import HfApi",
  'sha = HfApi().model_info(os.environ["REPO"], revision=os.environ["REVISION"]).sha',
  'if not sha or len(sha) != 40: sys.exit("cannot resolve %s@%s to a commit" % (os.environ["REPO"], os.environ["REVISION"]))',
  'open(os.environ["COMMIT_FILE"], "w").write(sha + "\\n")',
  'print("%s@%s is %s" % (os.environ["REPO"], os.environ["REVISION"], sha))',
].join("\n");

/**
 * The seeder's pod: fills the snapshot of one model revision once. check-seeded runs seed.sh
 * with CHECK_ONLY (the marker is looked for in the snapshot's listing: on S3 and GCS listing a
 * missing object succeeds with no output); download fetches the revision from Hugging Face only
 * when it is missing; seed uploads it with its manifest and writes the marker last. A moving ref
 * (dev) is first resolved to a commit, the snapshot is that commit's, and seed.sh then points the
 * ref at it. The pod runs on the model's pool and downloads into an emptyDir sized from the
 * checkpoint, with the same ephemeral-storage request so the scheduler only picks a node that
 * holds it.
 */
export function seederPodSpec(model: ResolvedModel, settings: CacheSettings, options: SeederOptions): PodSpec {
  const id = modelId(model.source.uri);
  const revision = model.source.revision ?? "";
  const snapshot = rclonePath(settings.store, id, revision);
  const store = storeEnv(settings, "seeder");
  const moving = isMovingRef(model);
  const security: ISecurityContext = { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
  const work: IVolumeMount[] = [{ name: "work", mountPath: WORK_MOUNT }];
  const scripts: IVolumeMount = { name: SCRIPTS_VOLUME, mountPath: SCRIPTS_MOUNT, readOnly: true };
  const scratch = `${Math.ceil(options.scratchBytes / 1e9)}G`;
  const storage = { "ephemeral-storage": scratch };
  const token: EnvVar[] = options.hfTokenSecret ? [{ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: options.hfTokenSecret, key: "token" } } }] : [];
  const hubEnv = [
    { name: "REPO", value: id },
    { name: "REVISION", value: revision },
    { name: "HOME", value: WORK_MOUNT },
    { name: "HF_HUB_DISABLE_TELEMETRY", value: "1" },
    ...token,
  ];
  const resolved = moving ? [{ name: "RESOLVED_COMMIT_FILE", value: COMMIT_FILE }] : [];
  const resolve: Container = {
    name: "resolve-ref",
    image: imageRef(images.seederDownloader),
    command: ["python3", "-c", RESOLVE_REF_PY],
    env: [...hubEnv, { name: "COMMIT_FILE", value: COMMIT_FILE }],
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } },
    securityContext: security,
    volumeMounts: work,
  };
  return {
    restartPolicy: "Never",
    serviceAccountName: options.serviceAccount,
    ...(options.pool ? { nodeSelector: { ...options.pool.nodeSelector }, tolerations: options.pool.tolerations.map((t) => ({ ...t })) } : {}),
    securityContext: { runAsNonRoot: true, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
    initContainers: [
      ...(moving ? [resolve] : []),
      {
        name: "check-seeded",
        image: imageRef(images.rclone),
        command: ["sh", `${SCRIPTS_MOUNT}/seed.sh`],
        ...store,
        env: [
          { name: "SNAPSHOT", value: snapshot },
          { name: "CHECK_ONLY", value: "1" },
          { name: "SEEDED_FLAG", value: SEEDED_FLAG },
          ...resolved,
          { name: "HOME", value: WORK_MOUNT },
          ...store.env,
        ],
        resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } },
        securityContext: security,
        volumeMounts: [...work, scripts],
      },
      {
        name: "download",
        image: imageRef(images.seederDownloader),
        command: [
          "sh",
          "-c",
          // A resolved ref downloads the commit itself, so a ref moving meanwhile changes nothing.
          `[ -f ${SEEDED_FLAG} ] || hf download "$REPO" --revision "$(cat ${COMMIT_FILE} 2>/dev/null || echo "$REVISION")" --local-dir ${WORK_MOUNT}/src --exclude "original/*"`,
        ],
        env: hubEnv,
        resources: { requests: { cpu: "2", memory: "4Gi", ...storage }, limits: { memory: "8Gi" } },
        securityContext: security,
        volumeMounts: work,
      },
    ],
    containers: [
      {
        name: "seed",
        image: imageRef(images.rclone),
        command: ["sh", `${SCRIPTS_MOUNT}/seed.sh`],
        ...store,
        env: [
          { name: "SOURCE_DIR", value: `${WORK_MOUNT}/src` },
          { name: "SNAPSHOT", value: snapshot },
          ...resolved,
          { name: "TRANSFERS", value: String(settings.transfers) },
          { name: "HOME", value: WORK_MOUNT },
          ...store.env,
        ],
        resources: { requests: { cpu: "2", memory: "2Gi", ...storage }, limits: { memory: "4Gi" } },
        securityContext: security,
        volumeMounts: [...work, scripts],
      },
    ],
    volumes: [{ name: "work", emptyDir: { sizeLimit: scratch } }, scriptsVolume(settings)],
  };
}

function seederMetadata(model: ResolvedModel, settings: CacheSettings, options: SeederOptions, name: string) {
  const id = modelId(model.source.uri);
  return {
    name,
    namespace: options.namespace,
    labels: { ...options.labels, "llm-platform.io/model": model.name, "app.kubernetes.io/component": "model-seeder" },
    // Seeding a large model takes longer than an `up` should block; restores retry until it is done.
    annotations: { "pulumi.com/skipAwait": "true", "llm-platform.io/snapshot": rclonePath(settings.store, id, model.source.revision ?? "") },
  };
}

function seederJobSpec(model: ResolvedModel, settings: CacheSettings, options: SeederOptions): JobSpec {
  return {
    backoffLimit: 4,
    ttlSecondsAfterFinished: 86400,
    template: {
      metadata: { labels: { "app.kubernetes.io/component": "model-seeder", "llm-platform.io/model": model.name } },
      spec: seederPodSpec(model, settings, options),
    },
  };
}

/**
 * A Job that fills the snapshot of one model revision once (see seederPodSpec). Runs to
 * completion on its own; `pulumi up` does not wait for it.
 */
export function seederJob(model: ResolvedModel, settings: CacheSettings, options: SeederOptions): Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: seederMetadata(model, settings, options, seederJobName(model.name, model.source.revision ?? "")),
    spec: seederJobSpec(model, settings, options),
  };
}

/**
 * For a moving ref (dev): the same seeder every hour, so a ref that moved is resolved again, its
 * new commit seeded and the ref pointed at it; restores then follow. The Job of seederJob seeds
 * at `up`; this one keeps the snapshot following the ref. A CronJob's name has 52 characters.
 */
export function seederCronJob(model: ResolvedModel, settings: CacheSettings, options: SeederOptions): CronJob {
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: seederMetadata(model, settings, options, `re${seederJobName(model.name, model.source.revision ?? "", 50)}`),
    spec: {
      schedule: RESEED_SCHEDULE,
      concurrencyPolicy: "Forbid",
      successfulJobsHistoryLimit: 1,
      failedJobsHistoryLimit: 2,
      jobTemplate: { spec: { ...seederJobSpec(model, settings, options), ttlSecondsAfterFinished: 3600 } },
    },
  };
}

export interface PrewarmOptions {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly labels: Record<string, string>;
}

/** Name of the ConfigMap listing the revisions a pool's pre-warm loop keeps on each node. */
export function prewarmConfigMapName(pool: string): string {
  return `llm-prewarm-${pool}`;
}
/** Its key, mounted as a file the loop reads again on every pass. */
export const PREWARM_MODELS_KEY = "models";
const PREWARM_CONFIG_VOLUME = "prewarm-models";
const PREWARM_CONFIG_MOUNT = "/etc/llm-prewarm";

/** The configured list of prewarm.sh: "<model-id>\t<revision>\t<commit|ref>" per revision. */
export function prewarmModelsList(models: readonly ResolvedModel[]): string {
  const lines = new Set(models.map((m) => `${modelId(m.source.uri)}\t${m.source.revision ?? ""}\t${isMovingRef(m) ? "ref" : "commit"}`));
  return [...lines].map((l) => `${l}\n`).join("");
}

/** The pool's configured list as a ConfigMap: adding a model changes this object only. */
export function prewarmConfigMap(pool: GpuPoolDescriptor, models: readonly ResolvedModel[], options: Pick<PrewarmOptions, "namespace" | "labels">): Named<IConfigMap> {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: prewarmConfigMapName(pool.name), namespace: options.namespace, labels: { ...options.labels, "llm-platform.io/pool": pool.name } },
    data: { [PREWARM_MODELS_KEY]: prewarmModelsList(models) },
  };
}

/**
 * Per GPU pool: on every node, a loop (prewarm.sh) that restores the revisions listed in the
 * pool's ConfigMap as the node joins and whenever the list grows, and prunes revisions no longer
 * listed once no pod has started from them for the grace period. Nothing about the models is in
 * the pod template, so adding or removing one restarts no pre-warm pod; a restarted pod checks
 * the cached copies by marker and sizes, hashing only what it copies.
 */
export function prewarmDaemonSet(pool: GpuPoolDescriptor, settings: CacheSettings, options: PrewarmOptions): DaemonSet {
  if (pool.nvme === undefined) {
    throw new Error(`pool ${pool.name} has no NVMe array to pre-warm`);
  }
  const selector = { "app.kubernetes.io/name": "llm-prewarm", "llm-platform.io/pool": pool.name };
  const base = storeEnv(settings);
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: `prewarm-${pool.name}`, namespace: options.namespace, labels: { ...options.labels, ...selector } },
    spec: {
      selector: { matchLabels: selector },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "100%" } },
      template: {
        metadata: { labels: selector },
        spec: {
          nodeSelector: { ...pool.nodeSelector },
          tolerations: pool.tolerations.map((t) => ({ ...t })),
          serviceAccountName: options.serviceAccount,
          securityContext: { seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "prewarm",
              image: imageRef(images.rclone),
              command: ["sh", `${SCRIPTS_MOUNT}/prewarm.sh`],
              ...base,
              env: [
                ...restoreSettingsEnv(settings),
                { name: "MODELS_FILE", value: `${PREWARM_CONFIG_MOUNT}/${PREWARM_MODELS_KEY}` },
                { name: "SNAPSHOT_ROOT", value: snapshotsRoot(settings.store) },
                { name: "IN_USE_GRACE_MINUTES", value: String(settings.pruneGraceHours * 60) },
                ...base.env,
              ],
              resources: RESTORE_RESOURCES,
              securityContext: RESTORE_SECURITY,
              volumeMounts: [
                { name: CACHE_ROOT_VOLUME, mountPath: CACHE_MOUNT },
                { name: SCRIPTS_VOLUME, mountPath: SCRIPTS_MOUNT, readOnly: true },
                { name: PREWARM_CONFIG_VOLUME, mountPath: PREWARM_CONFIG_MOUNT, readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: CACHE_ROOT_VOLUME, hostPath: { path: cacheRoot(pool.nvme.mountPath), type: "DirectoryOrCreate" } },
            scriptsVolume(settings),
            { name: PREWARM_CONFIG_VOLUME, configMap: { name: prewarmConfigMapName(pool.name) } },
          ],
        },
      },
    },
  };
}

/** vLLM streaming the weights from the store (mode `stream`): the preset's command is replaced. */
export function streamingCommand(model: ResolvedModel, settings: CacheSettings): { command: string[]; env: EnvVar[]; envFrom?: IEnvFromSource[] } {
  const id = modelId(model.source.uri);
  const url = `${settings.store.provider === "s3" ? "s3" : "gs"}://${settings.store.bucket}/models/${id}/${model.source.revision ?? ""}`;
  return {
    command: [
      "vllm",
      "serve",
      url,
      "--load-format=runai_streamer",
      `--served-model-name=${model.servedModelName}`,
      "--port=8000",
      `--tensor-parallel-size=${model.tensorParallel}`,
    ],
    env: [
      { name: "RUNAI_STREAMER_CONCURRENCY", value: "32" },
      ...(settings.store.region ? [{ name: "AWS_DEFAULT_REGION", value: settings.store.region }] : []),
      ...(settings.store.endpoint ? [{ name: "AWS_ENDPOINT_URL", value: settings.store.endpoint }] : []),
    ],
    ...(settings.credentialsSecret ? { envFrom: [{ secretRef: { name: settings.credentialsSecret } }] } : {}),
  };
}

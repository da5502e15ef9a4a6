import type { GpuPoolDescriptor } from "../cluster/pool-descriptor";
import type { ResolvedModel } from "../config";
import type { KubeObject } from "../kube-object";
import { images, imageRef } from "../addons/versions";
import { CACHE_MOUNT, cacheRoot, modelId, rcloneEnv, rclonePath, revisionDir, SCRIPTS_MOUNT, SnapshotStore } from "./snapshot";

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
const RESTORE_SECURITY = { runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

function storeEnv(settings: CacheSettings): Record<string, unknown> {
  return {
    env: rcloneEnv(settings.store),
    ...(settings.credentialsSecret ? { envFrom: [{ secretRef: { name: settings.credentialsSecret } }] } : {}),
  };
}

/** The init container that makes the revision complete on the node before vLLM starts. */
export function restoreContainer(model: ResolvedModel, settings: CacheSettings, name = "restore-weights"): Record<string, unknown> {
  const id = modelId(model.source.uri);
  const revision = model.source.revision ?? "";
  const base = storeEnv(settings);
  return {
    name,
    image: imageRef(images.rclone),
    command: ["sh", `${SCRIPTS_MOUNT}/restore.sh`],
    ...base,
    env: [
      { name: "CACHE_ROOT", value: CACHE_MOUNT },
      { name: "MODEL_ID", value: id },
      { name: "REVISION", value: revision },
      { name: "SNAPSHOT", value: rclonePath(settings.store, id, revision) },
      { name: "VERIFY_CHECKSUMS", value: settings.verifyChecksums ? "1" : "0" },
      { name: "TRANSFERS", value: String(settings.transfers) },
      ...(base.env as object[]),
    ],
    resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { memory: "4Gi" } },
    securityContext: RESTORE_SECURITY,
    volumeMounts: [
      { name: CACHE_ROOT_VOLUME, mountPath: CACHE_MOUNT },
      { name: SCRIPTS_VOLUME, mountPath: SCRIPTS_MOUNT, readOnly: true },
    ],
  };
}

function scriptsVolume(settings: CacheSettings): Record<string, unknown> {
  return { name: SCRIPTS_VOLUME, configMap: { name: settings.scriptsConfigMap, defaultMode: 0o555 } };
}

/** What a serving pod on an NVMe pool adds: restore init container, host volumes, read-only mount. */
export function nvmeServingParts(model: ResolvedModel, pool: GpuPoolDescriptor, settings: CacheSettings) {
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
      { name: WEIGHTS_VOLUME, hostPath: { path: revisionDir(root, id, model.source.revision ?? ""), type: "DirectoryOrCreate" } },
      scriptsVolume(settings),
    ],
    mainVolumeMounts: [{ name: WEIGHTS_VOLUME, mountPath: MODEL_MOUNT, readOnly: true }],
  };
}

/** Seeder Job name: derived from model and revision, within the 63 characters of a label value. */
export function seederJobName(model: string, revision: string): string {
  const rev = revision.toLowerCase().replace(/[^a-z0-9]/g, "").slice(0, 8) || "rev";
  return `seed-${model}-${rev}`.slice(0, 63).replace(/-+$/, "");
}

export interface SeederOptions {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Secret holding the Hugging Face token under key `token`, if any. */
  readonly hfTokenSecret?: string;
  readonly labels: Record<string, string>;
  /** Scratch space for one download, in GB. */
  readonly scratchGB: number;
}

/**
 * A Job that fills the snapshot of one model revision once: check the store's marker, download
 * the revision from Hugging Face if it is missing, then seed.sh uploads it with its manifest and
 * writes the marker last. Runs to completion on its own; `pulumi up` does not wait for it.
 */
export function seederJob(model: ResolvedModel, settings: CacheSettings, options: SeederOptions): KubeObject {
  const id = modelId(model.source.uri);
  const revision = model.source.revision ?? "";
  const snapshot = rclonePath(settings.store, id, revision);
  const store = storeEnv(settings);
  const security = { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
  const work = [{ name: "work", mountPath: "/work" }];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: seederJobName(model.name, revision),
      namespace: options.namespace,
      labels: { ...options.labels, "llm-platform.io/model": model.name, "app.kubernetes.io/component": "model-seeder" },
      // Seeding a large model takes longer than an `up` should block; restores retry until it is done.
      annotations: { "pulumi.com/skipAwait": "true", "llm-platform.io/snapshot": snapshot },
    },
    spec: {
      backoffLimit: 4,
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels: { "app.kubernetes.io/component": "model-seeder", "llm-platform.io/model": model.name } },
        spec: {
          restartPolicy: "Never",
          serviceAccountName: options.serviceAccount,
          securityContext: { runAsNonRoot: true, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
          initContainers: [
            {
              name: "check-seeded",
              image: imageRef(images.rclone),
              command: ["sh", "-c", 'if rclone lsf "$SNAPSHOT/.llm-platform-complete" >/dev/null 2>&1; then touch /work/.seeded; fi'],
              ...store,
              env: [{ name: "SNAPSHOT", value: snapshot }, { name: "HOME", value: "/work" }, ...(store.env as object[])],
              securityContext: security,
              volumeMounts: work,
            },
            {
              name: "download",
              image: imageRef(images.seederDownloader),
              command: [
                "sh",
                "-c",
                '[ -f /work/.seeded ] || hf download "$REPO" --revision "$REVISION" --local-dir /work/src --exclude "original/*"',
              ],
              env: [
                { name: "REPO", value: id },
                { name: "REVISION", value: revision },
                { name: "HOME", value: "/work" },
                { name: "HF_HUB_DISABLE_TELEMETRY", value: "1" },
                ...(options.hfTokenSecret ? [{ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: options.hfTokenSecret, key: "token" } } }] : []),
              ],
              resources: { requests: { cpu: "2", memory: "4Gi" }, limits: { memory: "8Gi" } },
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
                { name: "SOURCE_DIR", value: "/work/src" },
                { name: "SNAPSHOT", value: snapshot },
                { name: "TRANSFERS", value: String(settings.transfers) },
                { name: "HOME", value: "/work" },
                ...(store.env as object[]),
              ],
              resources: { requests: { cpu: "2", memory: "2Gi" }, limits: { memory: "4Gi" } },
              securityContext: security,
              volumeMounts: [...work, { name: SCRIPTS_VOLUME, mountPath: SCRIPTS_MOUNT, readOnly: true }],
            },
          ],
          volumes: [{ name: "work", emptyDir: { sizeLimit: `${Math.ceil(options.scratchGB)}G` } }, scriptsVolume(settings)],
        },
      },
    },
  };
}

export interface PrewarmOptions {
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly labels: Record<string, string>;
}

/**
 * Per GPU pool: restores the pool's models on every node as it joins (one init container per
 * model), then prunes revisions no longer configured once no pod has started from them for the
 * grace period, every 15 minutes.
 */
export function prewarmDaemonSet(pool: GpuPoolDescriptor, models: readonly ResolvedModel[], settings: CacheSettings, options: PrewarmOptions): KubeObject {
  if (pool.nvme === undefined) {
    throw new Error(`pool ${pool.name} has no NVMe array to pre-warm`);
  }
  const selector = { "app.kubernetes.io/name": "llm-prewarm", "llm-platform.io/pool": pool.name };
  const configured = models.map((m) => `${modelId(m.source.uri)}@${m.source.revision ?? ""}`).join(" ");
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
          initContainers: models.map((m, i) => restoreContainer(m, settings, `restore-${i}`)),
          containers: [
            {
              name: "prune",
              image: imageRef(images.rclone),
              command: ["sh", "-c", `while :; do sh ${SCRIPTS_MOUNT}/prune.sh; sleep 900; done`],
              env: [
                { name: "CACHE_ROOT", value: CACHE_MOUNT },
                { name: "CONFIGURED", value: configured },
                { name: "IN_USE_GRACE_MINUTES", value: String(settings.pruneGraceHours * 60) },
              ],
              resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
              securityContext: RESTORE_SECURITY,
              volumeMounts: [
                { name: CACHE_ROOT_VOLUME, mountPath: CACHE_MOUNT },
                { name: SCRIPTS_VOLUME, mountPath: SCRIPTS_MOUNT, readOnly: true },
              ],
            },
          ],
          volumes: [{ name: CACHE_ROOT_VOLUME, hostPath: { path: cacheRoot(pool.nvme.mountPath), type: "DirectoryOrCreate" } }, scriptsVolume(settings)],
        },
      },
    },
  };
}

/** vLLM streaming the weights from the store (mode `stream`): the preset's command is replaced. */
export function streamingCommand(model: ResolvedModel, settings: CacheSettings): { command: string[]; env: object[]; envFrom?: object[] } {
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

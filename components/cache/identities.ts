// The identities that read the snapshot store, each scoped to the model prefixes it restores.
// Pure: the cluster makes one cloud identity per reader (an IAM role on EKS, a Google service
// account on GKE) and the model cache one Kubernetes ServiceAccount per reader, from this list.
import type { ResolvedModel } from "../config";
import { modelId, SNAPSHOTS_PREFIX } from "./snapshot";

export interface CacheReader {
  /** `model`: one model service's pods (restore init container, or vLLM streaming); `prewarm`: a pool's pre-warm DaemonSet. */
  readonly kind: "model" | "prewarm";
  /** The model service or GPU pool it serves. */
  readonly name: string;
  /** Its Kubernetes ServiceAccount in the models namespace. */
  readonly serviceAccount: string;
  /** Model ids whose snapshots it reads (`models/<id>/` in the bucket), sorted, without repeats. */
  readonly modelIds: readonly string[];
}

/** ServiceAccount of one model service's pods, which read only that model's snapshots. */
export function modelReaderServiceAccount(model: string): string {
  return `llm-cache-reader-${model}`;
}

/** ServiceAccount of a pool's pre-warm DaemonSet, which reads the snapshots of the pool's cached models. */
export function prewarmServiceAccount(pool: string): string {
  return `llm-cache-prewarm-${pool}`;
}

/**
 * Key prefix of every snapshot of a model (all its revisions and, for a moving ref, its ref
 * pointers): `models/<id>/`. The trailing '/' keeps `org/name` from also matching `org/name-2`.
 */
export function modelKeyPrefix(id: string): string {
  return `${SNAPSHOTS_PREFIX}${id}/`;
}

/** The models a pre-warm DaemonSet keeps on a pool's nodes: NVMe-cached models with a pool. */
export function prewarmedModelsByPool(models: readonly ResolvedModel[]): Map<string, ResolvedModel[]> {
  const byPool = new Map<string, ResolvedModel[]>();
  for (const model of models) {
    if (model.cacheMode === "nvme" && model.pool !== undefined) {
      byPool.set(model.pool, [...(byPool.get(model.pool) ?? []), model]);
    }
  }
  return byPool;
}

const ids = (models: readonly ResolvedModel[]) => [...new Set(models.map((m) => modelId(m.source.uri)))].sort();

/**
 * Every reader of the store for these models: one per model service whose weights come from the
 * cache (nvme or stream), reading that model's prefix only, and one per pool with NVMe-cached
 * models, reading the prefixes of those models. Models with the cache off read nothing.
 */
export function cacheReaders(models: readonly ResolvedModel[]): CacheReader[] {
  const perModel = models
    .filter((m) => m.cacheMode !== "off")
    .map((m): CacheReader => ({ kind: "model", name: m.name, serviceAccount: modelReaderServiceAccount(m.name), modelIds: ids([m]) }));
  const perPool = [...prewarmedModelsByPool(models)].map(
    ([pool, pooled]): CacheReader => ({ kind: "prewarm", name: pool, serviceAccount: prewarmServiceAccount(pool), modelIds: ids(pooled) }),
  );
  return [...perModel, ...perPool];
}

/** The ServiceAccounts of the pods that mount the NVMe cache: NVMe models' readers and the pre-warm DaemonSets'. */
export function hostPathServiceAccounts(models: readonly ResolvedModel[]): string[] {
  const nvme = new Set(models.filter((m) => m.cacheMode === "nvme" && m.pool !== undefined).map((m) => m.name));
  return cacheReaders(models)
    .filter((r) => r.kind === "prewarm" || nvme.has(r.name))
    .map((r) => r.serviceAccount)
    .sort();
}

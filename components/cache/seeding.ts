// What seeding a model revision needs before anything is registered: a Hugging Face token for
// gated repositories, and a node of the model's pool with room for one download. Pure functions
// over the resolved config; the program reports their issues with the config's.
import { CatalogModelName, modelCatalog, ModelArchitecture } from "../catalog";
import type { ConfigIssue, PlatformConfig, ResolvedModel, ResolvedPool } from "../config";
import { HF_TOKEN_CONFIG_KEY } from "../config";
import { weightBytes } from "../sizing";
import { modelId } from "./snapshot";

/**
 * Catalog models whose Hugging Face repositories are gated (the hub answers 401/403 without a
 * token of an account that accepted the licence): Meta's Llama licence and Mistral's terms.
 */
export const GATED_CATALOG_MODELS: readonly CatalogModelName[] = ["llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "mixtral-8x7b"];
/** Organisations every repository of which is gated. */
export const GATED_ORGANISATIONS: readonly string[] = ["meta-llama"];

/** True when the repository (`org/name`) is known to need a token to download. */
export function isGatedRepo(id: string): boolean {
  const lower = id.toLowerCase();
  return (
    GATED_ORGANISATIONS.some((org) => lower.startsWith(`${org.toLowerCase()}/`)) ||
    GATED_CATALOG_MODELS.some((name) => modelCatalog[name].source.toLowerCase() === lower)
  );
}

/** Room one download takes beyond the checkpoint: Hugging Face metadata, tokenizer, small files. */
export const SCRATCH_HEADROOM = 1.1;
export const SCRATCH_EXTRA_BYTES = 2e9;
/**
 * What a GPU node's ephemeral storage holds besides the cache and the seeder's download: the
 * serving images unpacked (vLLM's is about 20 GB), pod logs, kubelet's own files.
 */
export const NODE_RESERVED_BYTES = 50e9;

/** Bytes of the published checkpoint, which the seeder downloads whatever dtype vLLM serves. */
export function checkpointBytes(architecture: ModelArchitecture): number {
  return weightBytes(architecture, architecture.dtype);
}

/** Scratch space one seeder download needs, in bytes. */
export function seedScratchBytes(architecture: ModelArchitecture): number {
  return Math.ceil(checkpointBytes(architecture) * SCRATCH_HEADROOM + SCRATCH_EXTRA_BYTES);
}

/** The models the cache seeds: one per source revision (two services of one revision share it). */
export function seededModels(models: readonly ResolvedModel[]): { model: ResolvedModel; index: number }[] {
  const seen = new Set<string>();
  const out: { model: ResolvedModel; index: number }[] = [];
  models.forEach((model, index) => {
    const key = `${model.source.uri}@${model.source.revision ?? ""}`;
    if (model.cacheMode === "off" || seen.has(key)) {
      return;
    }
    seen.add(key);
    out.push({ model, index });
  });
  return out;
}

/**
 * Ephemeral storage of one node of the pool, where the seeder's emptyDir lives, in bytes; undefined
 * when the platform cannot know it (an existing cluster's pool without a local NVMe array). On the
 * nodes the platform builds, kubelet's directory is on the NVMe array when there is one (nodeadm
 * RAID0, Bottlerocket ephemeral storage, GKE ephemeralStorageLocalSsdConfig), else on the root disk.
 */
export function nodeEphemeralBytes(pool: ResolvedPool, cloud: PlatformConfig["cloud"]["provider"]): number | undefined {
  const nvme = pool.hardware.localNvme;
  if (pool.nvme === "raid0" && nvme !== undefined) {
    return nvme.devices * nvme.gbPerDevice * 1e9;
  }
  return cloud === "existing" ? undefined : pool.rootVolumeGiB * 1024 ** 3;
}

const gb = (bytes: number) => `${Math.ceil(bytes / 1e9)} GB`;

/**
 * Problems with seeding the configured models: a gated repository without `llm-platform:hfToken`
 * (the download would fail with 401 in the cluster), and a download that no node of the model's
 * pool has room for next to the pool's cached models.
 */
export function seedingIssues(config: PlatformConfig, options: { readonly hfToken: boolean }): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seeded = seededModels(config.models);
  const gated = seeded.filter(({ model }) => isGatedRepo(modelId(model.source.uri)));
  if (gated.length > 0 && !options.hfToken) {
    const which = gated.map(({ model, index }) => `models[${index}] (${model.source.uri})`).join(", ");
    issues.push({
      path: `llm-platform:${HF_TOKEN_CONFIG_KEY}`,
      message: `is required: the seeder downloads the gated Hugging Face ${gated.length === 1 ? "repository" : "repositories"} of ${which}; set a token of an account that accepted the licence with \`pulumi config set --secret llm-platform:${HF_TOKEN_CONFIG_KEY} hf_...\``,
    });
  }
  const pools = new Map(config.gpuPools.map((p) => [p.name, p]));
  for (const { model, index } of seeded) {
    const pool = model.pool === undefined ? undefined : pools.get(model.pool);
    if (pool === undefined) {
      continue;
    }
    const capacity = nodeEphemeralBytes(pool, config.cloud.provider);
    if (capacity === undefined) {
      continue;
    }
    const cached = seededModels(config.models.filter((m) => m.pool === pool.name && m.cacheMode === "nvme")).reduce(
      (sum, { model: m }) => sum + checkpointBytes(m.architecture),
      0,
    );
    const scratch = seedScratchBytes(model.architecture);
    const free = capacity - cached - NODE_RESERVED_BYTES;
    if (scratch > free) {
      const where = pool.nvme === "raid0" ? "its NVMe array" : `its ${pool.rootVolumeGiB} GiB root disk`;
      issues.push({
        path: `models[${index}].pool`,
        message: `seeding ${model.source.uri} downloads ${gb(scratch)} onto a node of pool "${pool.name}", but ${where} (${gb(capacity)}) leaves ${gb(Math.max(free, 0))} after the pool's cached models (${gb(cached)}) and ${gb(NODE_RESERVED_BYTES)} for images and logs; use a pool with more local storage${pool.nvme === "raid0" ? "" : " or raise rootVolumeGiB"}`,
      });
    }
  }
  return issues;
}

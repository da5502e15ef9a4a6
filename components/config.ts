import { z } from "zod";
import { ConfigIssue, PlatformConfig, resolvePlatform } from "./config/resolve";
import { ParsedModel, ParsedPlatform, ParsedPool, modelSchema, platformSchema, poolSchema } from "./config/schema";

export * from "./config/resolve";
export * from "./config/managed";
export { platformSchema } from "./config/schema";
export type { PlatformInput, Tier } from "./config/schema";

/** The stack-config key that holds the whole platform description. */
export const PLATFORM_CONFIG_KEY = "platform";
/** The secret stack-config key that holds an existing cluster's kubeconfig. */
export const KUBECONFIG_CONFIG_KEY = "kubeconfig";
/** The secret stack-config key that holds the Hugging Face token the seeders use. */
export const HF_TOKEN_CONFIG_KEY = "hfToken";

/** Raised when a platform config has problems; `issues` lists every one of them. */
export class ConfigError extends Error {
  constructor(public readonly issues: readonly ConfigIssue[]) {
    super(
      `llm-platform:${PLATFORM_CONFIG_KEY} has ${issues.length} problem${issues.length === 1 ? "" : "s"}:\n` +
        issues.map((i) => `  ${i.path}: ${i.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((segment, i) => (typeof segment === "number" ? `[${segment}]` : `${i === 0 ? "" : "."}${String(segment)}`))
    .join("");
}

function zodIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): ConfigIssue[] {
  return error.issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: formatPath([...path, key]) || key, message: "is not a known field" }));
    }
    if (issue.code === "invalid_union") {
      return [{ path: formatPath(path) || "(root)", message: "must be a catalog model name or an explicit architecture object" }];
    }
    return [{ path: formatPath(path) || "(root)", message: issue.message }];
  });
}

function itemsOf(raw: unknown, key: string): unknown[] {
  if (typeof raw === "object" && raw !== null && Array.isArray((raw as Record<string, unknown>)[key])) {
    return (raw as Record<string, unknown[]>)[key];
  }
  return [];
}

/**
 * When the structure is wrong somewhere, the cross-field checks still run over the parts that are
 * right, so one run reports every problem rather than the first layer of them.
 */
function crossCheckValidParts(raw: unknown): ConfigIssue[] {
  const lenient = platformSchema.safeParse({
    ...(raw as object),
    gpuPools: [],
    models: [],
  });
  if (!lenient.success) {
    return [];
  }
  const pools = itemsOf(raw, "gpuPools").map((p) => poolSchema.safeParse(p));
  const models = itemsOf(raw, "models").map((m) => modelSchema.safeParse(m));
  const validPools = pools.flatMap((p) => (p.success ? [p.data] : []));
  const validModels = models.flatMap((m) => (m.success ? [m.data] : []));
  const { issues } = resolvePlatform({ ...lenient.data, gpuPools: validPools, models: validModels });
  // Indexes in the partial run refer to the filtered lists; map them back to the originals.
  const poolIndex = pools.flatMap((p, i) => (p.success ? [i] : []));
  const modelIndex = models.flatMap((m, i) => (m.success ? [i] : []));
  const brokenPoolNames = new Set(
    itemsOf(raw, "gpuPools").flatMap((p, i) => (!pools[i].success && typeof (p as ParsedPool)?.name === "string" ? [(p as ParsedPool).name] : [])),
  );
  return issues
    .filter((issue) => {
      // A model naming a pool whose own entry is malformed is reported once, at the pool.
      const m = /^models\[(\d+)\]\.pool$/.exec(issue.path);
      return !(m && brokenPoolNames.has((validModels[Number(m[1])] as ParsedModel).pool ?? ""));
    })
    .map((issue) => ({
      ...issue,
      path: issue.path
        .replace(/^gpuPools\[(\d+)\]/, (_, i: string) => `gpuPools[${poolIndex[Number(i)]}]`)
        .replace(/^models\[(\d+)\]/, (_, i: string) => `models[${modelIndex[Number(i)]}]`),
      message: issue.message.replace(/(gpuPools|models)\[(\d+)\]/g, (_, s: string, i: string) =>
        `${s}[${(s === "models" ? modelIndex : poolIndex)[Number(i)]}]`,
      ),
    }));
}

export type ValidationResult = { ok: true; config: PlatformConfig } | { ok: false; issues: ConfigIssue[] };

/** Validates a raw platform description, reporting every problem with its path. Never throws. */
export function validatePlatformConfig(raw: unknown): ValidationResult {
  const parsed = platformSchema.safeParse(raw);
  if (!parsed.success) {
    const structural = zodIssues(parsed.error);
    const seen = new Set(structural.map((i) => `${i.path}\u0000${i.message}`));
    const cross = crossCheckValidParts(raw).filter((i) => !seen.has(`${i.path}\u0000${i.message}`));
    return { ok: false, issues: [...structural, ...cross] };
  }
  const { config, issues } = resolvePlatform(parsed.data as ParsedPlatform);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, config };
}

/** Validates a raw platform description into a fully defaulted config, or throws {@link ConfigError}. */
export function parsePlatformConfig(raw: unknown): PlatformConfig {
  const result = validatePlatformConfig(raw);
  if (!result.ok) {
    throw new ConfigError(result.issues);
  }
  return result.config;
}

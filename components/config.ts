import { z } from "zod";
import { ConfigIssue, PlatformConfig, resolvePlatform } from "./config/resolve";
import { partialConfig } from "./config/partial";
import { ParsedPlatform, platformSchema } from "./config/schema";

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

/**
 * When the structure is wrong somewhere, the cross-field checks still run over the parts that are
 * right (see partial.ts), so one run reports every problem rather than the first layer of them.
 */
function crossCheckValidParts(raw: unknown): ConfigIssue[] {
  const partial = partialConfig(raw);
  if (partial === undefined) {
    return [];
  }
  const { poolIndex, modelIndex, parsed } = partial;
  const { issues } = resolvePlatform(parsed);
  const original = (section: string, i: string) => `${section}[${(section === "models" ? modelIndex : poolIndex)[Number(i)]}]`;
  return issues
    .filter((issue) => {
      // A model naming a pool whose own entry is malformed is reported once, at the pool.
      const m = /^models\[(\d+)\]\.pool$/.exec(issue.path);
      return !(m && partial.droppedPoolNames.has(parsed.models[Number(m[1])].pool ?? ""));
    })
    .map((issue) => ({
      path: issue.path.replace(/^(gpuPools|models)\[(\d+)\]/, (_, s: string, i: string) => original(s, i)),
      message: issue.message.replace(/(gpuPools|models)\[(\d+)\]/g, (_, s: string, i: string) => original(s, i)),
    }))
    .filter((issue) => !partial.isAboutRepairedPart(issue.path));
}

/** `warnings` are legal but probably unintended choices (a pool no model uses); they never stop a run. */
export type ValidationResult =
  | { ok: true; config: PlatformConfig; warnings: ConfigIssue[] }
  | { ok: false; issues: ConfigIssue[]; warnings: ConfigIssue[] };

/** Validates a raw platform description, reporting every problem with its path. Never throws. */
export function validatePlatformConfig(raw: unknown): ValidationResult {
  const parsed = platformSchema.safeParse(raw);
  if (!parsed.success) {
    const structural = zodIssues(parsed.error);
    const seen = new Set(structural.map((i) => `${i.path}\u0000${i.message}`));
    const cross = crossCheckValidParts(raw).filter((i) => !seen.has(`${i.path}\u0000${i.message}`));
    return { ok: false, issues: [...structural, ...cross], warnings: [] };
  }
  const { config, issues, warnings } = resolvePlatform(parsed.data as ParsedPlatform);
  return issues.length > 0 ? { ok: false, issues, warnings } : { ok: true, config, warnings };
}

/** Validates a raw platform description into a fully defaulted config, or throws {@link ConfigError}. */
export function parsePlatformConfig(raw: unknown): PlatformConfig {
  const result = validatePlatformConfig(raw);
  if (!result.ok) {
    throw new ConfigError(result.issues);
  }
  return result.config;
}

import * as pulumi from "@pulumi/pulumi";
import { isCatalogModel, modelCatalog } from "./catalog";
import { ConfigError, PlatformInput } from "./config";
import { platformProgram, PlatformStackOutputs } from "./program";
import type { TemplateGrantRequest } from "./tenants";

// The `pulumi new` templates prompt for plain values (`llm-platform:region`, …); these functions
// turn them into the one structured description the platform reads. Anything the prompts do not
// cover is added to the stack file later: models under `llm-platform:models` (a list, appended), or
// a whole `llm-platform:platform`, which then replaces the prompts entirely.

export type TemplateKind = "aws" | "gcp" | "model";

/** Reads one prompted value; undefined when unset. */
export type ReadValue = (key: string) => string | undefined;

const list = (value: string | undefined): string[] =>
  (value ?? "")
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v.length > 0);

function integer(read: ReadValue, key: string, fallback: number): number {
  const value = read(key);
  if (value === undefined || value === "") {
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n)) {
    throw new ConfigError([{ path: `llm-platform:${key}`, message: `"${value}" is not a whole number` }]);
  }
  return n;
}

function required(read: ReadValue, key: string): string {
  const value = read(key);
  if (value === undefined || value === "") {
    throw new ConfigError([{ path: `llm-platform:${key}`, message: "is required (pulumi new prompts for it; or pulumi config set)" }]);
  }
  return value;
}

/** The catalog model a template starts with, or none when the prompt is empty. */
function starterModel(read: ReadValue, pool: string): NonNullable<PlatformInput["models"]> {
  const name = read("model") ?? "";
  if (name === "") {
    return [];
  }
  if (!isCatalogModel(name)) {
    throw new ConfigError([{ path: "llm-platform:model", message: `"${name}" is not in the model catalog (known: ${Object.keys(modelCatalog).join(", ")})` }]);
  }
  return [{ name, source: { uri: `hf://${modelCatalog[name].source}`, revision: required(read, "modelRevision") }, pool, architecture: name }];
}

const GPU_POOL = "gpu";

type GpuPoolInput = NonNullable<PlatformInput["gpuPools"]>[number];

/** The template's GPU pool; `extra` adds what only some clouds take (zones). */
function gpuPool(read: ReadValue, extra: Partial<GpuPoolInput>): GpuPoolInput {
  return {
    name: GPU_POOL,
    instanceType: required(read, "gpuInstanceType"),
    minNodes: integer(read, "gpuMinNodes", 1),
    maxNodes: integer(read, "gpuMaxNodes", 2),
    capacityType: (read("capacityType") || "on-demand") as "on-demand" | "spot" | "capacity-block",
    ...extra,
  };
}

/**
 * The environment a template's prompts describe. Values the schema checks (regions, CIDRs, instance
 * types) are passed through as typed, so config validation reports them with their paths.
 */
/** The API access prompts: public CIDRs, and the sources of a private-only endpoint. */
function apiAccess(read: ReadValue): { publicCidrs: string[]; privateSources?: { cidrs: string[] } } {
  const privateCidrs = list(read("apiPrivateCidrs"));
  return { publicCidrs: list(read("apiCidrs")), ...(privateCidrs.length > 0 ? { privateSources: { cidrs: privateCidrs } } : {}) };
}

export function platformFromTemplate(kind: TemplateKind, read: ReadValue, extraModels: readonly unknown[] = []): PlatformInput {
  const environment = { name: required(read, "environment"), tier: (read("tier") || "dev") as "dev" | "staging" | "prod" };
  const models = (starter: NonNullable<PlatformInput["models"]>) => [...starter, ...(extraModels as NonNullable<PlatformInput["models"]>)];
  const store = (read("snapshotBucket") ?? "") === "" ? {} : { store: { bucket: read("snapshotBucket") } };
  switch (kind) {
    case "aws":
      return {
        environment,
        cloud: { provider: "aws", region: required(read, "region") },
        cluster: { apiAccess: apiAccess(read), admins: list(read("admins")) },
        network: { zones: list(required(read, "zones")) },
        gpuPools: [gpuPool(read, {})],
        modelCache: { mode: "auto", ...store },
        models: models(starterModel(read, GPU_POOL)),
      };
    case "gcp": {
      const zone = read("gpuZone") ?? "";
      return {
        environment,
        cloud: { provider: "gcp", region: required(read, "region"), project: required(read, "project") },
        cluster: { apiAccess: apiAccess(read) },
        gpuPools: [gpuPool(read, zone === "" ? {} : { zones: [zone] })],
        modelCache: { mode: "auto", ...store },
        models: models(starterModel(read, GPU_POOL)),
      };
    }
    case "model": {
      // One model on a cluster whose environment already runs the add-ons and the shared gateway:
      // only the model's own namespace, cache and service are created here.
      const pool = required(read, "pool");
      const context = read("context") ?? "";
      const architecture = required(read, "architecture");
      return {
        environment,
        cloud: { provider: "existing" },
        cluster: { name: required(read, "cluster"), ...(context === "" ? {} : { context }) },
        modelsNamespace: required(read, "namespace"),
        gpuPools: [{ name: pool, instanceType: required(read, "poolInstanceType"), minNodes: 0, maxNodes: integer(read, "poolMaxNodes", 1) }],
        addons: { certManager: false, gatewayApiCrds: false, inferenceExtensionCrds: false, gateway: false, leaderWorkerSet: false, gpuOperator: false, kserve: false, sharedGateway: false },
        modelCache: { mode: "off" },
        models: models([
          {
            name: required(read, "modelName"),
            source: { uri: required(read, "modelUri"), revision: required(read, "modelRevision") },
            pool,
            architecture,
            tensorParallel: integer(read, "tensorParallel", 1),
            replicas: integer(read, "replicas", 1),
          },
        ]),
      };
    }
  }
}

/**
 * The `model` template's grant: `tenants` (names, comma-separated) and `environmentTenants` (the
 * environment's `tenantGrants` output, JSON). Undefined for the other templates.
 */
export function templateGrantRequest(kind: TemplateKind, read: ReadValue): TemplateGrantRequest | undefined {
  if (kind !== "model") {
    return undefined;
  }
  const text = read("environmentTenants");
  let environment: unknown;
  if (text !== undefined && text !== "") {
    try {
      environment = JSON.parse(text);
    } catch (err) {
      throw new ConfigError([{ path: "llm-platform:environmentTenants", message: `is not JSON (${(err as Error).message}); set it to the output of pulumi stack output tenantGrants -s <environment> -j` }]);
    }
  }
  return { tenants: list(read("tenants")), environment };
}

/** The program of a project created from a template. */
export function templateProgram(kind: TemplateKind): PlatformStackOutputs {
  const config = new pulumi.Config("llm-platform");
  const grant = templateGrantRequest(kind, (key) => config.get(key));
  const whole = config.getObject<unknown>("platform");
  if (whole !== undefined) {
    return platformProgram(whole, grant);
  }
  const extra = config.getObject<unknown[]>("models") ?? [];
  if (!Array.isArray(extra)) {
    throw new ConfigError([{ path: "llm-platform:models", message: "must be a list of models" }]);
  }
  return platformProgram(platformFromTemplate(kind, (key) => config.get(key), extra), grant);
}

import * as pulumi from "@pulumi/pulumi";
import { ConfigError, ConfigIssue, HF_TOKEN_CONFIG_KEY, KUBECONFIG_CONFIG_KEY, PLATFORM_CONFIG_KEY, PlatformConfig, validatePlatformConfig } from "./config";
import { seedingIssues } from "./cache/seeding";
import { COST_CONFIG_KEY, StackCost, stackCost } from "./cost";
import { LlmPlatform, platformLabels } from "./platform";
import { EnvironmentTenantGrants, environmentTenantGrants, resolveTemplateGrant, TemplateGrantRequest } from "./tenants";
import { monitoringSummary, MonitoringSummary } from "./monitoring";
import { plainTextSecretIssues, receivedAsSecret, setSecretHint } from "./secret-config";

/** The stack outputs of one environment. */
export interface PlatformStackOutputs {
  readonly environment: string;
  readonly tier: string;
  readonly cluster: pulumi.Output<string>;
  /** kubeconfig of a managed cluster (secret); undefined on existing clusters. */
  readonly kubeconfig: pulumi.Output<string> | undefined;
  readonly snapshotStore: LlmPlatform["cluster"]["snapshotStore"];
  readonly modelsNamespace: pulumi.Output<string>;
  readonly gpuPools: LlmPlatform["gpuPools"];
  readonly models: LlmPlatform["estimates"];
  readonly addons: LlmPlatform["addons"]["releases"];
  readonly endpoints: LlmPlatform["endpoints"];
  readonly gatewayAddress: LlmPlatform["gatewayAddress"];
  /** How each tenant calls the gateway (base URL, header, models). */
  readonly tenants: LlmPlatform["tenantAccess"];
  /** Each API-key tenant's key by tenant name (secret). */
  readonly tenantKeys: LlmPlatform["tenantKeys"];
  /** What a `model` template stack copies into llm-platform:environmentTenants to grant tenants its model (no secrets). */
  readonly tenantGrants: EnvironmentTenantGrants;
  /** What monitoring runs: the installed stack, where Prometheus is queried, dashboards and alerts. */
  readonly monitoring: MonitoringSummary;
  /**
   * The monthly cost estimate of this config and the quotas it needs at max scale, as `plan`
   * prints them. Recorded in the state by each update, so `deploy preview` can show what a change
   * adds to what is deployed.
   */
  readonly cost: StackCost;
}

/** `llm-platform:cost` as an object (absent: no throughputs); a plain string is a config problem. */
function costDescription(stackConfig: pulumi.Config): unknown {
  try {
    return stackConfig.getObject<unknown>(COST_CONFIG_KEY);
  } catch {
    throw new ConfigError([{ path: `llm-platform:${COST_CONFIG_KEY}`, message: "must be a structured value (a YAML map), not a plain string" }]);
  }
}

/** `llm-platform:platform` as an object; its absence or a non-object value is a config problem. */
function platformDescription(stackConfig: pulumi.Config): unknown {
  const path = `llm-platform:${PLATFORM_CONFIG_KEY}`;
  let value: unknown;
  try {
    value = stackConfig.getObject<unknown>(PLATFORM_CONFIG_KEY);
  } catch {
    throw new ConfigError([{ path, message: "must be a structured value (a YAML map describing the environment), not a plain string" }]);
  }
  if (value === undefined) {
    throw new ConfigError([{ path, message: "is required: describe the environment under this key in the stack file (see the configuration reference)" }]);
  }
  return value;
}

/**
 * Keys of tenants that name a secret stack-config key (`apiKey.secretConfig`): each must be set, and
 * set with --secret, or it would sit in clear in the state and in every plan file.
 */
function suppliedTenantKeys(config: PlatformConfig, stackConfig: pulumi.Config): Record<string, pulumi.Output<string>> {
  const keys: Record<string, pulumi.Output<string>> = {};
  const issues: ConfigIssue[] = [];
  config.tenants.forEach((tenant, i) => {
    if (tenant.credential.kind !== "apiKey" || tenant.credential.secretConfig === undefined) {
      return;
    }
    const key = `llm-platform:${tenant.credential.secretConfig}`;
    const value = stackConfig.getSecret(tenant.credential.secretConfig);
    if (value === undefined) {
      issues.push({ path: `tenants[${i}].apiKey.secretConfig`, message: `names ${key}, which is not set: ${setSecretHint(key)}` });
    } else if (!receivedAsSecret(key)) {
      issues.push({ path: key, message: `is stored in plain text in the stack config; store it encrypted: ${setSecretHint(key)}` });
    } else {
      keys[tenant.name] = value;
    }
  });
  if (issues.length > 0) {
    throw new ConfigError(issues);
  }
  return keys;
}

/**
 * The per-environment program: read `llm-platform:platform` (or take `raw`, the same shape) and
 * the secret `llm-platform:kubeconfig`, validate before anything is registered, build the platform.
 */
export function platformProgram(raw?: unknown, grantRequest?: TemplateGrantRequest): PlatformStackOutputs {
  const stackConfig = new pulumi.Config("llm-platform");
  // Credentials set without --secret would be used as they are and stored in clear; refuse them first.
  const plainSecrets = plainTextSecretIssues((key) => pulumi.runtime.getConfig(key) !== undefined, receivedAsSecret);
  if (plainSecrets.length > 0) {
    throw new ConfigError(plainSecrets);
  }
  // A caller (the pulumi new templates) may build the description itself from other keys.
  const validation = validatePlatformConfig(raw ?? platformDescription(stackConfig));
  if (!validation.ok) {
    throw new ConfigError(validation.issues);
  }
  for (const warning of validation.warnings) {
    void pulumi.log.warn(`llm-platform:${PLATFORM_CONFIG_KEY} ${warning.path}: ${warning.message}`);
  }
  const config = validation.config;
  const kubeconfig = stackConfig.getSecret(KUBECONFIG_CONFIG_KEY);
  if (kubeconfig !== undefined && config.cloud.provider !== "existing") {
    throw new ConfigError([{ path: `llm-platform:${KUBECONFIG_CONFIG_KEY}`, message: `only applies to existing clusters; the ${config.cloud.provider} cluster provides its own` }]);
  }
  const hfToken = stackConfig.getSecret(HF_TOKEN_CONFIG_KEY);
  const tenantKeys = suppliedTenantKeys(config, stackConfig);
  // A gated repository without a token would only fail in the cluster, with a 401 in a seeder pod.
  const seeding = seedingIssues(config, { hfToken: hfToken !== undefined });
  if (seeding.length > 0) {
    throw new ConfigError(seeding);
  }
  const cost = stackCost(config, costDescription(stackConfig));
  if (!cost.ok) {
    throw new ConfigError(cost.issues);
  }
  const granted = grantRequest === undefined ? { issues: [] } : resolveTemplateGrant(grantRequest, { models: config.models, namespace: config.modelsNamespace, labels: platformLabels(config) });
  if (granted.issues.length > 0) {
    throw new ConfigError(granted.issues);
  }
  const platform = new LlmPlatform(config.environment.name, { config, kubeconfig, hfToken, tenantKeys, tenantGrant: granted.grant });
  return {
    environment: config.environment.name,
    tier: config.environment.tier,
    cluster: platform.cluster.clusterName,
    kubeconfig: config.cloud.provider === "existing" ? undefined : platform.cluster.kubeconfig,
    snapshotStore: platform.cluster.snapshotStore,
    modelsNamespace: platform.modelsNamespace,
    gpuPools: platform.gpuPools,
    models: platform.estimates,
    addons: platform.addons.releases,
    endpoints: platform.endpoints,
    gatewayAddress: platform.gatewayAddress,
    tenants: platform.tenantAccess,
    tenantKeys: platform.tenantKeys,
    tenantGrants: environmentTenantGrants(config.tenants, { name: platform.addons.gatewayName, namespace: platform.addons.gatewayNamespace }, config.models),
    monitoring: monitoringSummary(config.monitoring),
    cost: cost.cost,
  };
}

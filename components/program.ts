import * as pulumi from "@pulumi/pulumi";
import { HF_TOKEN_CONFIG_KEY, KUBECONFIG_CONFIG_KEY, parsePlatformConfig, PLATFORM_CONFIG_KEY } from "./config";
import { LlmPlatform } from "./platform";

/** The stack outputs of one environment. */
export interface PlatformStackOutputs {
  readonly environment: string;
  readonly tier: string;
  readonly cluster: pulumi.Output<string>;
  readonly modelsNamespace: pulumi.Output<string>;
  readonly gpuPools: LlmPlatform["gpuPools"];
  readonly models: LlmPlatform["estimates"];
  readonly addons: LlmPlatform["addons"]["releases"];
  readonly endpoints: LlmPlatform["endpoints"];
  readonly gatewayAddress: LlmPlatform["gatewayAddress"];
}

/**
 * The per-environment program: read `llm-platform:platform` (and the secret
 * `llm-platform:kubeconfig`), validate it before anything is registered, build the platform.
 */
export function platformProgram(): PlatformStackOutputs {
  const stackConfig = new pulumi.Config("llm-platform");
  const config = parsePlatformConfig(stackConfig.requireObject<unknown>(PLATFORM_CONFIG_KEY));
  const kubeconfig = stackConfig.getSecret(KUBECONFIG_CONFIG_KEY);
  const hfToken = stackConfig.getSecret(HF_TOKEN_CONFIG_KEY);
  const platform = new LlmPlatform(config.environment.name, { config, kubeconfig, hfToken });
  return {
    environment: config.environment.name,
    tier: config.environment.tier,
    cluster: platform.cluster.clusterName,
    modelsNamespace: platform.modelsNamespace,
    gpuPools: platform.gpuPools,
    models: platform.estimates,
    addons: platform.addons.releases,
    endpoints: platform.endpoints,
    gatewayAddress: platform.gatewayAddress,
  };
}

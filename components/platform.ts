import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ClusterOutputs, describePool, ExistingCluster, GpuPoolDescriptor } from "./cluster";
import { PlatformConfig } from "./config";
import { estimateModel, ModelEstimate } from "./estimates";
import { PLATFORM_TYPE, platformFacts } from "./facts";

export interface LlmPlatformArgs {
  /** The validated environment description (see `parsePlatformConfig`). Required. */
  readonly config: PlatformConfig;
  /**
   * kubeconfig of an existing cluster (`cloud.provider: existing`), as a secret. Default: the
   * ambient kubeconfig.
   */
  readonly kubeconfig?: pulumi.Input<string>;
}

/** Labels every object the platform creates carries. */
export function platformLabels(config: PlatformConfig): Record<string, string> {
  return {
    "app.kubernetes.io/part-of": "llm-platform",
    "app.kubernetes.io/managed-by": "pulumi",
    "llm-platform.io/environment": config.environment.name,
  };
}

/** A whole LLM-serving environment: cluster, add-ons, model services, model cache. */
export class LlmPlatform extends pulumi.ComponentResource {
  public readonly cluster: ClusterOutputs;
  public readonly modelsNamespace: pulumi.Output<string>;
  public readonly gpuPools: readonly GpuPoolDescriptor[];
  public readonly estimates: readonly ModelEstimate[];

  constructor(name: string, args: LlmPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    // Config validation rejects this first; the guard keeps a hand-built config honest too, and
    // runs before super() so nothing is registered.
    if (args.config.cloud.provider !== "existing") {
      throw new Error(`cloud.provider "${args.config.cloud.provider}" is not supported by this version; use "existing"`);
    }
    const { config } = args;
    const pools = new Map(config.gpuPools.map((p) => [p.name, describePool(p)]));
    const estimates = config.models.map((m) => estimateModel(m, pools.get(m.pool) as GpuPoolDescriptor));
    // The facts are the component's inputs so policy packs can check them (see facts.ts).
    super(PLATFORM_TYPE, name, { facts: platformFacts(config, estimates) }, opts);
    this.estimates = estimates;
    this.cluster = new ExistingCluster(
      `${name}-cluster`,
      { clusterName: config.cluster.name, kubeconfig: args.kubeconfig, context: config.cluster.context, gpuPools: config.gpuPools },
      { parent: this },
    );
    this.gpuPools = this.cluster.gpuPools;

    const namespace = new k8s.core.v1.Namespace(
      `${name}-models`,
      { metadata: { name: config.modelsNamespace, labels: platformLabels(config) } },
      { parent: this, provider: this.cluster.provider },
    );
    this.modelsNamespace = namespace.metadata.name;

    this.registerOutputs({
      modelsNamespace: this.modelsNamespace,
      gpuPools: this.gpuPools,
      estimates: this.estimates,
    });
  }
}

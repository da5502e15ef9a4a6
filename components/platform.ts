import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { eksRequirements } from "./cluster/aws/requirements";
import { ExistingCluster } from "./cluster/existing-cluster";
import { gkeRequirements } from "./cluster/gcp/requirements";
import { ClusterOutputs } from "./cluster/outputs";
import { describePool, GpuPoolDescriptor } from "./cluster/pool-descriptor";
import { PlatformConfig } from "./config";
import { estimateModel, ModelEstimate } from "./estimates";
import { prometheusQueryUrl } from "./monitoring/prometheus-url";
import { PLATFORM_TYPE, platformFacts } from "./facts";
import { charts, ClusterAddons, envoyGatewayServes, GATEWAY_ACCESS_LABEL, GATEWAY_NAME, GATEWAY_NAMESPACE, gatewayAddress } from "./addons";
import { TemplateGrant, TenantAccess, tenantAccess, tenantBaseUrl, TenantGateway, TenantGrant } from "./tenants";
import { GatewaySource, ModelEndpoint, modelsNetworkPolicies, ModelService } from "./serving";
import { cacheRoot, hostPathServiceAccounts, ModelCache, modelId, SEEDER_SERVICE_ACCOUNT, snapshotUrl } from "./cache";
import { hostPathAdmissionPolicy, modelsNamespaceLevel, podSecurityLabels } from "./security";

export interface LlmPlatformArgs {
  /** The validated environment description (see `parsePlatformConfig`). Required. */
  readonly config: PlatformConfig;
  /**
   * kubeconfig of an existing cluster (`cloud.provider: existing`), as a secret. Default: the
   * ambient kubeconfig.
   */
  readonly kubeconfig?: pulumi.Input<string>;
  /** Hugging Face token for the model-cache seeders (gated models), as a secret. Default: none. */
  readonly hfToken?: pulumi.Input<string>;
  /** Keys of the tenants whose `apiKey.secretConfig` names a secret stack-config key, by tenant name. Default: none. */
  readonly tenantKeys?: Readonly<Record<string, pulumi.Input<string>>>;
  /** A template stack's grant of environment tenants to its models (resolveTemplateGrant). Default: none. */
  readonly tenantGrant?: TemplateGrant;
}

/** Labels every object the platform creates carries. */
export function platformLabels(config: PlatformConfig): Record<string, string> {
  return {
    "app.kubernetes.io/part-of": "llm-platform",
    "app.kubernetes.io/managed-by": "pulumi",
    "llm-platform.io/environment": config.environment.name,
  };
}

/** Cache roots on the nodes of the pools whose models restore onto NVMe. */
export function cacheRoots(models: PlatformConfig["models"], pools: ReadonlyMap<string, GpuPoolDescriptor>): string[] {
  const roots = models.flatMap((m) => {
    const nvme = m.cacheMode === "nvme" && m.pool !== undefined ? pools.get(m.pool)?.nvme : undefined;
    return nvme ? [cacheRoot(nvme.mountPath)] : [];
  });
  return [...new Set(roots)].sort();
}

/** Where the shared Gateway's traffic reaches the models namespace from (see serving/network-policies.ts). */
export function gatewaySource(config: PlatformConfig): GatewaySource {
  if (!config.addons.sharedGateway) {
    return { kind: "unknown" };
  }
  if (config.cloud.provider === "gcp" && !envoyGatewayServes(config)) {
    // The proxy-only subnet is known only when the platform made the VPC.
    return config.network?.cloud === "gcp" && config.network.create ? { kind: "gke", proxyCidr: config.network.proxyCidr } : { kind: "unknown" };
  }
  return {
    kind: "envoy",
    // Without the platform's Envoy Gateway, the cluster's own install runs the proxies wherever it does.
    proxyNamespace: config.addons.gateway ? charts.envoyGateway.namespace : undefined,
    gatewayName: GATEWAY_NAME,
    gatewayNamespace: GATEWAY_NAMESPACE,
  };
}

/** A whole LLM-serving environment: cluster, add-ons, model services, model cache. */
export class LlmPlatform extends pulumi.ComponentResource {
  public readonly cluster: ClusterOutputs;
  public readonly modelsNamespace: pulumi.Output<string>;
  public readonly gpuPools: readonly GpuPoolDescriptor[];
  public readonly estimates: readonly ModelEstimate[];
  public readonly addons: ClusterAddons;
  /** The snapshot-restore cache, when any model uses it. */
  public readonly cache?: ModelCache;
  /** One OpenAI-compatible endpoint per model. */
  public readonly endpoints: pulumi.Output<ModelEndpoint[]>;
  /** Address of the shared Gateway's load balancer, once it has one. */
  public readonly gatewayAddress: pulumi.Output<string | undefined>;
  /** The tenants' gateway objects and keys, when tenants are configured. */
  public readonly tenantGateway?: TenantGateway;
  /** How each tenant calls the gateway: base URL, header, models (empty without tenants). */
  public readonly tenantAccess: pulumi.Output<TenantAccess[]>;
  /** Each API-key tenant's key by tenant name (secret; empty without API-key tenants). */
  public readonly tenantKeys: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: LlmPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    const { config } = args;
    // A hand-built config that skipped validation fails here, before anything is registered.
    if (config.cloud.provider === "aws") {
      eksRequirements(config);
    } else if (config.cloud.provider === "gcp") {
      gkeRequirements(config);
    }
    const pools = new Map(config.gpuPools.map((p) => [p.name, describePool(p)]));
    const store = config.modelCache.store;
    const snapshotOf = (m: PlatformConfig["models"][number]) =>
      store !== undefined && m.cacheMode !== "off" ? snapshotUrl(store, modelId(m.source.uri), m.source.revision ?? "") : undefined;
    const estimates = config.models.map((m) => estimateModel(m, m.pool === undefined ? undefined : pools.get(m.pool), snapshotOf(m)));
    // The facts are the component's inputs so policy packs can check them (see facts.ts).
    super(PLATFORM_TYPE, name, { facts: platformFacts(config, estimates) }, opts);
    this.estimates = estimates;
    this.cluster = LlmPlatform.cluster(`${name}-cluster`, args, this);
    this.gpuPools = this.cluster.gpuPools;

    const labels = platformLabels(config);
    const provider = this.cluster.provider;
    const namespace = new k8s.core.v1.Namespace(
      `${name}-models`,
      // Routes from this namespace may attach to the shared Gateway.
      {
        metadata: {
          name: config.modelsNamespace,
          labels: { ...labels, [GATEWAY_ACCESS_LABEL]: "true", ...podSecurityLabels(modelsNamespaceLevel(config.models)) },
        },
      },
      { parent: this, provider },
    );
    // Takes back what a privileged namespace lets through, but the cache's hostPath (security.ts).
    const [admissionPolicy, admissionBinding] = hostPathAdmissionPolicy({
      namespace: config.modelsNamespace,
      roots: cacheRoots(config.models, pools),
      // Only the cache's readers on NVMe pools (each model's, each pool's pre-warm) mount it.
      hostPathServiceAccounts: store === undefined ? [] : hostPathServiceAccounts(config.models),
      seederServiceAccount: SEEDER_SERVICE_ACCOUNT,
      labels,
    });
    const policyResource = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
      `${name}-pod-admission`,
      admissionPolicy,
      { parent: this, provider },
    );
    // Pods of the namespace start only once the policy guards them.
    const admission = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
      `${name}-pod-admission-binding`,
      admissionBinding,
      { parent: this, provider, dependsOn: [policyResource] },
    );
    this.modelsNamespace = namespace.metadata.name;
    for (const object of modelsNetworkPolicies({ namespace: config.modelsNamespace, models: config.models, gateway: gatewaySource(config), labels })) {
      new k8s.networking.v1.NetworkPolicy(`${name}-netpol-${object.metadata.name}`, object, {
        parent: this,
        provider,
        dependsOn: [namespace],
      });
    }

    this.addons = new ClusterAddons(`${name}-addons`, { config, provider, labels }, { parent: this });
    const restore = new Map(estimates.map((e) => [e.model, e.restore?.seconds ?? 0]));
    const cachedModels = config.models.filter((m) => m.cacheMode !== "off");
    this.cache =
      cachedModels.length > 0 && store !== undefined
        ? new ModelCache(
            `${name}-cache`,
            {
              models: cachedModels,
              pools,
              settings: {
                store,
                credentialsSecret: config.modelCache.credentialsSecret,
                verifyChecksums: config.modelCache.verifyChecksums,
                transfers: config.modelCache.transfers,
                pruneGraceHours: config.modelCache.pruneGraceHours,
              },
              namespace: config.modelsNamespace,
              provider,
              hfToken: args.hfToken,
              serviceAccountAnnotations: this.cluster.cacheServiceAccountAnnotations,
              dependsOn: [namespace, admission, ...this.cluster.identityDependencies],
              labels,
            },
            { parent: this },
          )
        : undefined;
    const cache = this.cache;
    const services = config.models.map(
      (model) =>
        new ModelService(
          `${name}-${model.name}`,
          {
            model,
            pool: model.pool === undefined ? undefined : pools.get(model.pool),
            namespace: config.modelsNamespace,
            provider,
            gateway: { name: this.addons.gatewayName, namespace: this.addons.gatewayNamespace, resource: this.addons.gateway },
            hostname: config.gateway.hostname,
            restoreSeconds: restore.get(model.name),
            prometheusOperator: config.monitoring.prometheusOperator,
            platformPrometheus: config.monitoring.install,
            prometheusUrl: prometheusQueryUrl(config.monitoring),
            autoscalingDependsOn: this.addons.autoscalingDependencies,
            gke: config.cloud.provider === "gcp" && !envoyGatewayServes(config),
            dependsOn: [namespace, admission, ...this.addons.servingDependencies, ...(cache?.servingDependencies ?? []), ...this.cluster.identityDependencies],
            cache: cache && { settings: cache.settings, serviceAccount: cache.readerServiceAccountOf(model.name) },
            routerDependsOn: [namespace, ...this.addons.routerDependencies],
            labels,
          },
          { parent: this },
        ),
    );
    this.endpoints = pulumi.all(services.map((s) => s.endpoint));
    this.gatewayAddress = gatewayAddress(this.addons.gateway);

    this.tenantGateway =
      config.tenants.length > 0
        ? new TenantGateway(
            `${name}-tenants`,
            {
              config,
              provider,
              gateway: { name: this.addons.gatewayName, namespace: this.addons.gatewayNamespace },
              proxyNamespace: charts.envoyGateway.namespace,
              suppliedKeys: args.tenantKeys,
              // The route's InferencePools come with the model services.
              dependsOn: [namespace, ...this.addons.tenantDependencies, ...services],
              labels,
            },
            { parent: this },
          )
        : undefined;
    if (args.tenantGrant !== undefined) {
      new TenantGrant(`${name}-tenant-grant`, { grant: args.tenantGrant, provider, dependsOn: [namespace, ...services] }, { parent: this });
    }
    const served = new Map(config.models.map((m) => [m.name, m.servedModelName]));
    // The gateway speaks only HTTPS when it is on the internet with a hostname (addons/gateway-manifests.ts).
    const scheme = config.gateway.hostname !== undefined ? "https" : "http";
    this.tenantAccess = this.gatewayAddress.apply((address) => {
      const baseUrl = tenantBaseUrl({ hostname: config.gateway.hostname, address, scheme });
      return config.tenants.map((t) => tenantAccess(t, (m) => served.get(m) ?? m, baseUrl));
    });
    this.tenantKeys = this.tenantGateway?.keys ?? pulumi.output<Record<string, string>>({});

    this.registerOutputs({
      snapshotStore: this.cluster.snapshotStore,
      modelsNamespace: this.modelsNamespace,
      gpuPools: this.gpuPools,
      estimates: this.estimates,
      addons: this.addons.releases,
      endpoints: this.endpoints,
      gatewayAddress: this.gatewayAddress,
      tenants: this.tenantAccess,
    });
  }

  /** The cluster `cloud.provider` asks for. */
  private static cluster(name: string, args: LlmPlatformArgs, parent: pulumi.Resource): ClusterOutputs {
    const { config } = args;
    // The cloud SDKs take seconds to load; only the cluster kind in use pays for its own.
    switch (config.cloud.provider) {
      case "aws": {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for EKS stacks
        const { EksCluster } = require("./cluster/aws/eks-cluster") as typeof import("./cluster/aws/eks-cluster");
        return new EksCluster(name, { config }, { parent });
      }
      case "gcp": {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for GKE stacks
        const { GkeCluster } = require("./cluster/gcp/gke-cluster") as typeof import("./cluster/gcp/gke-cluster");
        return new GkeCluster(name, { config }, { parent });
      }
      default:
        return new ExistingCluster(
          name,
          { clusterName: config.cluster.name, kubeconfig: args.kubeconfig, context: config.cluster.context, gpuPools: config.gpuPools },
          { parent },
        );
    }
  }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import { kedaValues } from "../autoscaling/keda-values";
import { customObject } from "../kube-object";
import { podSecurityLabels } from "../security";
import {
  AddonChartValues,
  aiGatewayValues,
  AI_GATEWAY_NAMESPACE,
  certManagerValues,
  envoyGatewayValues,
  gatewayCrdsValues,
  kserveResourcesValues,
  kserveRuntimeConfigsValues,
  leaderWorkerSetValues,
} from "./chart-values";
import { envoyGatewayClass, envoyGatewayServes, gatewayApiCrdsOwner, GATEWAY_NAME, GATEWAY_NAMESPACE, gatewayCertificate, gkeGpuOperatorQuota, sharedGateway } from "./gateway-manifests";
import { rateLimitStoreDeployment, rateLimitStoreService, rateLimitStoreUrl } from "../tenants/rate-limit-store";
import { TENANT_METRIC_LABELS } from "../tenants/usage";
import { gpuOperatorValues } from "./gpu-operator-values";
import { ChartPin, charts, gkeDriverInstaller, manifests } from "../versions";
import { kubePrometheusStackValues, monitoringNamespace, registerMonitoringObjects, restoreMetricsDir } from "../monitoring";
import { SYSTEM_NODE_LABEL } from "../cluster/aws/node-group";

export interface ClusterAddonsArgs {
  /** The validated environment; `addons`, `gateway`, `monitoring` and the pools decide what is installed. Required. */
  readonly config: PlatformConfig;
  /** Provider of the cluster the add-ons go into. Required. */
  readonly provider: k8s.Provider;
  /** Labels for every object created directly. Default: none. */
  readonly labels?: Record<string, string>;
}

/** One installed add-on, for outputs and the plan summary. */
export interface AddonRelease {
  readonly name: string;
  readonly chart: string;
  readonly version: string;
  readonly namespace: string;
  readonly source: string;
}

/** Helm timeouts in seconds: long enough for image pulls on fresh nodes, short enough to fail a stuck `up`. */
const TIMEOUT = { crds: 300, controller: 600, gpuOperator: 900, kserveController: 900 } as const;

/**
 * Cluster add-ons in dependency order: cert-manager, Gateway API + Inference Extension CRDs, Envoy
 * Gateway + Envoy AI Gateway, LeaderWorkerSet, the GPU Operator, KServe's LLMInferenceService
 * charts, and the shared inference Gateway. Only real orderings are `dependsOn` edges, so
 * independent releases install in parallel.
 */
export class ClusterAddons extends pulumi.ComponentResource {
  /** Every release and manifest installed, with versions. */
  public readonly releases: readonly AddonRelease[];
  /** Namespace and name of the shared inference Gateway. */
  public readonly gatewayNamespace: string;
  public readonly gatewayName: string;
  /** The shared Gateway object (its status carries the load-balancer address), if installed. */
  public readonly gateway?: k8s.apiextensions.CustomResource;
  /** What model services must wait for: KServe's presets and webhook, the CRDs and the Gateway. */
  public readonly servingDependencies: pulumi.Resource[];
  /** What a model's router release needs: the InferencePool CRD. */
  public readonly routerDependencies: pulumi.Resource[];
  /** What the tenants' objects need: Envoy Gateway and AI Gateway with their CRDs, and the Gateway. */
  public readonly tenantDependencies: pulumi.Resource[];
  /** What a model's ScaledObject needs: the KEDA release (its CRDs and admission webhook); empty when no model autoscales. */
  public readonly autoscalingDependencies: pulumi.Resource[];

  constructor(name: string, args: ClusterAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:index:ClusterAddons", name, {}, opts);
    const { config, provider } = args;
    const labels = args.labels ?? {};
    const addons = config.addons;
    const cloud = config.cloud.provider;
    const prometheusOperator = config.monitoring.prometheusOperator;
    const replicas = config.environment.tier === "prod" ? 2 : 1;
    const childOpts = (dependsOn: (pulumi.Resource | undefined)[] = []): pulumi.CustomResourceOptions => ({
      parent: this,
      provider,
      dependsOn: dependsOn.filter((d): d is pulumi.Resource => d !== undefined),
    });
    const releases: AddonRelease[] = [];
    // With the monitoring stack installed, every later release waits for it: they render
    // ServiceMonitors/PodMonitors, whose CRDs it brings.
    let monitoringStack: k8s.helm.v3.Release | undefined;
    const release = (
      key: string,
      pin: ChartPin,
      values: AddonChartValues,
      timeout: number,
      dependsOn: (pulumi.Resource | undefined)[] = [],
      extra: Partial<k8s.helm.v3.ReleaseArgs> = {},
    ): k8s.helm.v3.Release => {
      const namespace = extra.namespace ?? pin.namespace;
      releases.push({ name: key, chart: pin.chart, version: pin.version, namespace: String(namespace), source: pin.source });
      const oci = pin.repository.startsWith("oci://");
      return new k8s.helm.v3.Release(
        `${name}-${key}`,
        {
          name: key,
          chart: oci ? `${pin.repository}/${pin.chart}` : pin.chart,
          ...(oci ? {} : { repositoryOpts: { repo: pin.repository } }),
          version: pin.version,
          namespace,
          createNamespace: true,
          values,
          timeout,
          // A failed install rolls back rather than leaving half a release behind.
          atomic: true,
          ...extra,
        },
        childOpts([monitoringStack, ...dependsOn]),
      );
    };

    if (config.monitoring.install) {
      // Managed clusters label their system nodes; on an existing cluster the scheduler places it.
      const systemNodeSelector = cloud === "aws" || cloud === "gcp" ? { [SYSTEM_NODE_LABEL]: "true" } : undefined;
      // Restores onto NVMe write their figures where node-exporter reads them (components/monitoring/restore-metrics.ts).
      const restores = config.modelCache.mode === "nvme" || config.modelCache.mode === "auto";
      const restoreMetricsDirs = restores ? config.gpuPools.filter((p) => p.nvme === "raid0").map((p) => restoreMetricsDir(p.nvmeMountPath)) : [];
      const values = kubePrometheusStackValues({ systemNodeSelector, restoreMetricsDirs, retention: config.environment.tier === "prod" ? "15d" : "7d" });
      const namespace = new k8s.core.v1.Namespace(`${name}-monitoring-ns`, monitoringNamespace(labels), childOpts());
      monitoringStack = release("kube-prometheus-stack", charts.kubePrometheusStack, values, TIMEOUT.controller, [namespace], { createNamespace: false });
      registerMonitoringObjects(`${name}-monitoring`, labels, childOpts([monitoringStack]));
    }

    const certManager = addons.certManager
      ? release("cert-manager", charts.certManager, certManagerValues({ prometheusOperator, replicas }), TIMEOUT.controller)
      : undefined;

    // GKE manages its own Gateway controller; elsewhere, and on GKE with tenants, Envoy Gateway serves the Gateway.
    const envoy = envoyGatewayServes(config);
    const tenants = config.tenants.length > 0;
    // One owner per CRD: GKE's gatewayApiConfig installs and upgrades the Gateway API CRDs itself,
    // and a release claiming them fails (or fights it); GKE with tenants turns it off (gatewayApiCrdsOwner).
    const ownsGatewayApi = gatewayApiCrdsOwner(config) === "platform";
    const gatewayCrds = addons.gatewayApiCrds && (ownsGatewayApi || envoy)
      ? release("gateway-crds", charts.gatewayCrds, gatewayCrdsValues({ envoyGateway: envoy, gatewayAPI: ownsGatewayApi }), TIMEOUT.crds)
      : undefined;

    let inferenceCrds: pulumi.Resource | undefined;
    if (addons.inferenceExtensionCrds) {
      releases.push({
        name: "inference-extension-crds",
        chart: "manifests.yaml",
        version: manifests.inferenceExtensionCrds.version,
        namespace: "",
        source: manifests.inferenceExtensionCrds.source,
      });
      inferenceCrds = new k8s.yaml.v2.ConfigFile(`${name}-inference-extension-crds`, { file: manifests.inferenceExtensionCrds.url }, childOpts());
    }

    const tenantDependencies: pulumi.Resource[] = [];
    if (envoy) {
      // Tenants' quotas are global rate limits, whose counters Envoy Gateway keeps in a Redis.
      const storeUrl = tenants ? rateLimitStoreUrl(charts.envoyGateway.namespace) : undefined;
      const envoyGateway = release("envoy-gateway", charts.envoyGateway, envoyGatewayValues({ replicas, rateLimitStoreUrl: storeUrl }), TIMEOUT.controller, [gatewayCrds], {
        skipCrds: true,
      });
      const aiCrds = release("ai-gateway-crds", charts.aiGatewayCrds, {}, TIMEOUT.crds);
      const metricLabels = tenants ? TENANT_METRIC_LABELS : undefined;
      const aiGateway = release("ai-gateway", charts.aiGateway, aiGatewayValues({ replicas, metricLabels }), TIMEOUT.controller, [aiCrds], { namespace: AI_GATEWAY_NAMESPACE });
      tenantDependencies.push(...([gatewayCrds, envoyGateway, aiCrds, aiGateway] as (pulumi.Resource | undefined)[]).filter((d): d is pulumi.Resource => d !== undefined));
      if (tenants) {
        // In Envoy Gateway's namespace, which its release creates.
        const storeNamespace = charts.envoyGateway.namespace;
        new k8s.apps.v1.Deployment(`${name}-ratelimit-redis`, rateLimitStoreDeployment(storeNamespace, labels), childOpts([envoyGateway]));
        new k8s.core.v1.Service(`${name}-ratelimit-redis`, rateLimitStoreService(storeNamespace, labels), childOpts([envoyGateway]));
      }
    }

    const multiNode = config.gpuPools.some((p) => p.multiNode);
    if (addons.leaderWorkerSet ?? multiNode) {
      release("lws", charts.leaderWorkerSet, leaderWorkerSetValues({ prometheusOperator }), TIMEOUT.controller);
    }

    // KEDA scales the autoscaled models (components/autoscaling); on the system nodes, as it
    // tolerates no GPU taint.
    this.autoscalingDependencies = config.models.some((m) => m.autoscaling !== undefined)
      ? [release("keda", charts.keda, kedaValues({ replicas, prometheusOperator }), TIMEOUT.controller)]
      : [];

    if (addons.gpuOperator && config.gpuPools.length > 0) {
      const values = gpuOperatorValues({ pools: config.gpuPools, kubernetesVersion: config.cluster.kubernetesVersion, prometheusOperator });
      let quota: pulumi.Resource | undefined;
      if (cloud === "gcp") {
        const ns = new k8s.core.v1.Namespace(
          `${name}-gpu-operator-ns`,
          // The driver, toolkit and device plugin run privileged with host mounts (GPU Operator docs).
          { metadata: { name: charts.gpuOperator.namespace, labels: { ...labels, ...podSecurityLabels("privileged") } } },
          childOpts(),
        );
        quota = new k8s.core.v1.ResourceQuota(
          `${name}-gpu-operator-quota`,
          gkeGpuOperatorQuota(charts.gpuOperator.namespace, labels) as k8s.core.v1.ResourceQuotaArgs,
          childOpts([ns]),
        );
      }
      // Node pools created with GPU driver installation disabled get the driver from Google's
      // installer; it skips nodes whose driver GKE manages (they carry gke-gpu-driver-version).
      let driverInstaller: pulumi.Resource | undefined;
      if (config.gpuPools.some((p) => p.nodeImage === "gke-cos")) {
        releases.push({ name: "gke-nvidia-driver-installer", chart: "daemonset-preloaded.yaml", version: gkeDriverInstaller.version, namespace: "kube-system", source: gkeDriverInstaller.source });
        driverInstaller = new k8s.yaml.v2.ConfigFile(`${name}-gke-driver-installer`, { file: gkeDriverInstaller.url }, childOpts());
      }
      release("gpu-operator", charts.gpuOperator, values, TIMEOUT.gpuOperator, [quota, driverInstaller]);
    }

    this.gatewayNamespace = GATEWAY_NAMESPACE;
    this.gatewayName = GATEWAY_NAME;
    const servingDependencies: pulumi.Resource[] = [];
    if (addons.kserve) {
      const crd = release("kserve-llmisvc-crd", charts.kserveLlmisvcCrd, {}, TIMEOUT.crds);
      const resources = release(
        "kserve-llmisvc-resources",
        charts.kserveLlmisvcResources,
        kserveResourcesValues({ gatewayNamespace: GATEWAY_NAMESPACE, gatewayName: GATEWAY_NAME }),
        TIMEOUT.kserveController,
        // The controller needs its CRDs, cert-manager for its webhook certificate, and the Gateway
        // API and InferencePool CRDs it watches.
        [crd, certManager, gatewayCrds, inferenceCrds],
      );
      // Presets go through the LLMInferenceService webhook, so they wait for the controller
      // (Helm's wait covers its Deployment becoming ready once the certificate is mounted).
      servingDependencies.push(release("kserve-runtime-configs", charts.kserveRuntimeConfigs, kserveRuntimeConfigsValues(), TIMEOUT.crds, [resources]));
    } else {
      servingDependencies.push(...[gatewayCrds, inferenceCrds].filter((d): d is pulumi.Resource => d !== undefined));
    }

    if (addons.sharedGateway) {
      const namespace = new k8s.core.v1.Namespace(
        `${name}-gateway-ns`,
        // Holds the Gateway and its certificate; Envoy Gateway runs the proxies in its own namespace.
        { metadata: { name: GATEWAY_NAMESPACE, labels: { ...labels, ...podSecurityLabels("restricted") } } },
        childOpts(),
      );
      const gatewayClass = envoy ? customObject(`${name}-gateway-class`, envoyGatewayClass(labels), childOpts([gatewayCrds])) : undefined;
      const certificate =
        config.gateway.hostname !== undefined && config.gateway.issuer !== undefined
          ? customObject(`${name}-gateway-certificate`, gatewayCertificate(config.gateway.hostname, config.gateway.issuer, labels), childOpts([namespace, certManager]))
          : undefined;
      this.gateway = customObject(
        `${name}-gateway`,
        sharedGateway({ cloud, exposure: config.gateway.exposure, hostname: config.gateway.hostname, labels, envoyOnGke: cloud === "gcp" && envoy }),
        childOpts([namespace, gatewayCrds, gatewayClass, certificate]),
      );
      servingDependencies.push(this.gateway);
      tenantDependencies.push(this.gateway);
    }
    this.tenantDependencies = tenantDependencies;
    // Model services and routers render PodMonitors/ServiceMonitors too.
    this.servingDependencies = [...servingDependencies, ...(monitoringStack ? [monitoringStack] : [])];
    this.routerDependencies = [...(inferenceCrds ? [inferenceCrds] : []), ...(monitoringStack ? [monitoringStack] : [])];
    this.releases = releases;
    this.registerOutputs({ releases, gatewayNamespace: this.gatewayNamespace, gatewayName: this.gatewayName });
  }
}

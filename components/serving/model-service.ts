import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { gatewayAddress } from "../addons/gateway-manifests";
import { modelScaler } from "../autoscaling/model-scaler";
import { charts } from "../versions";
import type { GpuPoolDescriptor } from "../cluster/pool-descriptor";
import type { ResolvedModel } from "../config";
import { customObject } from "../kube-object";
import { endpoint, ModelEndpoint } from "./endpoints";
import { llmInferenceService, LlmInferenceServiceOptions } from "./llm-inference-service";
import { modelPodMonitor } from "./monitoring";
import { routerReleaseName, routerValues } from "./router-values";

export interface ModelServiceArgs {
  /** The resolved model. Required. */
  readonly model: ResolvedModel;
  /** Its GPU pool; undefined for simulator models. */
  readonly pool?: GpuPoolDescriptor;
  /** Namespace of the model services (created beforehand; pass it in dependsOn). Required. */
  readonly namespace: string;
  /** Provider of the cluster. Required. */
  readonly provider: k8s.Provider;
  /** The shared Gateway the route attaches to. Required. */
  readonly gateway: { readonly name: string; readonly namespace: string; readonly resource?: k8s.apiextensions.CustomResource };
  /** Hostname of the gateway's HTTPS listener; endpoints use it instead of the load balancer's address. Default: none (HTTP). */
  readonly hostname?: string;
  /** Estimated seconds to restore the weights onto a node. Default: 0. */
  readonly restoreSeconds?: number;
  /** Whether the cluster runs the Prometheus operator. Default: false. */
  readonly prometheusOperator?: boolean;
  /** Whether that Prometheus is the platform's own (monitoring.install), which reads ServiceMonitors on GKE too. Default: false. */
  readonly platformPrometheus?: boolean;
  /** Prometheus the model's scaler queries; required when the model autoscales. */
  readonly prometheusUrl?: string;
  /** What the model's ScaledObject waits for (the KEDA release). Default: none. */
  readonly autoscalingDependsOn?: pulumi.Resource[];
  /** Whether the cluster's gateway is GKE's. Default: false. */
  readonly gke?: boolean;
  /** Resources the service must wait for (KServe presets, CRDs, Gateway). Default: none. */
  readonly dependsOn?: pulumi.Resource[];
  /** Resources the router release must wait for (namespace, InferencePool CRD). Default: none. */
  readonly routerDependsOn?: pulumi.Resource[];
  /** Labels for every object. Default: none. */
  readonly labels?: Record<string, string>;
  /** The model cache, when it provides the weights (nvme or stream mode). Default: KServe downloads them. */
  readonly cache?: LlmInferenceServiceOptions["cache"];
}

/** One served model: its LLMInferenceService, its llm-d router, and its endpoint. */
export class ModelService extends pulumi.ComponentResource {
  /** OpenAI-compatible endpoint: base URL, served model name, namespace, curl line. */
  public readonly endpoint: pulumi.Output<ModelEndpoint>;
  /** Name of the InferencePool routing to this model (llm-d and precise routing). */
  public readonly poolName?: string;

  constructor(name: string, args: ModelServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:index:ModelService", name, {}, opts);
    const { model } = args;
    const labels = args.labels ?? {};
    const childOpts = (dependsOn: pulumi.Resource[]): pulumi.CustomResourceOptions => ({ parent: this, provider: args.provider, dependsOn });

    const usesRouterRelease = model.routing === "llm-d" || model.routing === "precise";
    const poolName = routerReleaseName(model.name);
    const routerRelease = usesRouterRelease
      ? new k8s.helm.v3.Release(
          `${name}-router`,
          {
            name: poolName,
            chart: `${charts.llmdRouter.repository}/${charts.llmdRouter.chart}`,
            version: charts.llmdRouter.version,
            namespace: args.namespace,
            values: routerValues(model, { prometheusOperator: args.prometheusOperator ?? false, gke: args.gke ?? false, platformPrometheus: args.platformPrometheus ?? false }),
            timeout: 600,
            atomic: true,
          },
          // Independent of KServe: the chart needs only the InferencePool CRD and the namespace.
          childOpts(args.routerDependsOn ?? []),
        )
      : undefined;
    this.poolName = usesRouterRelease ? poolName : undefined;

    const workload = customObject(
      `${name}-llmisvc`,
      llmInferenceService({
        model,
        pool: args.pool,
        namespace: args.namespace,
        gateway: { name: args.gateway.name, namespace: args.gateway.namespace },
        poolName,
        restoreSeconds: args.restoreSeconds ?? 0,
        labels,
        cache: args.cache,
        gke: args.gke ?? false,
      }),
      // The InferencePool the router release creates is what the service's scheduler points at.
      childOpts([...(args.dependsOn ?? []), ...(routerRelease ? [routerRelease] : [])]),
    );

    const scaler = args.prometheusUrl === undefined ? undefined : modelScaler(model, { namespace: args.namespace, prometheusUrl: args.prometheusUrl, labels });
    if (model.autoscaling !== undefined && scaler === undefined) {
      throw new Error(`model ${model.name}: autoscaling needs the Prometheus URL its scaler queries`);
    }
    if (scaler !== undefined) {
      // KEDA's kind has no generated type (its CRD ships inside the keda chart's templates); the
      // builder's ScaledObject interface types it, and tests validate it against the chart's CRD.
      const scalerArgs: k8s.apiextensions.CustomResourceArgs = scaler;
      // After the LLMInferenceService, whose controller creates the workload the scaler targets.
      new k8s.apiextensions.CustomResource(`${name}-scaler`, scalerArgs, childOpts([workload, ...(args.autoscalingDependsOn ?? [])]));
    }

    if (args.prometheusOperator) {
      customObject(`${name}-podmonitor`, modelPodMonitor(model.name, args.namespace, labels), childOpts(args.routerDependsOn ?? []));
    }

    // Values that exist only once deployed: KServe's status.url, the gateway's address.
    const statusUrl = (workload as unknown as { status?: pulumi.Output<{ url?: string } | undefined> }).status;
    this.endpoint = pulumi
      .all([statusUrl ?? pulumi.output(undefined), gatewayAddress(args.gateway.resource)])
      .apply(([status, address]) =>
        endpoint({
          model: model.name,
          servedModelName: model.servedModelName,
          namespace: args.namespace,
          statusUrl: status?.url,
          gatewayAddress: address,
          hostname: args.hostname,
          scheme: "http",
        }),
      );
    this.registerOutputs({ endpoint: this.endpoint, poolName: this.poolName });
  }
}

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlatformConfig } from "../config";
import { customObject } from "../kube-object";
import { apiKeySecret, guardsGateway, tenantGatewayObjects, tenantGatewayOptions } from "./gateway-objects";
import type { TenantGatewayObject } from "./gateway-types";
import { TemplateGrant, templateGrantObjects } from "./template-grant";
import { tenantUsagePodMonitor } from "./usage";

// Registers the tenants' objects: one API key per API-key tenant (generated with @pulumi/random,
// or read from the secret stack-config key the tenant names), its Secret, the gateway policies
// and route of gateway-objects.ts (with priorities: the Lua policy and the InferenceObjectives),
// and the usage PodMonitor when Prometheus runs.

export interface TenantGatewayArgs {
  /** The validated environment with at least one tenant. Required. */
  readonly config: PlatformConfig;
  readonly provider: k8s.Provider;
  readonly gateway: { readonly name: string; readonly namespace: string };
  /** Namespace of the Envoy proxies (Envoy Gateway's), where the usage PodMonitor goes. */
  readonly proxyNamespace: string;
  /** Keys read from secret stack config, by tenant name. Default: none. */
  readonly suppliedKeys?: Readonly<Record<string, pulumi.Input<string>>>;
  /** The Gateway, the AI Gateway release and the models namespace: what the objects need first. */
  readonly dependsOn: readonly pulumi.Resource[];
  readonly labels: Readonly<Record<string, string>>;
}

/** Characters of a generated key: 48 letters and digits, about 285 bits. */
export const GENERATED_KEY_LENGTH = 48;

/**
 * Registers one gateway object. Its type is hand-written from the chart's CRD (gateway-types.ts)
 * and validated against it in the tests; the provider types every spec field as `any`.
 */
function gatewayObject(name: string, object: TenantGatewayObject, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
  const args: k8s.apiextensions.CustomResourceArgs = object;
  return new k8s.apiextensions.CustomResource(name, args, opts);
}

export class TenantGateway extends pulumi.ComponentResource {
  /** Each API-key tenant's key, by tenant name (secret). */
  public readonly keys: pulumi.Output<Record<string, string>>;
  /** The objects registered, for the plan summary and tests. */
  public readonly objects: readonly TenantGatewayObject[];

  constructor(name: string, args: TenantGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:index:TenantGateway", name, {}, opts);
    const { config, provider, labels } = args;
    const namespace = config.modelsNamespace;
    const childOpts = (dependsOn: readonly pulumi.Resource[] = []): pulumi.CustomResourceOptions => ({ parent: this, provider, dependsOn: [...dependsOn] });

    const keys: Record<string, pulumi.Output<string>> = {};
    const secrets: pulumi.Resource[] = [];
    for (const tenant of config.tenants) {
      if (tenant.credential.kind !== "apiKey") {
        continue;
      }
      const supplied = args.suppliedKeys?.[tenant.name];
      if (tenant.credential.secretConfig !== undefined && supplied === undefined) {
        throw new Error(`tenant "${tenant.name}": its key llm-platform:${tenant.credential.secretConfig} was not supplied`);
      }
      const key =
        supplied !== undefined
          ? pulumi.secret(supplied)
          : new random.RandomPassword(
              `${name}-${tenant.name}-key`,
              // Raising `rotation` replaces the password, and with it the key in the Secret.
              { length: GENERATED_KEY_LENGTH, special: false, keepers: { rotation: String(tenant.credential.rotation) } },
              { parent: this },
            ).result;
      keys[tenant.name] = key;
      secrets.push(new k8s.core.v1.Secret(`${name}-${tenant.name}-key`, apiKeySecret(tenant.name, key, namespace, labels), childOpts(args.dependsOn)));
    }
    this.keys = pulumi.secret(pulumi.all(keys));

    this.objects = tenantGatewayObjects({ ...tenantGatewayOptions(config, labels), gateway: args.gateway });
    const register = (object: TenantGatewayObject, after: readonly pulumi.Resource[]) =>
      gatewayObject(`${name}-${object.kind.toLowerCase()}-${object.metadata.name}`, object, childOpts([...args.dependsOn, ...secrets, ...after]));
    // The route's authorization-only policy must never be live without the Gateway's authentication and header strip.
    const guards = this.objects.filter(guardsGateway).map((object) => register(object, []));
    for (const object of this.objects.filter((o) => !guardsGateway(o))) {
      register(object, guards);
    }
    if (config.monitoring.prometheusOperator) {
      customObject(
        `${name}-usage-podmonitor`,
        tenantUsagePodMonitor({ proxyNamespace: args.proxyNamespace, gatewayName: args.gateway.name, gatewayNamespace: args.gateway.namespace, labels }),
        childOpts(args.dependsOn),
      );
    }
    this.registerOutputs({ keys: this.keys });
  }
}

export interface TenantGrantArgs {
  /** The validated grant of a template stack (resolveTemplateGrant). Required. */
  readonly grant: TemplateGrant;
  readonly provider: k8s.Provider;
  /** The template's namespace and model services: the route's InferencePools come with them. */
  readonly dependsOn: readonly pulumi.Resource[];
}

/** A template stack's route for its models, with the granted tenants' access and ceilings (template-grant.ts). */
export class TenantGrant extends pulumi.ComponentResource {
  public readonly objects: readonly TenantGatewayObject[];

  constructor(name: string, args: TenantGrantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("llm-platform:index:TenantGrant", name, {}, opts);
    this.objects = templateGrantObjects(args.grant);
    for (const object of this.objects) {
      gatewayObject(`${name}-${object.kind.toLowerCase()}-${object.metadata.name}`, object, { parent: this, provider: args.provider, dependsOn: [...args.dependsOn] });
    }
    this.registerOutputs({});
  }
}

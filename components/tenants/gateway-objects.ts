import type { ISecret } from "kubernetes-models/v1/Secret";
import { GATEWAY_NAME, GATEWAY_NAMESPACE } from "../addons/gateway-manifests";
import type { PlatformConfig } from "../config/resolve";
import type { Named } from "../named-object";
import { routerReleaseName } from "../serving/router-values";
import type { ResolvedTenant } from "./config";
import type { QuotaWindows, TenantQuotas } from "./schema";
import { JWT_PROVIDER_HEADER_PREFIX, jwtProviderName } from "./jwt-provider";
import type {
  AIGatewayRoute,
  AuthorizationRule,
  BackendTrafficPolicy,
  ClientTrafficPolicy,
  EnvoyExtensionPolicy,
  GlobalRateLimitRule,
  InferenceObjective,
  JwtProvider,
  PolicyTargetRef,
  ReferenceGrant,
  ResponseOverride,
  SecurityPolicy,
  TenantGatewayObject,
} from "./gateway-types";

// The objects that enforce tenants on the shared Gateway. Pure builders; the names below are
// stable (the e2e tier applies these objects to the real controllers by these names). For a
// validated environment: tenantGatewayObjects(tenantGatewayOptions(config)) gives every policy and
// the route, apiKeySecret(tenant, key, config.modelsNamespace, labels) each API-key tenant's Secret.
//
// How a tenant's request flows (Envoy Gateway v1.8.1, Envoy AI Gateway v1.0.0):
// - `llm-tenants` AIGatewayRoute in the models namespace: one rule per model, matching the
//   `x-ai-eg-model` header the AI Gateway filter sets from the body's `model` field and sending it
//   to the model's InferencePool. The AI Gateway controller turns it into an HTTPRoute of the same
//   name and namespace, with a last `route-not-found` rule on `/` (ai-gateway
//   internal/controller/ai_gateway_route.go newHTTPRoute); InferencePool backends must sit in the
//   route's namespace, which is why the route lives beside the models. KServe's per-model routes
//   (`/<namespace>/<model>/v1/...`) stay; their longer path prefixes win for their paths.
// - `llm-tenants-gateway` SecurityPolicy on the Gateway authenticates every tenant on every route:
//   API keys from `Authorization: Bearer <key>` (Envoy's api_key_auth strips the Bearer scheme;
//   gateway site/content/en/latest/tasks/security/apikey-auth.md) with the client ID forwarded in
//   `x-llm-tenant`, read from the models namespace's Secrets through a ReferenceGrant there, or JWT
//   providers, one per issuer, with the tenant claim copied into that header and into the
//   provider's own `x-llm-jwt-<digest>` (jwt-provider.ts says why); its authorization denies all.
//   Authentication sits on the Gateway, not on a route, because it runs on the route a request
//   first matches: before the AI Gateway's filter has read the model, that is one of the
//   AIGatewayRoutes' `/` catch-alls, the oldest HTTPRoute's (internal/gatewayapi/sort.go,
//   resource.go), and a model template's own route may be the oldest. Routes without a policy of
//   their own (KServe's per-model paths) keep the Gateway's: 401 without a credential, 403 with one.
// - `llm-tenants` SecurityPolicy on that HTTPRoute: authorization only, with `mergeType:
//   StrategicMerge`, so Envoy Gateway merges it into the Gateway's policy (internal/gatewayapi/
//   securitypolicy.go mergeSecurityPolicy; lists are replaced, other fields kept) and the route
//   gets the Gateway's authentication and its own rules. Authentication filters run before the AI
//   Gateway's ext_proc and RBAC after it (gateway internal/xds/translator/httpfilters.go
//   newOrderedHTTPFilter: api_key_auth 6, jwt_authn 9, ext_proc 100+, rbac 301, ratelimit 303), so
//   authorization sees the model header and one rule per tenant allows its models: 401 without a
//   valid credential, 403 for a model outside the list. A rule's principal headers are ANDed
//   (internal/xds/translator/authorization.go buildRBACPerRoute). A model template's stack renders
//   the same route, policy and limits in its own namespace for the tenants it grants
//   (template-grant.ts).
// - `llm-tenants` BackendTrafficPolicy on the same route: global rate limits keyed by
//   `x-llm-tenant`, one counter per model the tenant calls (windowRules says why); token ceilings cost 0 per request and the token count of the response, read
//   from the `io.envoy.ai_gateway` metadata the route's `llmRequestCosts` fill (ai-gateway
//   site/docs/capabilities/traffic/usage-based-ratelimiting.md). responseOverride gives 401, 403
//   and 429 an OpenAI-shaped JSON body.
// - `llm-tenants` ClientTrafficPolicy on the Gateway: removes a client-sent `x-llm-tenant`, any
//   `x-llm-jwt-*` and the objective headers before any filter runs, so a caller cannot pick the
//   tenant its requests are allowed and counted as, nor the priority they are served with. These
//   Gateway objects are created before the route's (guardsGateway).
// - Tenant priority (only when a tenant sets one): one InferenceObjective `<tenant>.<model>` per
//   granted model, on that model's pool, and a `llm-tenants` EnvoyExtensionPolicy whose Lua script
//   sets `x-llm-d-inference-objective` from the authenticated tenant and the model header. See
//   tenantObjectives for how the endpoint picker reads them.

/** Header carrying the authenticated tenant after authentication; metrics and rate limits key on it. */
export const TENANT_HEADER = "x-llm-tenant";
/** Header the AI Gateway filter sets to the request body's model (ai-gateway api/v1alpha1/shared_types.go AIModelHeaderKey). */
export const MODEL_HEADER = "x-ai-eg-model";
/** Dynamic-metadata namespace of the token counts (ai-gateway api/v1alpha1/shared_types.go AIGatewayFilterMetadataNamespace). */
export const AI_GATEWAY_METADATA_NAMESPACE = "io.envoy.ai_gateway";
/** Name of the AIGatewayRoute, its generated HTTPRoute and the route's policies. */
export const TENANTS_ROUTE = "llm-tenants";
/** Name of the Gateway-wide deny policy and the ClientTrafficPolicy. */
export const TENANTS_GATEWAY_POLICY = "llm-tenants-gateway";
/** Where an API key is read from: what OpenAI clients send. */
export const API_KEY_HEADER = "authorization";

/**
 * Header naming a request's InferenceObjective at llm-d-router v0.10.0's endpoint picker
 * (pkg/epp/metadata/consts.go ObjectiveKey, read in pkg/epp/handlers/request.go).
 */
export const OBJECTIVE_HEADER = "x-llm-d-inference-objective";
/** Its deprecated alias, which the picker still reads when the current name is absent (consts.go OldObjectiveKey). */
export const LEGACY_OBJECTIVE_HEADER = "x-gateway-inference-objective";

/** Token metadata keys the AIGatewayRoute fills and the rate limits read. */
export const TOKEN_METADATA = { inputTokens: "llm_input_token", outputTokens: "llm_output_token", totalTokens: "llm_total_token" } as const;

/** Secret holding one API-key tenant's key under its name (the client ID Envoy forwards). */
export function apiKeySecretName(tenant: string): string {
  return `llm-tenant-${tenant}-api-key`;
}

/**
 * The identity `x-llm-tenant` carries for a tenant: its name for API keys (the Secret's key is the
 * client ID), the claim's value for JWT.
 */
export function tenantIdentity(tenant: RoutedTenant): string {
  return tenant.credential.kind === "jwt" ? tenant.credential.value : tenant.name;
}

/** What the builders need to know about a model a tenant may call. */
export interface TenantRoutedModel {
  readonly name: string;
  readonly servedModelName: string;
  readonly routing: "llm-d" | "kserve" | "precise" | "round-robin";
}

/**
 * The InferencePool a model's requests go to, as its LLMInferenceService names it
 * (serving/llm-inference-service.ts routeScheduler); round-robin models have none.
 */
export function modelInferencePool(model: Pick<TenantRoutedModel, "name" | "routing">): string | undefined {
  switch (model.routing) {
    case "llm-d":
    case "precise":
      return routerReleaseName(model.name);
    case "kserve":
      return `${model.name}-inference-pool`;
    case "round-robin":
      return undefined;
  }
}

/** What a route's objects need of a tenant; a model template's copy of an environment tenant has no more. */
export interface RoutedTenant extends Omit<ResolvedTenant, "credential"> {
  /** For JWT: the claim's value naming the tenant and the header its issuer's provider fills with it (jwt-provider.ts). */
  readonly credential: { readonly kind: "apiKey" } | { readonly kind: "jwt"; readonly value: string; readonly header: string };
}

/** A tenants' route, its models and its Gateway. */
export interface TenantGatewayOptions {
  readonly tenants: readonly RoutedTenant[];
  readonly models: readonly TenantRoutedModel[];
  readonly modelsNamespace: string;
  readonly gateway: { readonly name: string; readonly namespace: string };
  readonly labels: Readonly<Record<string, string>>;
}

const routeTarget: PolicyTargetRef = { group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: TENANTS_ROUTE };
const gatewayTarget = (name: string): PolicyTargetRef => ({ group: "gateway.networking.k8s.io", kind: "Gateway", name });

/** The environment's own route and its Gateway's authentication: the tenants with their whole credentials. */
export interface EnvironmentGatewayOptions extends TenantGatewayOptions {
  readonly tenants: readonly ResolvedTenant[];
}

/** Models any tenant may call, in config order. */
function tenantModels(options: TenantGatewayOptions): TenantRoutedModel[] {
  const used = new Set(options.tenants.flatMap((t) => t.models));
  return options.models.filter((m) => used.has(m.name) && modelInferencePool(m) !== undefined);
}

export function tenantsRoute(options: TenantGatewayOptions): AIGatewayRoute {
  return {
    apiVersion: "aigateway.envoyproxy.io/v1beta1",
    kind: "AIGatewayRoute",
    metadata: { name: TENANTS_ROUTE, namespace: options.modelsNamespace, labels: options.labels },
    spec: {
      parentRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: options.gateway.name, namespace: options.gateway.namespace }],
      rules: tenantModels(options).map((m) => ({
        matches: [{ headers: [{ type: "Exact", name: MODEL_HEADER, value: m.servedModelName }] }],
        backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: modelInferencePool(m) as string }],
      })),
      llmRequestCosts: [
        { metadataKey: TOKEN_METADATA.inputTokens, type: "InputToken" },
        { metadataKey: TOKEN_METADATA.outputTokens, type: "OutputToken" },
        { metadataKey: TOKEN_METADATA.totalTokens, type: "TotalToken" },
      ],
    },
  };
}

/** The Secret of one API-key tenant; `key` is the key itself (a Pulumi secret where built). */
export function apiKeySecret<K>(tenant: string, key: K, namespace: string, labels: Readonly<Record<string, string>>): Omit<Named<ISecret>, "stringData"> & { stringData: Record<string, K> } {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: apiKeySecretName(tenant), namespace, labels: { ...labels, "llm-platform.io/tenant": tenant } },
    type: "Opaque",
    stringData: { [tenant]: key },
  };
}

function allowRule(tenant: RoutedTenant, models: readonly TenantRoutedModel[]): AuthorizationRule {
  const served = models.filter((m) => tenant.models.includes(m.name)).map((m) => m.servedModelName);
  // A JWT tenant's claim as its own issuer's provider verified it, not `x-llm-tenant`, which any provider writes: another issuer cannot name it.
  const tenantHeader =
    tenant.credential.kind === "jwt" ? { name: tenant.credential.header, values: [tenant.credential.value] } : { name: TENANT_HEADER, values: [tenant.name] };
  return { name: tenant.name, action: "Allow", principal: { headers: [tenantHeader, { name: MODEL_HEADER, values: served }] } };
}

/**
 * One provider per distinct issuer (jwt-provider.ts says why not one per tenant), in the tenants'
 * order, copying the tenant claim into `x-llm-tenant` (limits, usage) and into the provider's own
 * header (access). Tenants of one issuer share its claim (config.ts checks it).
 */
function jwtSection(tenants: readonly ResolvedTenant[]): Pick<SecurityPolicy["spec"], "jwt"> {
  const providers = new Map<string, JwtProvider>();
  for (const t of tenants) {
    if (t.credential.kind !== "jwt" || providers.has(jwtProviderName(t.credential))) {
      continue;
    }
    const c = t.credential;
    providers.set(jwtProviderName(c), {
      name: jwtProviderName(c),
      issuer: c.issuer,
      audiences: [...c.audiences],
      remoteJWKS: { uri: c.jwksUri },
      claimToHeaders: [
        { header: TENANT_HEADER, claim: c.claim },
        { header: c.header, claim: c.claim },
      ],
    });
  }
  return providers.size > 0 ? { jwt: { providers: [...providers.values()] } } : {};
}

/**
 * Authentication of every tenant, on the Gateway: API keys (read from the models namespace) or
 * JWT providers. Its authorization denies all, so a route without its own merged authorization
 * (KServe's per-model paths) refuses every request: 401 without a credential, 403 with one.
 */
export function gatewaySecurityPolicy(options: Pick<EnvironmentGatewayOptions, "tenants" | "modelsNamespace" | "gateway" | "labels">): SecurityPolicy {
  const keyTenants = options.tenants.filter((t) => t.credential.kind === "apiKey");
  const crossNamespace = options.modelsNamespace !== options.gateway.namespace;
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "SecurityPolicy",
    metadata: { name: TENANTS_GATEWAY_POLICY, namespace: options.gateway.namespace, labels: options.labels },
    spec: {
      targetRefs: [gatewayTarget(options.gateway.name)],
      ...(keyTenants.length > 0
        ? {
            apiKeyAuth: {
              credentialRefs: keyTenants.map((t) => ({ group: "" as const, kind: "Secret" as const, name: apiKeySecretName(t.name), ...(crossNamespace ? { namespace: options.modelsNamespace } : {}) })),
              extractFrom: [{ headers: [API_KEY_HEADER] }],
              forwardClientIDHeader: TENANT_HEADER,
              // The model servers never see a tenant's key.
              sanitize: true,
            },
          }
        : {}),
      ...jwtSection(options.tenants),
      authorization: { defaultAction: "Deny" },
    },
  };
}

/**
 * Lets the Gateway's SecurityPolicy read the API-key Secrets in the models namespace (Envoy
 * Gateway checks a cross-namespace credentialRef against ReferenceGrants, securitypolicy.go);
 * one `to` per Secret, so nothing else there is readable. Undefined without API-key tenants or
 * when the Gateway shares the models namespace.
 */
export function tenantKeysReferenceGrant(options: Pick<EnvironmentGatewayOptions, "tenants" | "modelsNamespace" | "gateway" | "labels">): ReferenceGrant | undefined {
  const keyTenants = options.tenants.filter((t) => t.credential.kind === "apiKey");
  if (keyTenants.length === 0 || options.modelsNamespace === options.gateway.namespace) {
    return undefined;
  }
  return {
    apiVersion: "gateway.networking.k8s.io/v1beta1",
    kind: "ReferenceGrant",
    metadata: { name: TENANTS_GATEWAY_POLICY, namespace: options.modelsNamespace, labels: options.labels },
    spec: {
      from: [{ group: "gateway.envoyproxy.io", kind: "SecurityPolicy", namespace: options.gateway.namespace }],
      to: keyTenants.map((t) => ({ group: "", kind: "Secret", name: apiKeySecretName(t.name) })),
    },
  };
}

/**
 * Per-tenant model access on a tenants' route: authorization only, merged into the Gateway's
 * policy, which authenticates (a merged policy keeps the Gateway's fields it does not set). Its
 * rules read only headers, so it names no credential of its own.
 */
export function tenantsSecurityPolicy(options: TenantGatewayOptions): SecurityPolicy {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "SecurityPolicy",
    metadata: { name: TENANTS_ROUTE, namespace: options.modelsNamespace, labels: options.labels },
    spec: {
      targetRefs: [routeTarget],
      mergeType: "StrategicMerge",
      authorization: { defaultAction: "Deny", rules: options.tenants.map((t) => allowRule(t, tenantModels(options))) },
    },
  };
}

/**
 * Name of a tenant's InferenceObjective on one model's pool. Tenant and model names are DNS labels
 * (no dots), so `<tenant>.<model>` is a unique DNS subdomain. One per pool is needed: the picker
 * keys objectives by name alone, and all pools share the models namespace.
 */
export function tenantObjectiveName(tenant: string, model: string): string {
  return `${tenant}.${model}`;
}

/** The (tenant, model) pairs that get an objective: tenants with a priority, models with a platform-run picker. */
function objectivePairs(options: TenantGatewayOptions): { tenant: RoutedTenant; model: TenantRoutedModel; pool: string; priority: number }[] {
  const models = tenantModels(options);
  return options.tenants.flatMap((tenant) => {
    const priority = tenant.priority;
    if (priority === undefined) {
      return [];
    }
    // routing kserve runs KServe's own scheduler; the config refuses a priority there (config.ts).
    return models
      .filter((m) => tenant.models.includes(m.name) && (m.routing === "llm-d" || m.routing === "precise"))
      .map((model) => ({ tenant, model, pool: modelInferencePool(model) as string, priority }));
  });
}

/**
 * One InferenceObjective per (tenant with a priority, granted model), on that model's pool.
 *
 * How llm-d-router v0.10.0's endpoint picker uses it:
 * - It watches InferenceObjective in llm-d.ai/v1alpha2, or, when only that is absent, in
 *   inference.networking.x-k8s.io/v1alpha2 (pkg/epp/server/controller_config.go
 *   populateWithDiscovery). The platform installs the Inference Extension v1.5.0 manifests (the
 *   x-k8s group) and keeps KServe's bundled llm-d.ai copies off (addons/chart-values.ts), so the
 *   objectives are built in the x-k8s group; the router chart's Role reads both groups.
 * - It caches objectives of its pool's namespace only, keeps those whose poolRef names its pool,
 *   and looks one up by the name in the request's `x-llm-d-inference-objective` header
 *   (pkg/epp/server/controller_manager.go, pkg/epp/controller/inferenceobjective_reconciler.go,
 *   pkg/epp/datastore/datastore.go ObjectiveGet); no objective means priority 0
 *   (pkg/epp/requestcontrol/director.go getInferenceObjective).
 * - With flow control off, as the platform runs it, admission is the legacy controller: a request
 *   with priority below 0 is sheddable and refused with 429 while the pool's saturation detector
 *   reports saturation (default: saturationdetector/utilization/detector.go, the pool's mean of
 *   max(waiting queue / 5, KV cache / 0.8) reaching 1); others are always admitted (pkg/epp/requestcontrol/admission.go
 *   LegacyAdmissionController, pkg/epp/util/request/sheddable.go, cmd/epp/runner/runner.go
 *   initAdmissionControl). The priority also labels the picker's request metrics.
 */
export function tenantObjectives(options: TenantGatewayOptions): InferenceObjective[] {
  return objectivePairs(options).map(({ tenant, model, pool, priority }) => ({
    apiVersion: "inference.networking.x-k8s.io/v1alpha2",
    kind: "InferenceObjective",
    metadata: { name: tenantObjectiveName(tenant.name, model.name), namespace: options.modelsNamespace, labels: { ...options.labels, "llm-platform.io/tenant": tenant.name } },
    spec: { priority, poolRef: { group: "inference.networking.k8s.io", kind: "InferencePool", name: pool } },
  }));
}

/** A Lua string literal holding `value` byte for byte: quotes, backslashes and control bytes escaped (Lua 5.1 `\ddd`). */
export function luaString(value: string): string {
  const out: number[] = [];
  for (const byte of Buffer.from(value, "utf8")) {
    if (byte === 0x22 || byte === 0x5c) {
      out.push(0x5c, byte);
    } else if (byte < 0x20 || byte === 0x7f) {
      out.push(...Buffer.from(`\\${String(byte).padStart(3, "0")}`, "latin1"));
    } else {
      out.push(byte);
    }
  }
  return `"${Buffer.from(out).toString("utf8")}"`;
}

/**
 * Lua for the tenants' route: sets the objective header from the authenticated tenant
 * (`x-llm-tenant`) and the requested model (`x-ai-eg-model`), and drops any other value.
 *
 * Why a script: the header has to be in place before the picker's ext_proc filter, which the AI
 * Gateway appends right before the router (ai-gateway internal/extensionserver/
 * post_translate_modify.go patchListenerWithInferencePoolFilters); a route's header modifiers are
 * applied by the router itself, too late. Its value depends on tenant and model together, which
 * neither the API-key client ID nor a JWT claim header carries. The Lua filter runs after
 * authentication and after the AI Gateway's own ext_proc, which sets the model header (the AI
 * Gateway inserts that before the first Lua/ext_proc/RBAC filter, insertAIGatewayExtProcFilter;
 * Envoy Gateway orders Lua at 12, internal/xds/translator/httpfilters.go newOrderedHTTPFilter).
 */
export function objectiveScript(options: TenantGatewayOptions): string {
  const seen = new Set<string>();
  const entries: string[] = [];
  for (const { tenant, model } of objectivePairs(options)) {
    const key = `${tenantIdentity(tenant)}\n${model.servedModelName}`;
    // Two tenants sharing an identity are refused by the config; the first one wins here.
    if (!seen.has(key)) {
      seen.add(key);
      entries.push(`  [${luaString(key)}] = ${luaString(tenantObjectiveName(tenant.name, model.name))},`);
    }
  }
  return [
    "-- The endpoint picker's objective for the authenticated tenant and the requested model.",
    "local objectives = {",
    ...entries,
    "}",
    "function envoy_on_request(request_handle)",
    "  local headers = request_handle:headers()",
    `  headers:remove(${luaString(OBJECTIVE_HEADER)})`,
    `  headers:remove(${luaString(LEGACY_OBJECTIVE_HEADER)})`,
    `  local tenant = headers:get(${luaString(TENANT_HEADER)})`,
    `  local model = headers:get(${luaString(MODEL_HEADER)})`,
    "  if tenant == nil or model == nil then",
    "    return",
    "  end",
    '  local objective = objectives[tenant .. "\\n" .. model]',
    "  if objective ~= nil then",
    `    headers:add(${luaString(OBJECTIVE_HEADER)}, objective)`,
    "  end",
    "end",
    "",
  ].join("\n");
}

/** The Lua policy on the tenants' route; undefined when no tenant has a priority. */
export function tenantObjectivePolicy(options: TenantGatewayOptions): EnvoyExtensionPolicy | undefined {
  if (objectivePairs(options).length === 0) {
    return undefined;
  }
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "EnvoyExtensionPolicy",
    metadata: { name: TENANTS_ROUTE, namespace: options.modelsNamespace, labels: options.labels },
    spec: { targetRefs: [routeTarget], lua: [{ type: "Inline", inline: objectiveScript(options) }] },
  };
}

/**
 * Strips a client-sent tenant header, any provider header and the objective headers before any
 * filter runs. Provider headers go by their prefix, not by the providers the environment has now:
 * a model template's grant may read the header of an issuer the environment has since dropped,
 * which no provider writes any more and a client could otherwise send.
 */
export function tenantHeaderStrip(options: Pick<TenantGatewayOptions, "gateway" | "labels">): ClientTrafficPolicy {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "ClientTrafficPolicy",
    metadata: { name: TENANTS_GATEWAY_POLICY, namespace: options.gateway.namespace, labels: options.labels },
    spec: {
      targetRefs: [gatewayTarget(options.gateway.name)],
      headers: {
        earlyRequestHeaders: {
          remove: [TENANT_HEADER, OBJECTIVE_HEADER, LEGACY_OBJECTIVE_HEADER],
          removeOnMatch: [{ type: "Prefix", value: JWT_PROVIDER_HEADER_PREFIX }],
        },
      },
    },
  };
}

/**
 * Whether an object guards the whole Gateway: its authentication, its header strip, its default
 * limits and the grant to the key Secrets. A route's authorization-only policy is applied alone
 * while the Gateway has no policy to merge into (securitypolicy.go: "No parent policy found, fall
 * back to current policy"), where its header rules could be met by a client sending the headers,
 * so the route objects are created after these.
 */
export function guardsGateway(object: TenantGatewayObject): boolean {
  if (object.kind === "ReferenceGrant") {
    return true;
  }
  return "targetRefs" in object.spec && object.spec.targetRefs.every((t) => t.kind === "Gateway");
}

const UNITS = { perMinute: "Minute", perHour: "Hour", perDay: "Day" } as const;

function windowRules(identity: string, windows: QuotaWindows | undefined, cost: GlobalRateLimitRule["cost"]): GlobalRateLimitRule[] {
  if (windows === undefined) {
    return [];
  }
  return (Object.keys(UNITS) as (keyof typeof UNITS)[]).flatMap((w) => {
    const requests = windows[w];
    if (requests === undefined) {
      return [];
    }
    // One counter per route rule, so per model (Envoy Gateway keys an unshared rule on the route
    // rule, internal/xds/translator/ratelimit.go buildRouteRateLimits). Not `shared`: a policy
    // with any shared rule has all its limits put on the route's rate_limits
    // (patchRouteWithRateLimit), where on the gateway's data path a token ceiling's counter grew by
    // 2 per request whatever the response's token count, so it was never reached.
    return [{ clientSelectors: [{ headers: [{ name: TENANT_HEADER, type: "Exact" as const, value: identity }] }], limit: { requests, unit: UNITS[w] }, ...(cost ? { cost } : {}) }];
  });
}

/** A tenant's ceilings as global rate-limit rules: requests count 1 each, tokens their response's count. */
export function quotaRules(identity: string, quotas: TenantQuotas): GlobalRateLimitRule[] {
  const tokenCost = (key: string): GlobalRateLimitRule["cost"] => ({
    // Checked before the request with nothing added, charged with the response's count.
    request: { from: "Number", number: 0 },
    response: { from: "Metadata", metadata: { namespace: AI_GATEWAY_METADATA_NAMESPACE, key } },
  });
  return [
    ...windowRules(identity, quotas.requests, undefined),
    ...windowRules(identity, quotas.inputTokens, tokenCost(TOKEN_METADATA.inputTokens)),
    ...windowRules(identity, quotas.outputTokens, tokenCost(TOKEN_METADATA.outputTokens)),
    ...windowRules(identity, quotas.totalTokens, tokenCost(TOKEN_METADATA.totalTokens)),
  ];
}

/** OpenAI's error object (`{"error": {message, type, param, code}}`) for a status the gateway answers itself. */
export function openAiError(status: 401 | 403 | 429): string {
  const errors = {
    401: { message: "Missing or invalid credentials: send Authorization: Bearer <your tenant key or token>.", type: "invalid_request_error", code: "invalid_api_key" },
    // Envoy's jwt_authn also answers a valid token for another audience with 403 (filter.cc
    // onComplete), and an override matches the status only: the body names both causes.
    403: {
      message: "Not allowed: this tenant may not use the requested model here, or the token was issued for another audience.",
      type: "invalid_request_error",
      code: "permission_denied",
    },
    // Also the body of the endpoint picker's 429 for a sheddable tenant (priority below 0) on a
    // saturated model: Envoy sends that as a local reply, which the same override replaces.
    429: {
      message: "Too many requests: the tenant's quota for the current window is used up, or the model is saturated and this tenant's requests are shed first. Retry later.",
      type: "rate_limit_exceeded",
      code: "rate_limit_exceeded",
    },
  } as const;
  return JSON.stringify({ error: { ...errors[status], param: null } });
}

function errorOverrides(statuses: readonly (401 | 403 | 429)[]): ResponseOverride[] {
  return statuses.map((status) => ({
    // Only replies the proxy makes itself; a model server's own errors pass through.
    match: { statusCodes: [{ type: "Value", value: status }] },
    source: "Local",
    response: { contentType: "application/json", body: { type: "Inline", inline: openAiError(status) } },
  }));
}

/** Rate limits of every tenant and OpenAI-shaped 401/403/429 bodies on the tenants' route. */
export function tenantsTrafficPolicy(options: TenantGatewayOptions): BackendTrafficPolicy {
  const rules = options.tenants.flatMap((t) => quotaRules(tenantIdentity(t), t.quotas));
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "BackendTrafficPolicy",
    metadata: { name: TENANTS_ROUTE, namespace: options.modelsNamespace, labels: options.labels },
    spec: {
      targetRefs: [routeTarget],
      ...(rules.length > 0 ? { rateLimit: { type: "Global" as const, global: { rules } } } : {}),
      responseOverride: errorOverrides([401, 403, 429]),
    },
  };
}

/** OpenAI-shaped 401 and 403 bodies for the Gateway's other routes. */
export function gatewayTrafficPolicy(options: Pick<TenantGatewayOptions, "gateway" | "labels">): BackendTrafficPolicy {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "BackendTrafficPolicy",
    metadata: { name: TENANTS_GATEWAY_POLICY, namespace: options.gateway.namespace, labels: options.labels },
    spec: { targetRefs: [gatewayTarget(options.gateway.name)], responseOverride: errorOverrides([401, 403]) },
  };
}

/** The builders' options for a validated environment: its tenants, models, models namespace and the shared Gateway. */
export function tenantGatewayOptions(config: Pick<PlatformConfig, "tenants" | "models" | "modelsNamespace">, labels: Readonly<Record<string, string>> = {}): EnvironmentGatewayOptions {
  return {
    tenants: config.tenants,
    models: config.models.map((m) => ({ name: m.name, servedModelName: m.servedModelName, routing: m.routing })),
    modelsNamespace: config.modelsNamespace,
    gateway: { name: GATEWAY_NAME, namespace: GATEWAY_NAMESPACE },
    labels,
  };
}

/**
 * Every custom object the tenants need, in apply order (Secrets are built apart: they hold keys):
 * the gateway's policies (with API keys, the ReferenceGrant to their Secrets) and route, then,
 * with priorities, the Lua policy and the objectives.
 */
export function tenantGatewayObjects(options: EnvironmentGatewayOptions): TenantGatewayObject[] {
  const objectivePolicy = tenantObjectivePolicy(options);
  const grant = tenantKeysReferenceGrant(options);
  return [
    tenantHeaderStrip(options),
    ...(grant !== undefined ? [grant] : []),
    gatewaySecurityPolicy(options),
    gatewayTrafficPolicy(options),
    tenantsRoute(options),
    tenantsSecurityPolicy(options),
    tenantsTrafficPolicy(options),
    ...(objectivePolicy !== undefined ? [objectivePolicy] : []),
    ...tenantObjectives(options),
  ];
}

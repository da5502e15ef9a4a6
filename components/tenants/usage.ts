import type { PodMonitor } from "../generated/crds/monitoring.coreos.com/v1/PodMonitor";
import type { ResolvedTenant } from "./config";
import type { QuotaWindows, TenantQuotas } from "./schema";
import { TENANT_HEADER } from "./gateway-objects";

// Per-tenant usage and how a tenant reaches the gateway. The AI Gateway's ext_proc, which runs in
// every Envoy pod of the Gateway (injected by the AI Gateway controller, ai-gateway v1.0.0
// internal/controller/gateway_mutator.go: port `aigw-admin` 1064, /metrics), exports
// gen_ai_client_token_usage per model and token type; with the tenant header mapped to a metric
// label (controller flag --metricsRequestHeaderAttributes) every series carries the tenant too.

/** Label the tenant's identity gets on the AI Gateway's metrics (an OpenTelemetry attribute; Prometheus shows `llm_tenant`). */
export const TENANT_METRIC_ATTRIBUTE = "llm.tenant";
/** Request headers mapped to metric attributes, as the AI Gateway chart takes them. */
export const TENANT_METRIC_LABELS: Readonly<Record<string, string>> = { [TENANT_HEADER]: TENANT_METRIC_ATTRIBUTE };

/** PodMonitor scraping the AI Gateway ext_proc of the shared Gateway's Envoy pods. */
export function tenantUsagePodMonitor(options: { proxyNamespace: string; gatewayName: string; gatewayNamespace: string; labels: Readonly<Record<string, string>> }): PodMonitor {
  return {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PodMonitor",
    metadata: { name: "llm-tenant-usage", namespace: options.proxyNamespace, labels: { ...options.labels } },
    spec: {
      // Envoy Gateway's labels on the proxies of one Gateway (gateway internal/infrastructure/kubernetes/proxy).
      selector: {
        matchLabels: {
          "app.kubernetes.io/name": "envoy",
          "app.kubernetes.io/component": "proxy",
          "app.kubernetes.io/managed-by": "envoy-gateway",
          "gateway.envoyproxy.io/owning-gateway-name": options.gatewayName,
          "gateway.envoyproxy.io/owning-gateway-namespace": options.gatewayNamespace,
        },
      },
      podMetricsEndpoints: [{ port: "aigw-admin", path: "/metrics", interval: "15s" }],
    },
  };
}

/** What a tenant needs to call the gateway; the stack output `tenants`. */
export interface TenantAccess {
  readonly tenant: string;
  /** OpenAI-compatible base URL shared by every tenant; the model goes in the request body. */
  readonly baseUrl: string;
  /** Header carrying the credential, and how. */
  readonly header: string;
  readonly credential: "apiKey" | "jwt";
  /** Where an API key is read: the stack output holding it (`--show-secrets`). */
  readonly keyOutput?: string;
  /** Model names to send (`servedModelName`). */
  readonly models: readonly string[];
  /** The tenant's ceilings in words, e.g. "requests 600/min; total tokens 400000/min". */
  readonly limits: string;
  /** The tenant's priority at the models' endpoint pickers in words, e.g. "-1 (shed when a pool is saturated)". */
  readonly priority: string;
  readonly curl: string;
}

/** The gateway's base URL for tenants: the hostname over HTTPS, else the address. */
export function tenantBaseUrl(options: { hostname?: string; address?: string; scheme: "http" | "https" }): string {
  if (options.hostname !== undefined) {
    return `https://${options.hostname}/v1`;
  }
  return `${options.scheme}://${options.address ?? "<gateway-address>"}/v1`;
}

const WINDOW_SHORT: Readonly<Record<keyof QuotaWindows, string>> = { perMinute: "min", perHour: "h", perDay: "day" };
const QUOTA_WORDS: Readonly<Record<keyof TenantQuotas, string>> = { requests: "requests", inputTokens: "input tokens", outputTokens: "output tokens", totalTokens: "total tokens" };

/** A tenant's ceilings in words, "unlimited" without any. */
export function quotaSummary(quotas: TenantQuotas): string {
  const parts = (Object.keys(QUOTA_WORDS) as (keyof TenantQuotas)[]).flatMap((key) => {
    const windows = quotas[key];
    if (windows === undefined) {
      return [];
    }
    const each = (Object.keys(WINDOW_SHORT) as (keyof QuotaWindows)[]).flatMap((w) => (windows[w] !== undefined ? [`${windows[w]}/${WINDOW_SHORT[w]}`] : []));
    return [`${QUOTA_WORDS[key]} ${each.join(", ")}`];
  });
  return parts.length > 0 ? parts.join("; ") : "unlimited";
}

/** A priority in words: below 0 the picker sheds the requests while the pool is saturated (gateway-objects.ts tenantObjectives). */
export function prioritySummary(priority: number | undefined): string {
  if (priority === undefined) {
    return "default (0)";
  }
  return priority < 0 ? `${priority} (shed when a pool is saturated)` : `${priority} (not shed)`;
}

export function tenantAccess(tenant: ResolvedTenant, servedName: (model: string) => string, baseUrl: string): TenantAccess {
  const models = tenant.models.map(servedName);
  const apiKey = tenant.credential.kind === "apiKey";
  const body = JSON.stringify({ model: models[0], messages: [{ role: "user", content: "Say hello." }] });
  const token = apiKey ? `$(pulumi stack output tenantKeys --show-secrets | jq -r '."${tenant.name}"')` : "$TOKEN";
  return {
    tenant: tenant.name,
    baseUrl,
    // API keys are read from the header OpenAI clients send them in (API_KEY_HEADER); JWTs from the same.
    header: `Authorization: Bearer <${apiKey ? "key" : "JWT"}>`,
    credential: tenant.credential.kind,
    ...(apiKey ? { keyOutput: `tenantKeys.${tenant.name}` } : {}),
    models,
    limits: quotaSummary(tenant.quotas),
    priority: prioritySummary(tenant.priority),
    curl: `curl -s ${baseUrl}/chat/completions -H "Authorization: Bearer ${token}" -H 'Content-Type: application/json' -d '${body}'`,
  };
}

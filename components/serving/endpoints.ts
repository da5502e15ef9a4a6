// Endpoints of a model service. KServe's managed HTTPRoute serves `/<namespace>/<name>/v1/...`
// on the shared Gateway (config/llmisvcconfig/config-llm-router-route.yaml, v0.20) and reports the
// same base in status.url; both are used, the status URL first.

export interface ModelEndpoint {
  readonly model: string;
  readonly servedModelName: string;
  readonly namespace: string;
  /** OpenAI-compatible base URL, ending in /v1. */
  readonly baseUrl: string;
  /**
   * Where the base URL came from: KServe's status, the gateway's HTTPS hostname plus the route, the
   * gateway's address plus the route, or the route alone while the load balancer has no address yet
   * (`<gateway-address>` stands in).
   */
  readonly source: "status.url" | "gateway-hostname" | "gateway-route" | "pending-address";
  readonly curl: string;
}

/** The route KServe gives a model on the gateway. */
export function routePath(namespace: string, name: string): string {
  return `/${namespace}/${name}`;
}

/** Stands in for the gateway's address until its load balancer has one. */
export const PENDING_ADDRESS = "<gateway-address>";

export function endpoint(options: {
  model: string;
  servedModelName: string;
  namespace: string;
  /** status.url of the LLMInferenceService, when KServe has reported it. */
  statusUrl?: string;
  /** Gateway address (host or IP), when the load balancer has one. */
  gatewayAddress?: string;
  /**
   * Hostname of the gateway's HTTPS listener. Its certificate names this host and the listener
   * matches it (SNI and Host), so clients must use it rather than the load balancer's address.
   */
  hostname?: string;
  /** Scheme of the listener reached through the address (HTTP unless the gateway only speaks HTTPS). */
  scheme: "http" | "https";
}): ModelEndpoint {
  const route = routePath(options.namespace, options.model);
  const base = options.statusUrl
    ? { url: options.statusUrl.replace(/\/$/, ""), source: "status.url" as const }
    : options.hostname
      ? { url: `https://${options.hostname}${route}`, source: "gateway-hostname" as const }
      : options.gatewayAddress
        ? { url: `${options.scheme}://${options.gatewayAddress}${route}`, source: "gateway-route" as const }
        : { url: `${options.scheme}://${PENDING_ADDRESS}${route}`, source: "pending-address" as const };
  const baseUrl = `${base.url}/v1`;
  const body = JSON.stringify({ model: options.servedModelName, messages: [{ role: "user", content: "Say hello." }] });
  return {
    model: options.model,
    servedModelName: options.servedModelName,
    namespace: options.namespace,
    baseUrl,
    source: base.source,
    curl: `curl -s ${baseUrl}/chat/completions -H 'Content-Type: application/json' -d '${body}'`,
  };
}

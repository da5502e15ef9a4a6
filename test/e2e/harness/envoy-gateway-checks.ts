// What Envoy Gateway v1.8.1 and the Envoy AI Gateway v1.0.0 controller wrote into the status of
// the gateway objects, read back from the API server: each object of theirs must be Accepted (and
// ResolvedRefs where the kind reports it) with no error condition, and a failure names the object.
// Pure; test/e2e/gateway-controllers.e2e.ts feeds it what kubectl lists.

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const get = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (isMap(v) ? v[k] : undefined), o);

/** Envoy Gateway's controller name (gateway-helm's config.envoyGateway.gateway.controllerName). */
export const ENVOY_GATEWAY_CONTROLLER = "gateway.envoyproxy.io/gatewayclass-controller";

/** The resources the tier lists, with where their status lives. */
export const GATEWAY_RESOURCES = [
  { resource: "gatewayclasses.gateway.networking.k8s.io", kind: "GatewayClass", status: "conditions" },
  { resource: "gateways.gateway.networking.k8s.io", kind: "Gateway", status: "conditions" },
  { resource: "httproutes.gateway.networking.k8s.io", kind: "HTTPRoute", status: "parents" },
  { resource: "grpcroutes.gateway.networking.k8s.io", kind: "GRPCRoute", status: "parents" },
  { resource: "securitypolicies.gateway.envoyproxy.io", kind: "SecurityPolicy", status: "ancestors" },
  { resource: "backendtrafficpolicies.gateway.envoyproxy.io", kind: "BackendTrafficPolicy", status: "ancestors" },
  { resource: "clienttrafficpolicies.gateway.envoyproxy.io", kind: "ClientTrafficPolicy", status: "ancestors" },
  { resource: "envoyextensionpolicies.gateway.envoyproxy.io", kind: "EnvoyExtensionPolicy", status: "ancestors" },
  { resource: "backends.gateway.envoyproxy.io", kind: "Backend", status: "conditions" },
  { resource: "aigatewayroutes.aigateway.envoyproxy.io", kind: "AIGatewayRoute", status: "conditions" },
  { resource: "aiservicebackends.aigateway.envoyproxy.io", kind: "AIServiceBackend", status: "conditions" },
  { resource: "backendsecuritypolicies.aigateway.envoyproxy.io", kind: "BackendSecurityPolicy", status: "conditions" },
  { resource: "quotapolicies.aigateway.envoyproxy.io", kind: "QuotaPolicy", status: "conditions" },
] as const;

export type GatewayKind = (typeof GATEWAY_RESOURCES)[number]["kind"];

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly observedGeneration?: number;
}

/** One object of a gateway kind as stored, with its kind (lists drop it from items only sometimes). */
export interface StoredObject {
  readonly kind: GatewayKind;
  readonly object: Json;
}

export function objectName(o: StoredObject): string {
  const ns = get(o.object, "metadata", "namespace");
  return `${o.kind} ${typeof ns === "string" && ns !== "" ? `${ns}/` : ""}${String(get(o.object, "metadata", "name"))}`;
}

const conditionsOf = (v: unknown): Condition[] => (Array.isArray(v) ? v.filter(isMap).map((c) => c as unknown as Condition) : []);

/**
 * Conditions that say something is wrong whatever their polarity: the positive ones false,
 * Conflicted true, NotAccepted in either (the AI Gateway writes it False). A Gateway the tier cannot give an address (no load
 * balancer here, so no proxy Service address) reports Programmed False with AddressNotAssigned:
 * that is the tier, not the configuration, and is the one exception.
 */
export function errorConditions(conditions: readonly Condition[], kind: GatewayKind): Condition[] {
  return conditions.filter((c) => {
    // The AI Gateway v1.0.0 writes a failed reconcile as NotAccepted False (internal/controller/
    // controller.go newConditions), its only condition then; Gateway API has no NotAccepted type.
    if (c.type === "NotAccepted") {
      return c.status !== "Unknown";
    }
    if (c.type === "Conflicted") {
      return c.status === "True";
    }
    if (c.status !== "False") {
      return false;
    }
    if (c.type === "Programmed" && (kind === "Gateway" || kind === "GatewayClass") && c.reason === "AddressNotAssigned") {
      return false;
    }
    // Gateway API's Overridden/Merged-style notes are informational; the rest are requirements.
    return ["Accepted", "ResolvedRefs", "Programmed", "Ready", "ResolvedRef"].includes(c.type);
  });
}

/** The condition sets a controller wrote on the object: one per status parent/ancestor, or the object's own. */
function statusSets(o: StoredObject, controllers: readonly string[]): { where: string; conditions: Condition[] }[] {
  const spec = GATEWAY_RESOURCES.find((r) => r.kind === o.kind);
  if (spec?.status === "conditions") {
    return [{ where: "", conditions: conditionsOf(get(o.object, "status", "conditions")) }];
  }
  const key = spec?.status ?? "parents";
  const entries = (get(o.object, "status", key) ?? []) as unknown[];
  return entries
    .filter(isMap)
    .filter((e) => controllers.includes(String(e.controllerName)))
    .map((e) => {
      const ref = (key === "parents" ? e.parentRef : e.ancestorRef) as Json | undefined;
      const refName = ref === undefined ? "" : ` (${key === "parents" ? "parent" : "ancestor"} ${String(ref.kind ?? "Gateway")} ${ref.namespace ? `${String(ref.namespace)}/` : ""}${String(ref.name)}${ref.sectionName ? `:${String(ref.sectionName)}` : ""})`;
      return { where: refName, conditions: conditionsOf(e.conditions) };
    });
}

/**
 * What the object needs to say when all is well: Accepted, and ResolvedRefs where the kind has it.
 * A route policy merged into its Gateway's (mergeType) gets a second ancestor, the Gateway's
 * listener, carrying Merged True and no Accepted; Accepted goes on the route's parent (gateway
 * v1.8.1 internal/gatewayapi/securitypolicy.go, SetAcceptedForPolicyAncestors with the routes'
 * parent refs), and a failed merge sets Accepted False on the listener's entry.
 */
function required(kind: GatewayKind, conditions: readonly Condition[] = []): string[] {
  if (conditions.some((c) => c.type === "Merged" && c.status === "True")) {
    return [];
  }
  return kind === "HTTPRoute" || kind === "GRPCRoute" ? ["Accepted", "ResolvedRefs"] : ["Accepted"];
}

/** True once a controller has written status for the object's current generation. */
export function settled(o: StoredObject, controllers: readonly string[] = [ENVOY_GATEWAY_CONTROLLER]): boolean {
  const generation = Number(get(o.object, "metadata", "generation") ?? 0);
  const sets = statusSets(o, controllers);
  return (
    sets.length > 0 &&
    // A condition still Unknown (the API server's default "Pending, waiting for controller") is no verdict.
    sets.every(({ conditions }) => required(o.kind, conditions).every((t) => conditions.some((c) => (c.type === t || (t === "Accepted" && c.type === "NotAccepted")) && c.status !== "Unknown"))) &&
    sets.every(({ conditions }) => conditions.every((c) => c.observedGeneration === undefined || c.observedGeneration >= generation))
  );
}

/**
 * Every problem with one object: no status from the controllers at all (nothing took it: a route
 * whose parent does not exist, a policy whose target is gone), a required condition missing or not
 * True, or an error condition. Each line names the object and, for routes and policies, the parent.
 */
export function objectProblems(o: StoredObject, controllers: readonly string[] = [ENVOY_GATEWAY_CONTROLLER], offline = false): string[] {
  const name = objectName(o);
  const sets = statusSets(o, controllers);
  // Offline, egctl's translator sets only the listeners' status of a Gateway (the provider sets the rest).
  if (offline && o.kind === "Gateway") {
    return listenerProblems(o, name);
  }
  if (sets.length === 0 || sets.every((s) => s.conditions.length === 0)) {
    return [`${name}: no status from ${controllers.join(" or ")}: nothing accepted it (does what it references exist?)`];
  }
  const problems: string[] = [];
  for (const { where, conditions } of sets) {
    for (const type of required(o.kind, conditions)) {
      const c = conditions.find((x) => x.type === type);
      if (c === undefined && !(type === "Accepted" && conditions.some((x) => x.type === "NotAccepted"))) {
        problems.push(`${name}${where}: no ${type} condition`);
      } else if (c !== undefined && c.status !== "True") {
        problems.push(`${name}${where}: ${c.type} ${c.status} (${c.reason ?? ""}): ${c.message ?? ""}`);
      }
    }
    for (const c of errorConditions(conditions, o.kind)) {
      if (!required(o.kind, conditions).includes(c.type)) {
        problems.push(`${name}${where}: ${c.type} ${c.status} (${c.reason ?? ""}): ${c.message ?? ""}`);
      }
    }
  }
  if (o.kind === "Gateway") {
    problems.push(...listenerProblems(o, name));
  }
  return problems;
}

function listenerProblems(o: StoredObject, name: string): string[] {
  const problems: string[] = [];
  for (const listener of ((get(o.object, "status", "listeners") ?? []) as unknown[]).filter(isMap)) {
    const conditions = conditionsOf(listener.conditions);
    for (const c of conditions.filter((x) => x.type === "Accepted" || x.type === "ResolvedRefs")) {
      if (c.status !== "True") {
        problems.push(`${name} listener ${String(listener.name)}: ${c.type} ${c.status} (${c.reason ?? ""}): ${c.message ?? ""}`);
      }
    }
    for (const c of errorConditions(conditions, o.kind).filter((x) => x.type !== "Accepted" && x.type !== "ResolvedRefs")) {
      problems.push(`${name} listener ${String(listener.name)}: ${c.type} ${c.status} (${c.reason ?? ""}): ${c.message ?? ""}`);
    }
  }
  return problems;
}

/**
 * egctl's YAML loader keeps only a Namespace's name (envoyproxy/gateway v1.8.1
 * internal/gatewayapi/resource/load.go), so offline a listener's namespace selector matches no
 * route. For the offline translation only, a selector becomes `from: All` once every route naming
 * that Gateway as a parent is in a namespace that carries the selector's labels (the live
 * controllers have checked the attachment itself); otherwise the Gateway is left as it is and
 * translates with its routes refused. Returns the input with those Gateways rewritten.
 */
export function forOfflineTranslation(input: readonly Json[]): Json[] {
  const labels = new Map(input.filter((o) => o.kind === "Namespace").map((n) => [String(get(n, "metadata", "name")), (get(n, "metadata", "labels") ?? {}) as Record<string, string>]));
  const routes = input.filter((o) => o.kind === "HTTPRoute" || o.kind === "GRPCRoute");
  return input.map((o) => {
    if (o.kind !== "Gateway") {
      return o;
    }
    const gwName = String(get(o, "metadata", "name"));
    const gwNamespace = String(get(o, "metadata", "namespace"));
    const attached = routes.filter((r) =>
      ((get(r, "spec", "parentRefs") ?? []) as Json[]).some((p) => p.name === gwName && String(p.namespace ?? get(r, "metadata", "namespace")) === gwNamespace),
    );
    const listeners = ((get(o, "spec", "listeners") ?? []) as Json[]).map((l) => {
      const from = get(l, "allowedRoutes", "namespaces", "from");
      const match = get(l, "allowedRoutes", "namespaces", "selector", "matchLabels") as Record<string, string> | undefined;
      const onlyLabels = match !== undefined && get(l, "allowedRoutes", "namespaces", "selector", "matchExpressions") === undefined;
      const all = attached.every((r) => Object.entries(match ?? {}).every(([k, v]) => labels.get(String(get(r, "metadata", "namespace")))?.[k] === v));
      return from === "Selector" && onlyLabels && all ? { ...l, allowedRoutes: { ...(l.allowedRoutes as Json), namespaces: { from: "All" } } } : l;
    });
    return { ...o, spec: { ...(o.spec as Json), listeners } };
  });
}

/**
 * The objects the gateway controllers are to accept: GatewayClasses of Envoy Gateway's controller,
 * Gateways of those classes, every policy and AI Gateway object, and every route except one whose
 * parents are all Gateways of another controller (GKE's managed classes). A route whose parent
 * does not exist stays in: it targets nothing, and that must fail by its name.
 */
export function ownedByEnvoyGateway(objects: readonly StoredObject[]): StoredObject[] {
  const key = (ns: unknown, name: unknown) => `${String(ns)}/${String(name)}`;
  const classes = new Set(
    objects.filter((o) => o.kind === "GatewayClass" && get(o.object, "spec", "controllerName") === ENVOY_GATEWAY_CONTROLLER).map((o) => String(get(o.object, "metadata", "name"))),
  );
  const gateways = objects.filter((o) => o.kind === "Gateway");
  const foreign = new Set(
    gateways.filter((g) => !classes.has(String(get(g.object, "spec", "gatewayClassName")))).map((g) => key(get(g.object, "metadata", "namespace"), get(g.object, "metadata", "name"))),
  );
  return objects.filter((o) => {
    if (o.kind === "GatewayClass") {
      return classes.has(String(get(o.object, "metadata", "name")));
    }
    if (o.kind === "Gateway") {
      return classes.has(String(get(o.object, "spec", "gatewayClassName")));
    }
    if (o.kind === "HTTPRoute" || o.kind === "GRPCRoute") {
      const parents = ((get(o.object, "spec", "parentRefs") ?? []) as unknown[]).filter(isMap);
      const own = get(o.object, "metadata", "namespace");
      return parents.length === 0 || !parents.every((p) => (p.kind ?? "Gateway") === "Gateway" && foreign.has(key(p.namespace ?? own, p.name)));
    }
    return true;
  });
}

/** Where `egctl x translate --to gateway-api` puts each kind in its output (resource.Resources' JSON). */
const TRANSLATED_LISTS: readonly (readonly [string, GatewayKind])[] = [
  ["gateways", "Gateway"],
  ["httpRoutes", "HTTPRoute"],
  ["grpcRoutes", "GRPCRoute"],
  ["securityPolicies", "SecurityPolicy"],
  ["backendTrafficPolicies", "BackendTrafficPolicy"],
  ["clientTrafficPolicies", "ClientTrafficPolicy"],
  ["envoyExtensionPolicies", "EnvoyExtensionPolicy"],
  ["backends", "Backend"],
];

/** The objects of an `egctl x translate --to gateway-api,xds -o json` result, with the status the offline translation gave them. */
export function translatedObjects(result: unknown): StoredObject[] {
  const objects: StoredObject[] = [];
  const gatewayClass = get(result, "gatewayClass");
  if (isMap(gatewayClass)) {
    objects.push({ kind: "GatewayClass", object: gatewayClass });
  }
  for (const [key, kind] of TRANSLATED_LISTS) {
    const list = get(result, key);
    if (Array.isArray(list)) {
      objects.push(...list.filter(isMap).map((object) => ({ kind, object })));
    }
  }
  return objects;
}

/** Counts of the xDS resources the translation produced for each Gateway (its config dump's sections). */
export function xdsSummary(result: unknown): Record<string, Record<string, number>> {
  const xds = get(result, "xds");
  const summary: Record<string, Record<string, number>> = {};
  for (const [gateway, dump] of Object.entries(isMap(xds) ? xds : {})) {
    const counts: Record<string, number> = {};
    for (const config of ((get(dump, "configs") ?? []) as unknown[]).filter(isMap)) {
      const type = String(config["@type"] ?? "").replace(/^.*\.(\w+)ConfigDump$/, "$1");
      const entries = Object.entries(config).filter(([k, v]) => k !== "@type" && Array.isArray(v));
      counts[type] = entries.reduce((n, [, v]) => n + (v as unknown[]).length, 0);
    }
    summary[gateway] = counts;
  }
  return summary;
}

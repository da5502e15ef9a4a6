import type { RouterValues } from "./router-values";

// The objects one release of the llm-d router chart (llm-d-router-gateway v0.10.0 with its routerlib
// dependency) renders, by kind, namespace and name, computed from the templates' naming rules with
// the release's values. Kept to names: it lets a plan check that no two releases of a stack render
// the same object (Helm refuses the second) without running Helm. Sources, all at v0.10.0 under
// config/charts/: llm-d-router-gateway/templates/{epp,gke,httproute,istio,rbac}.yaml and
// routerlib/templates/_*.yaml, _helpers.tpl.

/** A rendered object's identity; cluster-scoped objects have no namespace. */
export interface ObjectRef {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

export function objectRefKey(o: ObjectRef): string {
  return `${o.kind}/${o.namespace ?? "(cluster)"}/${o.name}`;
}

// Values as a recorded release holds them: the typed keys, read defensively (`at`) because a
// recorded or hand-made release may hold anything.
type Values = RouterValues;

function at(values: unknown, ...path: string[]): unknown {
  let v = values;
  for (const key of path) {
    if (typeof v !== "object" || v === null) {
      return undefined;
    }
    v = (v as { readonly [key: string]: unknown })[key];
  }
  return v;
}

/** Go template truthiness for the values the templates test. */
function truthy(v: unknown): boolean {
  return !(v === undefined || v === null || v === false || v === 0 || v === "" || (Array.isArray(v) && v.length === 0));
}

/** `llm-d-router.name`: the release name, lower-cased, trimmed, cut to 40, plus `-epp`. */
export function eppName(release: string): string {
  return `${(release || "default-pool").toLowerCase().trim().slice(0, 40)}-epp`;
}

/** The router chart's `llm-d-router.monitoring.provider.name`. */
function monitoringProvider(values: Values): string {
  const explicit = at(values, "router", "monitoring", "provider", "name");
  if (typeof explicit === "string" && explicit.trim() !== "") {
    return explicit.toLowerCase();
  }
  return String(at(values, "provider", "name") ?? "none").toLowerCase() === "gke" ? "gmp" : "prometheusoperator";
}

/** Chart defaults (routerlib values.yaml, llm-d-router-gateway values.yaml) for the keys the names depend on. */
const DEFAULT_METRICS_SECRET = "inference-gateway-sa-metrics-reader-secret";
const DEFAULT_GRPC_HEALTH_PORT = 9003;

/** Every object one router release renders, in template order. */
export function routerReleaseObjects(release: { name: string; namespace: string; values: Values }): ObjectRef[] {
  const { name: rel, namespace: ns, values } = release;
  const epp = eppName(rel);
  const out: ObjectRef[] = [];
  const add = (kind: string, name: string, namespaced = true) => out.push(namespaced ? { kind, namespace: ns, name } : { kind, name });
  const gatewayProvider = String(at(values, "provider", "name") ?? "none").toLowerCase();
  const monitoring = monitoringProvider(values);
  const prometheus = truthy(at(values, "router", "monitoring", "prometheus", "enabled"));
  const authValue = at(values, "router", "monitoring", "prometheus", "auth", "enabled");
  const auth = authValue === undefined ? true : truthy(authValue);
  const preferredBackends = truthy(at(values, "provider", "gke", "preferredBackends", "enabled"));
  if (preferredBackends) {
    // The StatefulSet/Service fan-out of GKE preferred backends is not modelled; the platform never sets it.
    throw new Error(`router release ${rel}: provider.gke.preferredBackends is not modelled`);
  }

  // epp.yaml: inference pool and objectives, config, deployment, leader election, token, service, monitor.
  if (at(values, "router", "inferencePool", "create") !== false) {
    add("InferencePool", rel);
    for (const objective of (at(values, "router", "inferenceObjectives") as { name: string }[] | undefined) ?? []) {
      add("InferenceObjective", objective.name);
    }
  }
  add("ConfigMap", epp);
  const proxyConfigMap = at(values, "router", "proxy", "configMap", "name");
  if (truthy(at(values, "router", "proxy", "enabled")) && typeof proxyConfigMap === "string") {
    add("ConfigMap", proxyConfigMap);
  }
  if (truthy(at(values, "router", "latencyPredictor", "enabled"))) {
    add("ConfigMap", `${epp}-latency-predictor-training`);
    add("ConfigMap", `${epp}-latency-predictor-prediction`);
  }
  add("Deployment", epp);
  if (Number(at(values, "router", "epp", "replicas") ?? 1) > 1) {
    add("Role", `${epp}-leader-election`);
    add("RoleBinding", `${epp}-leader-election-binding`);
  }
  if (prometheus && auth && monitoring === "prometheusoperator") {
    add("Secret", String(at(values, "router", "monitoring", "prometheus", "auth", "secretName") ?? DEFAULT_METRICS_SECRET));
  }
  add("Service", epp);
  if (prometheus && monitoring === "prometheusoperator") {
    add("ServiceMonitor", `${epp}-monitor`);
  }

  // gke.yaml: health-check and backend policies, and the Managed Prometheus objects.
  if (gatewayProvider === "gke") {
    add("HealthCheckPolicy", rel);
    if (Number(at(values, "router", "epp", "grpcHealthPort") ?? DEFAULT_GRPC_HEALTH_PORT) !== DEFAULT_GRPC_HEALTH_PORT) {
      add("HealthCheckPolicy", `${rel}-epp`);
    }
    add("GCPBackendPolicy", rel);
    if (monitoring === "gmp" && prometheus && auth) {
      const autopilot = truthy(at(values, "router", "monitoring", "provider", "gmp", "autopilot")) || truthy(at(values, "provider", "gke", "autopilot"));
      add("ServiceAccount", `${rel}-metrics-reader-sa`);
      add("Secret", `${rel}-metrics-reader-secret`);
      add("PodMonitoring", rel);
      add("ClusterRole", `${ns}-${rel}-metrics-reader`, false);
      add("ClusterRoleBinding", `${ns}-${rel}-metrics-reader-role-binding`, false);
      add("Role", `${rel}-metrics-reader-secret-read`);
      add("RoleBinding", `${autopilot ? "gke-gmp-system" : "gmp-system"}:collector:${ns}-${rel}-metrics-reader-secret-read`);
    }
  }
  if (truthy(at(values, "httpRoute", "create"))) {
    add("HTTPRoute", rel);
  }
  if (gatewayProvider === "istio") {
    add("DestinationRule", epp);
  }

  // rbac.yaml and routerlib _rbac.yaml.
  add("Role", `${epp}-non-sa`);
  add("RoleBinding", `${epp}-non-sa`);
  if (prometheus) {
    // `llm-d-router.cluster-rbac-name`: release and namespace, each cut to 40, quoted, cut to 84.
    const clusterName = `"${(rel || "default-pool").toLowerCase().trim().slice(0, 40)}-${(ns || "default").toLowerCase().trim().slice(0, 40)}-epp"`.slice(0, 84).replace(/^"|"$/g, "");
    add("ClusterRole", clusterName, false);
    add("ClusterRoleBinding", clusterName, false);
  }
  add("Role", `${epp}-sa`);
  add("RoleBinding", `${epp}-sa`);
  add("ServiceAccount", epp);
  return out;
}

/** Objects rendered by more than one owner, with the owners of each. */
export function duplicateObjects(owners: readonly { owner: string; objects: readonly ObjectRef[] }[]): { object: string; owners: string[] }[] {
  const seen = new Map<string, string[]>();
  for (const { owner, objects } of owners) {
    for (const o of objects) {
      const key = objectRefKey(o);
      seen.set(key, [...(seen.get(key) ?? []), owner]);
    }
  }
  return [...seen.entries()].filter(([, by]) => by.length > 1).map(([object, by]) => ({ object, owners: by }));
}

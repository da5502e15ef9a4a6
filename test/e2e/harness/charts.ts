import type { KubernetesObject } from "../../../automation/plan/render";
import type { RecordedResource } from "../../../automation/plan/recorder";

// Pure checks of the chart tier: what plan asks of each Helm release against the chart as
// released, and what the releases render against each other and the platform's own objects.
// No I/O here; test/e2e/charts.e2e.ts feeds them Helm's output and the API server's discovery.

const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";

/** One Helm release as plan registers it (the inputs the Kubernetes provider would install). */
export interface PlannedRelease {
  /** Pulumi resource name. */
  readonly resourceName: string;
  /** Helm release name. */
  readonly name: string;
  /** Chart name: the last segment of an OCI reference, or the chart of a repository. */
  readonly chart: string;
  readonly version: string;
  /** Helm repository URL or OCI location, to name the upstream component in messages. */
  readonly repository: string;
  readonly namespace: string;
  readonly values: Record<string, unknown>;
  readonly skipCrds: boolean;
  readonly createNamespace: boolean;
}

export function plannedReleases(resources: readonly RecordedResource[]): PlannedRelease[] {
  return resources
    .filter((r) => r.type === HELM_RELEASE)
    .map((r) => {
      const i = r.inputs as {
        name?: string;
        chart?: string;
        version?: string;
        namespace?: string;
        repositoryOpts?: { repo?: string };
        values?: Record<string, unknown>;
        skipCrds?: boolean;
        createNamespace?: boolean;
      };
      for (const field of ["name", "chart", "version", "namespace"] as const) {
        if (typeof i[field] !== "string" || i[field] === "") {
          // Without them Pulumi would auto-name the release or install it into "default".
          throw new Error(`Helm release ${r.name}: ${field} is not set`);
        }
      }
      const chart = i.chart as string;
      const oci = chart.startsWith("oci://");
      const slash = chart.lastIndexOf("/");
      return {
        resourceName: r.name,
        name: i.name as string,
        chart: oci ? chart.slice(slash + 1) : chart,
        version: i.version as string,
        repository: oci ? chart.slice(0, slash) : (i.repositoryOpts?.repo ?? "(no repository)"),
        namespace: i.namespace as string,
        values: i.values ?? {},
        skipCrds: i.skipCrds === true,
        createNamespace: i.createNamespace === true,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** "release <name> (chart <chart> <version> from <repository>)": the upstream component named. */
export function describeRelease(r: PlannedRelease): string {
  return `release ${r.name} (chart ${r.chart} ${r.version} from ${r.repository})`;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A JSON schema node, as far as the key check reads it. */
export interface SchemaNode {
  readonly type?: string | readonly string[];
  readonly properties?: Record<string, SchemaNode>;
  readonly additionalProperties?: boolean | SchemaNode;
  readonly patternProperties?: Record<string, SchemaNode>;
  readonly $ref?: string;
  readonly [k: string]: unknown;
}

/** A chart's default values with its subcharts' defaults under their aliases, and its schema. */
export interface ChartModel {
  readonly defaults: Record<string, unknown>;
  readonly schema?: SchemaNode;
  /** Dotted value paths whose whole map the templates render (toYaml), so any key fits there. */
  readonly wholeMaps?: ReadonlySet<string>;
}

/** One template file of a chart. */
export interface TemplateFile {
  readonly file: string;
  readonly text: string;
}

const VALUES_PATH = "\\.Values\\.([A-Za-z0-9_]+(?:\\.[A-Za-z0-9_]+)*)";

/**
 * Value paths a chart's templates pass on whole: `toYaml .Values.x`, `{{ with .Values.x }}` whose
 * body renders `toYaml .` (as karpenter does with nodeSelector), or `$v := .Values.x` with `$v`
 * then given to toYaml/merge/mergeOverwrite (as gateway-helm does with config.envoyGateway, the
 * EnvoyGateway API object). Such a map follows an upstream API type, not values.yaml.
 */
export function wholeMapsInTemplates(templates: readonly TemplateFile[], prefix = ""): Set<string> {
  const found = new Set<string>();
  for (const { text } of templates) {
    for (const m of text.matchAll(new RegExp(`toYaml\\s+\\(?\\s*${VALUES_PATH}`, "g"))) {
      found.add(`${prefix}${m[1]}`);
    }
    // The body of a `with` up to its first `end`: enough for the one-line toYaml bodies charts use.
    for (const m of text.matchAll(new RegExp(`{{-?\\s*with\\s+${VALUES_PATH}\\s*-?}}([\\s\\S]*?){{-?\\s*end`, "g"))) {
      if (/toYaml\s+\.\s*[|}]/.test(m[2])) {
        found.add(`${prefix}${m[1]}`);
      }
    }
    for (const m of text.matchAll(new RegExp(`(\\$[A-Za-z0-9_]+)\\s*:?=\\s*${VALUES_PATH}\\s*-?}}`, "g"))) {
      const variable = m[1].replace("$", "\\$");
      if (new RegExp(`(toYaml|merge|mergeOverwrite)\\s+\\(?\\s*${variable}\\b`).test(text)) {
        found.add(`${prefix}${m[2]}`);
      }
    }
  }
  return found;
}

/** Deep merge in which `over` wins, as Helm coalesces a parent's values over a subchart's. */
export function coalesce(under: unknown, over: unknown): unknown {
  if (over === undefined) {
    return under;
  }
  if (isMap(under) && isMap(over)) {
    const out: Record<string, unknown> = { ...under };
    for (const [k, v] of Object.entries(over)) {
      out[k] = coalesce(under[k], v);
    }
    return out;
  }
  // A null in the parent removes the subchart's default, as in Helm: the key is declared without one.
  return over;
}

/** Resolves a local `$ref` (`#/...`) against the schema's root. */
function resolveRef(node: SchemaNode | undefined, root: SchemaNode | undefined): SchemaNode | undefined {
  let current = node;
  for (let hops = 0; current?.$ref !== undefined && hops < 16; hops++) {
    const ref = current.$ref;
    if (!ref.startsWith("#/")) {
      return undefined;
    }
    let target: unknown = root;
    for (const part of ref.slice(2).split("/")) {
      target = isMap(target) ? target[part.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
    }
    current = target as SchemaNode | undefined;
  }
  return current;
}

function schemaIsFreeForm(node: SchemaNode | undefined): boolean {
  if (node === undefined) {
    return false;
  }
  const extra = node.additionalProperties;
  return extra === true || isMap(extra) || (isMap(node.patternProperties) && Object.keys(node.patternProperties).length > 0);
}

/** One value the platform sets that the chart does not declare. */
export interface UnknownValue {
  /** Dotted path of the key, as `--set` would write it. */
  readonly key: string;
  readonly reason: string;
}

/**
 * Keys in `values` that the chart's values.yaml (with its subcharts') does not have. A map the
 * chart declares free-form takes any keys: an empty map `{}` default, a key declared with no
 * default (`key:` with its fields only in comments, as the llm-d router chart's
 * `router.modelServers`), or a schema node with `additionalProperties`/`patternProperties`. A key
 * the schema declares counts as known even if values.yaml leaves it out. Lists and scalars are
 * leaves: Helm's schema validation judges what is inside them.
 */
export function unknownValueKeys(values: Record<string, unknown>, chart: ChartModel): UnknownValue[] {
  const found: UnknownValue[] = [];
  const walk = (given: Record<string, unknown>, defaults: unknown, schemaNode: SchemaNode | undefined, prefix: string): void => {
    const schema = resolveRef(schemaNode, chart.schema);
    const whole = chart.wholeMaps?.has(prefix.slice(0, -1)) === true;
    if (whole || defaults === null || (isMap(defaults) && Object.keys(defaults).length === 0) || schemaIsFreeForm(schema)) {
      return;
    }
    if (defaults !== undefined && !isMap(defaults)) {
      found.push({ key: prefix.slice(0, -1), reason: `the chart's default is ${Array.isArray(defaults) ? "a list" : `a ${typeof defaults}`}, not a map` });
      return;
    }
    if (defaults === undefined && schema?.properties === undefined) {
      // Declared only by a schema that says nothing about the inside.
      return;
    }
    for (const [key, value] of Object.entries(given)) {
      const path = `${prefix}${key}`;
      const inDefaults = defaults !== undefined && key in defaults;
      const childSchema = schema?.properties?.[key];
      if (!inDefaults && childSchema === undefined) {
        found.push({ key: path, reason: "not in the chart's values.yaml" });
      } else if (isMap(value)) {
        walk(value, inDefaults ? defaults[key] : undefined, childSchema, `${path}.`);
      }
    }
  };
  walk(values, chart.defaults, chart.schema, "");
  return found;
}

/** Builds a chart's model from its values.yaml, schema and dependencies (already parsed). */
export interface ChartFiles {
  readonly values: unknown;
  readonly schema?: SchemaNode;
  /** Subcharts by the key their values live under (the dependency's alias, else its name). */
  readonly subcharts: Readonly<Record<string, ChartFiles>>;
  readonly templates?: readonly TemplateFile[];
  /** A library chart's templates run in the parent's context: their paths are the parent's. */
  readonly library?: boolean;
  /** Sub-charts the local copy lacks (helm.ts KNOWN_MISSING_SUBCHARTS): any key fits under them. */
  readonly uncheckedSubcharts?: readonly string[];
}

export function chartModel(files: ChartFiles): ChartModel {
  let defaults = isMap(files.values) ? files.values : {};
  const subSchemas: Record<string, SchemaNode> = {};
  const wholeMaps = wholeMapsInTemplates(files.templates ?? []);
  for (const key of files.uncheckedSubcharts ?? []) {
    wholeMaps.add(key);
  }
  for (const [key, sub] of Object.entries(files.subcharts)) {
    const model = chartModel(sub);
    for (const p of model.wholeMaps ?? []) {
      wholeMaps.add(sub.library === true ? p : `${key}.${p}`);
    }
    const { global: subGlobal, ...rest } = model.defaults;
    defaults = coalesce({ [key]: rest, ...(subGlobal === undefined ? {} : { global: subGlobal }) }, defaults) as Record<string, unknown>;
    if (model.schema !== undefined) {
      subSchemas[key] = model.schema;
    }
  }
  if (files.schema === undefined && Object.keys(subSchemas).length === 0) {
    return { defaults, wholeMaps };
  }
  const own = files.schema ?? {};
  return { defaults, wholeMaps, schema: { ...own, properties: { ...(own.properties ?? {}), ...subSchemas } } };
}

/** Group (empty for the core group) of an apiVersion. */
export const groupOf = (apiVersion: string): string => (apiVersion.includes("/") ? apiVersion.split("/")[0] : "");

/** What the API server serves: per group and kind, whether it is namespaced. */
export type Served = ReadonlyMap<string, boolean>;
const servedKey = (group: string, kind: string) => `${group}/${kind}`;

/**
 * Parses `kubectl api-resources --no-headers` (NAME [SHORTNAMES] APIVERSION NAMESPACED KIND): the
 * NAMESPACED column is the only one that is exactly true or false.
 */
export function parseApiResources(text: string): Served {
  const served = new Map<string, boolean>();
  for (const line of text.split("\n")) {
    const tokens = line.trim().split(/\s+/);
    const i = tokens.findIndex((t, n) => n >= 2 && (t === "true" || t === "false"));
    if (i < 0 || i + 1 >= tokens.length) {
      continue;
    }
    served.set(servedKey(groupOf(tokens[i - 1]), tokens[i + 1]), tokens[i] === "true");
  }
  return served;
}

/** Namespaced kinds a CRD list adds (for kinds rendered before the API server serves them). */
export function servedByCrds(crds: readonly KubernetesObject[]): Served {
  const served = new Map<string, boolean>();
  for (const crd of crds) {
    const spec = crd.spec as { group?: string; scope?: string; names?: { kind?: string } } | undefined;
    if (spec?.group !== undefined && spec.names?.kind !== undefined) {
      served.set(servedKey(spec.group, spec.names.kind), spec.scope !== "Cluster");
    }
  }
  return served;
}

export const isCrd = (o: KubernetesObject): boolean => o.kind === "CustomResourceDefinition" && groupOf(o.apiVersion) === "apiextensions.k8s.io";

export function isServed(served: Served, o: KubernetesObject): boolean {
  return served.has(servedKey(groupOf(o.apiVersion), o.kind));
}

/**
 * The object as Helm would send it for a release in `namespace`: a namespaced object without a
 * namespace goes into the release's. Kinds the server does not serve are left as they are.
 */
export function placeInNamespace(o: KubernetesObject, namespace: string, served: Served): KubernetesObject {
  const namespaced = served.get(servedKey(groupOf(o.apiVersion), o.kind));
  if (namespaced !== true || (o.metadata.namespace ?? "") !== "") {
    return o;
  }
  return { ...o, metadata: { ...o.metadata, namespace } };
}

/** kind/namespace/name with the group, e.g. "Secret llm-models/x" or "ClusterRole x". */
export function objectId(o: KubernetesObject): string {
  const group = groupOf(o.apiVersion);
  const kind = group === "" ? o.kind : `${o.kind}.${group}`;
  return `${kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name ?? "(no name)"}`;
}

/** Objects from one place: a release, or the platform's own objects. */
export interface ObjectSource {
  /** Names the place and its upstream component, e.g. describeRelease(r). */
  readonly source: string;
  readonly objects: readonly KubernetesObject[];
}

/** One line per object that more than one source (or one source twice) renders. */
export function duplicateObjects(sources: readonly ObjectSource[]): string[] {
  const owners = new Map<string, string[]>();
  for (const { source, objects } of sources) {
    for (const o of objects) {
      const id = objectId(o);
      owners.set(id, [...(owners.get(id) ?? []), source]);
    }
  }
  return [...owners.entries()].filter(([, by]) => by.length > 1).map(([id, by]) => `${id} is rendered by ${by.length} sources: ${by.join("; ")}`);
}

/** API groups whose CRDs GKE installs and manages itself when its Gateway API support is on. */
export const GKE_MANAGED_CRD_GROUPS: readonly string[] = ["gateway.networking.k8s.io"];

/**
 * API groups whose CRDs the stack's managed cluster owns: a GKE cluster created with
 * `gatewayApiConfig` on a channel other than CHANNEL_DISABLED installs the Gateway API CRDs.
 */
export function clusterManagedCrdGroups(resources: readonly RecordedResource[]): string[] {
  const gatewayApi = resources
    .filter((r) => r.type === "gcp:container/cluster:Cluster")
    .some((r) => {
      const channel = (r.inputs as { gatewayApiConfig?: { channel?: string } }).gatewayApiConfig?.channel;
      return channel !== undefined && channel !== "CHANNEL_DISABLED";
    });
  return gatewayApi ? [...GKE_MANAGED_CRD_GROUPS] : [];
}

/** CRDs of groups the managed cluster owns, rendered by a release anyway. */
export function managedCrdsRendered(sources: readonly ObjectSource[], managedGroups: readonly string[]): string[] {
  return sources.flatMap(({ source, objects }) =>
    objects
      .filter((o) => isCrd(o) && managedGroups.includes((o.spec as { group?: string } | undefined)?.group ?? ""))
      .map((o) => `${objectId(o)} (group ${(o.spec as { group: string }).group}, managed by the cluster) is rendered by ${source}`),
  );
}

/** Namespaces that exist before anything is applied, on any cluster. */
export const BUILT_IN_NAMESPACES: readonly string[] = ["default", "kube-system", "kube-public", "kube-node-lease"];

/**
 * Namespaced objects whose namespace nothing creates: neither a Namespace object, nor a release
 * with createNamespace, nor the cluster itself. `pulumi up` would fail on them.
 */
export function objectsInMissingNamespaces(sources: readonly ObjectSource[], created: ReadonlySet<string>): string[] {
  return sources.flatMap(({ source, objects }) =>
    objects
      .filter((o) => {
        const ns = o.metadata.namespace ?? "";
        return ns !== "" && !created.has(ns) && !BUILT_IN_NAMESPACES.includes(ns);
      })
      .map((o) => `${objectId(o)} from ${source}: namespace ${o.metadata.namespace} is created by nothing the stack installs`),
  );
}

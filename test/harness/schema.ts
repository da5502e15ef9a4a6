import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";

// Validates Kubernetes objects against real upstream schemas: the CRDs in ../shared/crds for
// custom kinds, kubernetes-models (generated from the Kubernetes OpenAPI spec) for core kinds.

/** Where the upstream CRDs live: `../shared/crds` beside the repository, or LLM_PLATFORM_CRDS_DIR. */
export const CRDS_DIR = process.env.LLM_PLATFORM_CRDS_DIR ?? path.resolve(__dirname, "..", "..", "..", "shared", "crds");

type JsonSchema = { [keyword: string]: unknown };

/**
 * Turns a structural CRD schema into a JSON Schema that rejects what the API server would prune or
 * refuse under strict field validation: unknown fields are errors unless the schema preserves
 * them; int-or-string accepts either.
 */
export function strictStructuralSchema(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties" && value && typeof value === "object") {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, strictStructuralSchema(v)]),
      );
    } else if ((key === "items" || key === "additionalProperties") && value && typeof value === "object") {
      out[key] = strictStructuralSchema(value as JsonSchema);
    } else if ((key === "allOf" || key === "anyOf" || key === "oneOf") && Array.isArray(value)) {
      out[key] = value.map((v: JsonSchema) => strictStructuralSchema(v));
    } else if (key === "not" && value && typeof value === "object") {
      out.not = strictStructuralSchema(value as JsonSchema);
    } else if (!key.startsWith("x-kubernetes-") && key !== "nullable") {
      out[key] = value;
    }
  }
  if (schema["x-kubernetes-int-or-string"] === true) {
    delete out.type;
    out.anyOf = [{ type: "integer" }, { type: "string" }, ...((out.anyOf as JsonSchema[]) ?? [])];
  }
  if (schema.nullable === true && typeof out.type === "string") {
    out.type = [out.type, "null"];
  }
  const preserves = schema["x-kubernetes-preserve-unknown-fields"] === true;
  if (out.type === "object" && out.properties !== undefined && out.additionalProperties === undefined && !preserves) {
    out.additionalProperties = false;
  }
  return out;
}

function newAjv(): Ajv {
  // allErrors: report every problem in an object, as kubectl would list them.
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: true });
  addFormats(ajv);
  for (const format of ["int32", "int64", "double", "float", "byte", "binary", "password", "leader"]) {
    ajv.addFormat(format, true);
  }
  return ajv;
}

interface CrdVersion {
  name: string;
  served: boolean;
  schema?: { openAPIV3Schema?: JsonSchema };
}

interface Crd {
  kind: string;
  spec: { group: string; names: { kind: string }; scope: "Namespaced" | "Cluster"; versions: CrdVersion[] };
}

export interface SchemaProblem {
  readonly object: string;
  readonly message: string;
}

/** Charts whose CRDs ship as templates rather than in ../shared/crds: chart and the directory holding them. */
const CHART_CRD_DIRS: readonly (readonly [string, string])[] = [
  ["karpenter-crd", "templates"],
  ["keda", "templates/crds"],
  // Envoy Gateway's and Envoy AI Gateway's own kinds (the tenants' policies and route).
  ["gateway-crds-helm", "templates/generated"],
  ["ai-gateway-crds-helm", "templates"],
];

/**
 * The CRD files of CHART_CRD_DIRS in ../shared/charts (or LLM_PLATFORM_CHARTS_DIR), with every line
 * that holds a Helm action dropped: those templates only template metadata annotations.
 */
export function chartCrdTexts(): string[] {
  const charts = process.env.LLM_PLATFORM_CHARTS_DIR ?? path.resolve(__dirname, "..", "..", "..", "shared", "charts");
  return CHART_CRD_DIRS.flatMap(([chart, sub]) => {
    const dir = path.join(charts, chart, sub);
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".yaml"))
      .sort()
      .map((f) =>
        fs
          .readFileSync(path.join(dir, f), "utf8")
          .split("\n")
          .filter((line) => !line.includes("{{"))
          .join("\n"),
      );
  });
}

/** Kinds GKE serves without a published CRD file, transcribed from its API reference (test/fixtures/gke-crds). */
export const GKE_CRDS_DIR = path.resolve(__dirname, "..", "fixtures", "gke-crds");

export function gkeCrdTexts(): string[] {
  return fs
    .readdirSync(GKE_CRDS_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => fs.readFileSync(path.join(GKE_CRDS_DIR, f), "utf8"));
}

/** A compiled set of validators, one per served CRD version, plus core kinds on demand. */
export class KubernetesSchemas {
  private readonly crds = new Map<string, { validate: ValidateFunction; scope: Crd["spec"]["scope"] }>();

  constructor(crdsDir: string = CRDS_DIR) {
    if (!fs.existsSync(crdsDir)) {
      throw new Error(`CRD directory ${crdsDir} not found: clone the repository beside shared/ or set LLM_PLATFORM_CRDS_DIR`);
    }
    const ajv = newAjv();
    const texts = [
      ...fs
        .readdirSync(crdsDir)
        .filter((f) => f.endsWith(".yaml"))
        .sort()
        .map((f) => fs.readFileSync(path.join(crdsDir, f), "utf8")),
      ...chartCrdTexts(),
      ...gkeCrdTexts(),
    ];
    for (const text of texts) {
      for (const doc of parseAllDocuments(text)) {
        const crd = doc.toJS() as Crd;
        if (crd?.kind !== "CustomResourceDefinition") {
          continue;
        }
        for (const version of crd.spec.versions.filter((v) => v.served)) {
          const schema = version.schema?.openAPIV3Schema;
          if (schema === undefined) {
            continue;
          }
          // apiVersion, kind and metadata are checked generically; the CRD schema covers the rest.
          const body = strictStructuralSchema(schema);
          this.crds.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, {
            validate: ajv.compile(body),
            scope: crd.spec.scope,
          });
        }
      }
    }
  }

  /** Group/version/kind keys of every custom kind known. */
  customKinds(): string[] {
    return [...this.crds.keys()].sort();
  }

  /** Every problem with one object; empty when it is valid. */
  async validate(object: unknown): Promise<SchemaProblem[]> {
    const o = object as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
    const id = `${String(o?.kind)}/${String(o?.metadata?.name)}`;
    if (typeof o?.apiVersion !== "string" || typeof o.kind !== "string") {
      return [{ object: id, message: "apiVersion and kind must be strings" }];
    }
    const problems: SchemaProblem[] = metadataProblems(id, o.metadata);
    const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
    const crd = this.crds.get(`${group}/${version}/${o.kind}`);
    if (crd !== undefined) {
      if (!crd.validate(object)) {
        problems.push(...(crd.validate.errors ?? []).map((e) => ({ object: id, message: describe(e) })));
      }
      return problems;
    }
    const thirdParty = THIRD_PARTY_MODELS[group];
    if (thirdParty !== undefined) {
      return [...problems, ...(await modelProblems(id, `${thirdParty}/${group}/${version}/${o.kind}`, o.kind, object))];
    }
    if (group.includes(".") && !group.endsWith(".k8s.io")) {
      return [...problems, { object: id, message: `no CRD for ${o.apiVersion} ${o.kind} in ${CRDS_DIR}` }];
    }
    const modulePath = `kubernetes-models/${group === "" ? "" : `${group}/`}${version}/${o.kind}`;
    return [...problems, ...(await modelProblems(id, modulePath, o.kind, object))];
  }
}

function describe(e: ErrorObject): string {
  const where = e.instancePath || "/";
  if (e.keyword === "additionalProperties") {
    return `${where}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  }
  if (e.keyword === "enum") {
    return `${where}: must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
  }
  return `${where}: ${e.message ?? e.keyword}`;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function metadataProblems(id: string, metadata: { name?: unknown; namespace?: unknown } | undefined): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  if (typeof metadata?.name !== "string" || metadata.name.length > 253 || !DNS1123_SUBDOMAIN.test(metadata.name)) {
    problems.push({ object: id, message: "metadata.name must be a DNS-1123 subdomain of at most 253 characters" });
  }
  if (metadata?.namespace !== undefined && (typeof metadata.namespace !== "string" || !DNS1123_SUBDOMAIN.test(metadata.namespace))) {
    problems.push({ object: id, message: "metadata.namespace must be a DNS-1123 label" });
  }
  return problems;
}

interface CoreModel {
  validate(): void;
}
type CoreModelClass = new (data: unknown) => CoreModel;

/**
 * Custom kinds outside ../shared/crds, validated with the kubernetes-models packages generated from
 * those projects' own CRDs.
 */
const THIRD_PARTY_MODELS: Record<string, string> = {
  "cert-manager.io": "@kubernetes-models/cert-manager",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
};

async function modelProblems(id: string, modulePath: string, kind: string, object: unknown): Promise<SchemaProblem[]> {
  // kubernetes-models packages publish one module per kind: <package>/<group>/<version>/<Kind>.
  let Model: CoreModelClass;
  try {
    const mod = (await import(modulePath)) as Record<string, CoreModelClass>;
    Model = mod[kind];
    if (Model === undefined) {
      throw new Error("no such kind");
    }
  } catch {
    const [, group, version] = /^(?:kubernetes-models|@kubernetes-models\/[^/]+)\/(?:(.+)\/)?([^/]+)\/[^/]+$/.exec(modulePath) ?? [];
    return [{ object: id, message: `no schema for ${group || "core"}/${version} ${kind} (neither a shared CRD nor a kubernetes-models kind)` }];
  }
  try {
    new Model(object).validate();
    return [];
  } catch (err) {
    return [{ object: id, message: (err as Error).message }];
  }
}

let shared: KubernetesSchemas | undefined;
/** One compiled schema set per test process (compiling the CRDs takes a moment). */
export function kubernetesSchemas(): KubernetesSchemas {
  shared ??= new KubernetesSchemas();
  return shared;
}

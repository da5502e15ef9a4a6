import * as fs from "fs";
import { compile, type JSONSchema } from "json-schema-to-typescript";
import * as path from "path";
import { parseAllDocuments } from "yaml";

// TypeScript types for the custom resources the platform builds, generated from the upstream CRDs
// (../shared/crds) with json-schema-to-typescript, one file per group/version/kind under
// components/generated/crds/. Embedded pod specs use the core PodSpec of kubernetes-models, the
// same type the cache's core workloads use, so one Container type runs through the code base.

const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Where generated files go, relative to the repository. */
export const GENERATED_DIR = path.join("components", "generated", "crds");

/** The upstream CRDs: `../shared/crds` beside the repository, or LLM_PLATFORM_CRDS_DIR. */
export function crdsDir(): string {
  return process.env.LLM_PLATFORM_CRDS_DIR ?? path.resolve(REPO_ROOT, "..", "shared", "crds");
}

/**
 * The CRD files whose kinds get types: every kind the platform builds as an object
 * (LLMInferenceService, Gateway, GatewayClass, Certificate, PodMonitor) and the kinds its charts
 * render from the values it sets or its presets and routes refer to.
 */
export const CRD_FILES: readonly string[] = [
  "cert-manager.io_certificates.yaml",
  "gateway.networking.k8s.io_gatewayclasses.yaml",
  "gateway.networking.k8s.io_gateways.yaml",
  "gateway.networking.k8s.io_httproutes.yaml",
  "inference.networking.k8s.io_inferencepools.yaml",
  "leaderworkerset.x-k8s.io_leaderworkersets.yaml",
  "llm-d.ai_inferenceobjectives.yaml",
  "monitoring.coreos.com_podmonitors.yaml",
  "monitoring.coreos.com_servicemonitors.yaml",
  "nvidia.com_clusterpolicies.yaml",
  "serving.kserve.io_llminferenceserviceconfigs.yaml",
  "serving.kserve.io_llminferenceservices.yaml",
];

type Schema = { [keyword: string]: unknown };

interface CrdVersion {
  readonly name: string;
  readonly served: boolean;
  readonly schema?: { readonly openAPIV3Schema?: Schema };
}

interface Crd {
  readonly kind: string;
  readonly spec: { readonly group: string; readonly names: { readonly kind: string }; readonly versions: readonly CrdVersion[] };
}

export interface GeneratedFile {
  /** Path relative to the repository, with forward slashes. */
  readonly path: string;
  readonly content: string;
}

/** Fields every core pod spec has; an object schema holding all of them is an embedded PodSpec. */
const POD_SPEC_FIELDS = ["containers", "initContainers", "volumes", "restartPolicy", "terminationGracePeriodSeconds", "dnsPolicy", "nodeSelector", "tolerations"];

function isPodSpec(schema: Schema): boolean {
  const properties = schema.properties as Schema | undefined;
  return schema.type === "object" && properties !== undefined && POD_SPEC_FIELDS.every((f) => f in properties);
}

function isObject(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A CRD's structural schema as JSON Schema that types what the API server keeps: objects with
 * properties are closed unless the schema preserves unknown fields, int-or-string is either,
 * nullable adds null, and an embedded pod spec is the core PodSpec (partial when the CRD does not
 * require containers, as KServe's overlays do not).
 */
export function typingSchema(schema: Schema): Schema {
  if (isPodSpec(schema)) {
    const required = Array.isArray(schema.required) && schema.required.includes("containers");
    return { tsType: required ? "IPodSpec" : "Partial<IPodSpec>", ...(typeof schema.description === "string" ? { description: schema.description } : {}) };
  }
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "properties" && isObject(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typingSchema(v as Schema)]));
    } else if ((key === "items" || key === "additionalProperties") && isObject(value)) {
      out[key] = typingSchema(value);
    } else if (key === "allOf" || key === "anyOf" || key === "oneOf" || key === "not") {
      // CRD schemas use these only for validation (structural schemas forbid types inside them).
      continue;
    } else if (!key.startsWith("x-kubernetes-") && key !== "nullable" && key !== "default" && key !== "example") {
      out[key] = value;
    }
  }
  if (schema["x-kubernetes-int-or-string"] === true) {
    delete out.type;
    out.tsType = "number | string";
  }
  if (schema.nullable === true && typeof out.type === "string") {
    out.type = [out.type, "null"];
  }
  if (schema["x-kubernetes-preserve-unknown-fields"] === true) {
    if (out.type === undefined && out.tsType === undefined) {
      // Any JSON value: KServe's LoRA adapters, for one, are a list under such a schema.
      out.tsType = "unknown";
    } else if (out.type === "object" && out.additionalProperties === undefined) {
      out.additionalProperties = true;
    }
  }
  return out;
}

const GENERATOR = "`npm run types:crds` (automation/types/crd-types.ts)";

/** The metadata every generated kind carries: core ObjectMeta with the name the builders always set. */
const METADATA_TYPE = 'NonNullable<IPod["metadata"]> & { name: string }';

async function kindFile(crdFile: string, crd: Crd, version: CrdVersion): Promise<GeneratedFile> {
  const { group, names } = crd.spec;
  const kind = names.kind;
  const root = version.schema?.openAPIV3Schema;
  if (root === undefined) {
    throw new Error(`${crdFile}: ${group}/${version.name} ${kind} has no openAPIV3Schema`);
  }
  const body = typingSchema(root);
  const properties = { ...(body.properties as Schema) };
  properties.apiVersion = { tsType: JSON.stringify(`${group}/${version.name}`) };
  properties.kind = { tsType: JSON.stringify(kind) };
  properties.metadata = { tsType: METADATA_TYPE };
  // Status is written by controllers; the platform never builds it.
  delete properties.status;
  const schema = { ...body, title: kind, properties, required: ["apiVersion", "kind", "metadata", ...((body.required as string[] | undefined) ?? []).filter((r) => r !== "status")] };
  const ts = await compile(schema as JSONSchema, kind, {
    bannerComment: "",
    additionalProperties: false,
    ignoreMinAndMaxItems: true,
    strictIndexSignatures: false,
    unknownAny: true,
    declareExternallyReferenced: true,
    format: true,
    style: { printWidth: 140, singleQuote: false, trailingComma: "all" },
  });
  const imports = ['import type { IPod } from "kubernetes-models/v1/Pod";'];
  if (ts.includes("IPodSpec")) {
    imports.push('import type { IPodSpec } from "kubernetes-models/v1/PodSpec";');
  }
  const header = `// Generated by ${GENERATOR} from ../shared/crds/${crdFile}, version ${version.name}; do not edit.`;
  return {
    path: [...GENERATED_DIR.split(path.sep), group, version.name, `${kind}.ts`].join("/"),
    content: [header, ...imports, "", ts].join("\n"),
  };
}

function readCrds(dir: string, file: string): Crd[] {
  const full = path.join(dir, file);
  if (!fs.existsSync(full)) {
    throw new Error(`CRD file ${full} not found: clone the repository beside shared/ or set LLM_PLATFORM_CRDS_DIR`);
  }
  return parseAllDocuments(fs.readFileSync(full, "utf8"))
    .map((d) => d.toJS() as Crd)
    .filter((d) => d?.kind === "CustomResourceDefinition");
}

/** Every generated file, in a stable order: one per served version of each kind, then the index. */
export async function generateCrdTypes(dir: string = crdsDir()): Promise<GeneratedFile[]> {
  const files: GeneratedFile[] = [];
  for (const file of CRD_FILES) {
    for (const crd of readCrds(dir, file)) {
      for (const version of crd.spec.versions.filter((v) => v.served)) {
        files.push(await kindFile(file, crd, version));
      }
    }
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  return [...files, indexFile(files)];
}

/** The index: each kind under a group-and-version-qualified name, and the union of all of them. */
function indexFile(files: readonly GeneratedFile[]): GeneratedFile {
  const entries = files.map((f) => {
    const [group, version, file] = f.path.split("/").slice(-3);
    const kind = file.replace(/\.ts$/, "");
    const alias = `${group.split(/[.-]/).map(capitalise).join("")}${capitalise(version)}${kind}`;
    return { line: `import type { ${kind} as ${alias} } from "./${group}/${version}/${kind}";`, alias };
  });
  const content = [
    `// Generated by ${GENERATOR} from ../shared/crds; do not edit.`,
    "",
    ...entries.map((e) => e.line),
    "",
    `export type {\n${entries.map((e) => `  ${e.alias},`).join("\n")}\n};`,
    "",
    "/** Every generated custom resource kind. */",
    `export type CustomResourceObject =\n${entries.map((e) => `  | ${e.alias}`).join("\n")};`,
    "",
  ].join("\n");
  return { path: [...GENERATED_DIR.split(path.sep), "index.ts"].join("/"), content };
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Writes the generated files, removing stale ones. */
export async function writeCrdTypes(): Promise<string[]> {
  const files = await generateCrdTypes();
  const outDir = path.join(REPO_ROOT, GENERATED_DIR);
  fs.rmSync(outDir, { recursive: true, force: true });
  for (const f of files) {
    const full = path.join(REPO_ROOT, f.path);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, f.content);
  }
  return files.map((f) => f.path);
}

if (require.main === module) {
  writeCrdTypes().then(
    (written) => console.log(`wrote ${written.length} files under ${GENERATED_DIR}`),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}

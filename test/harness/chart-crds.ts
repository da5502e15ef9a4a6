import Ajv, { ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { strictStructuralSchema } from "./schema";

// Validators for CRDs a chart ships as templates (the keda chart's templates/crds), for the unit
// tier, which has no Helm. The templates wrap plain CRD YAML in `{{- if .Values.crds.install }}`
// and template only metadata labels and annotations, so dropping every line that holds a Helm
// action leaves the CRD's schema as the chart renders it. The e2e tier applies the same CRDs as
// the real Helm renders them and the API server and KEDA judge the objects there.

const CHARTS = process.env.LLM_PLATFORM_CHARTS_DIR ?? path.resolve(__dirname, "..", "..", "..", "shared", "charts");

interface Crd {
  kind?: string;
  spec: { group: string; names: { kind: string }; versions: { name: string; served: boolean; schema?: { openAPIV3Schema?: Record<string, unknown> } }[] };
}

/** The CRD documents of `<dir>/*.yaml` (default templates/crds; karpenter-crd keeps them in templates) of a chart in ../shared/charts. */
export function chartCrds(chart: string, sub = path.join("templates", "crds")): Crd[] {
  const dir = path.join(CHARTS, chart, sub);
  if (!fs.existsSync(dir)) {
    throw new Error(`chart ${chart} has no ${sub} under ${CHARTS}`);
  }
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .flatMap((f) => {
      const text = fs
        .readFileSync(path.join(dir, f), "utf8")
        .split("\n")
        .filter((line) => !line.includes("{{"))
        .join("\n");
      return parseAllDocuments(text).map((d) => d.toJS() as Crd);
    })
    .filter((c) => c?.kind === "CustomResourceDefinition");
}

/** Validates objects against a chart's CRDs under strict field validation; problems as `path: message`. */
export class ChartCrdValidator {
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(chart: string, sub?: string) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    for (const format of ["int32", "int64", "double", "float"]) {
      ajv.addFormat(format, true);
    }
    for (const crd of chartCrds(chart, sub)) {
      for (const v of crd.spec.versions.filter((x) => x.served && x.schema?.openAPIV3Schema !== undefined)) {
        this.validators.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, ajv.compile(strictStructuralSchema(v.schema?.openAPIV3Schema ?? {})));
      }
    }
  }

  kinds(): string[] {
    return [...this.validators.keys()].sort();
  }

  validate(object: { apiVersion: string; kind: string }): string[] {
    const validate = this.validators.get(`${object.apiVersion}/${object.kind}`);
    if (validate === undefined) {
      return [`no CRD for ${object.apiVersion} ${object.kind}`];
    }
    if (validate(object)) {
      return [];
    }
    return (validate.errors ?? []).map((e) =>
      e.keyword === "additionalProperties" ? `${e.instancePath || "/"}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"` : `${e.instancePath || "/"}: ${e.message ?? e.keyword}`,
    );
  }
}

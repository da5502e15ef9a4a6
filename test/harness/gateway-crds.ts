import Ajv, { ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { strictStructuralSchema } from "./schema";

// Validators for the Envoy Gateway v1.8.1 and Envoy AI Gateway v1.0.0 CRDs, read from the charts
// as released in ../shared/charts (gateway-crds-helm, ai-gateway-crds-helm). Their templates wrap
// plain CRD YAML in `{{- if .Values.crds.envoyGateway.enabled }}`; dropping the lines that hold a
// Helm action leaves the CRDs as the charts render them. CEL rules (x-kubernetes-validations) are
// the API server's to check and are not evaluated here.

const CHARTS = process.env.LLM_PLATFORM_CHARTS_DIR ?? path.resolve(__dirname, "..", "..", "..", "shared", "charts");

/** The CRD files, relative to ../shared/charts. */
export const GATEWAY_CRD_FILES = [
  "gateway-crds-helm/templates/generated/gateway.envoyproxy.io_securitypolicies.yaml",
  "gateway-crds-helm/templates/generated/gateway.envoyproxy.io_backendtrafficpolicies.yaml",
  "gateway-crds-helm/templates/generated/gateway.envoyproxy.io_clienttrafficpolicies.yaml",
  "ai-gateway-crds-helm/templates/aigateway.envoyproxy.io_aigatewayroutes.yaml",
];

interface Crd {
  kind?: string;
  spec: { group: string; names: { kind: string }; versions: { name: string; served: boolean; schema?: { openAPIV3Schema?: Record<string, unknown> } }[] };
}

export class GatewayCrdValidator {
  private readonly validators = new Map<string, ValidateFunction>();

  constructor() {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    for (const format of ["int32", "int64", "double", "float", "byte"]) {
      ajv.addFormat(format, true);
    }
    for (const file of GATEWAY_CRD_FILES) {
      const full = path.join(CHARTS, file);
      if (!fs.existsSync(full)) {
        throw new Error(`${full} not found: clone the repository beside shared/ or set LLM_PLATFORM_CHARTS_DIR`);
      }
      const text = fs
        .readFileSync(full, "utf8")
        .split("\n")
        .filter((line) => !line.includes("{{"))
        .join("\n");
      for (const crd of parseAllDocuments(text).map((d) => d.toJS() as Crd).filter((c) => c?.kind === "CustomResourceDefinition")) {
        for (const v of crd.spec.versions.filter((x) => x.served && x.schema?.openAPIV3Schema !== undefined)) {
          this.validators.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, ajv.compile(strictStructuralSchema(v.schema?.openAPIV3Schema ?? {})));
        }
      }
    }
  }

  kinds(): string[] {
    return [...this.validators.keys()].sort();
  }

  /** Problems of one object as `path: message`; an unknown kind is a problem too. */
  problems(object: { apiVersion: string; kind: string }): string[] {
    const validate = this.validators.get(`${object.apiVersion}/${object.kind}`);
    if (validate === undefined) {
      return [`no CRD for ${object.apiVersion} ${object.kind}`];
    }
    return validate(object) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"}: ${e.message ?? ""}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`);
  }
}

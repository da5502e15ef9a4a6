import * as fs from "fs";
import * as path from "path";
import { charts } from "../../components/versions";
import { ObjectRef, routerReleaseObjects } from "../../components/serving/router-objects";
import type { HelmReleaseView } from "../../automation/plan/render";

// What each Helm release of a plan renders, by identity, for the checks that no two owners claim
// one object. The router chart (installed once per model) is computed from its templates' naming
// (components/serving/router-objects.ts); the Gateway API CRDs are read from the pinned
// gateway-crds-helm chart itself. The e2e tier renders every chart with Helm for real.

/** The pinned charts as released: `../shared/charts` beside the repository, or LLM_PLATFORM_CHARTS_DIR. */
export const CHARTS_DIR = process.env.LLM_PLATFORM_CHARTS_DIR ?? path.resolve(__dirname, "..", "..", "..", "shared", "charts");

/** Names of the CustomResourceDefinitions in a chart template file. */
export function crdNamesIn(file: string): string[] {
  return fs
    .readFileSync(file, "utf8")
    .split(/^---$/m)
    .filter((doc) => /^kind: CustomResourceDefinition$/m.test(doc))
    .map((doc) => /^metadata:\n(?:[ ].*\n)*?[ ]{2}name: "?([^"\n]+)"?$/m.exec(doc)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** The Gateway API CRDs of one channel, as gateway-crds-helm v1.8.1 ships them. */
export function gatewayApiCrds(channel: "standard" | "experimental"): ObjectRef[] {
  return crdNamesIn(path.join(CHARTS_DIR, "gateway-crds-helm", "templates", `${channel}-gatewayapi-crds.yaml`)).map((name) => ({ kind: "CustomResourceDefinition", name }));
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- Helm values are untyped JSON

/** The objects a recorded release renders, as far as they are modelled; undefined for charts that are not. */
export function releaseObjects(release: HelmReleaseView): ObjectRef[] | undefined {
  const values = release.values as Json;
  if (release.chart.endsWith(`/${charts.llmdRouter.chart}`)) {
    return routerReleaseObjects({ name: release.name, namespace: release.namespace ?? "default", values });
  }
  if (release.chart.endsWith(`/${charts.gatewayCrds.chart}`)) {
    const api = values.crds?.gatewayAPI ?? {};
    return api.enabled ? gatewayApiCrds(api.channel === "standard" ? "standard" : "experimental") : [];
  }
  return undefined;
}

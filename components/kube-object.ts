import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { CustomResourceObject } from "./generated/crds";

export type { CustomResourceObject };

/**
 * Registers a custom-kind object built by a pure function. Only kinds with types generated from
 * their CRDs (components/generated/crds, `npm run types:crds`) are accepted, so the compiler checks
 * every field against the upstream schema.
 */
export function customObject(name: string, object: CustomResourceObject, opts: pulumi.CustomResourceOptions): k8s.apiextensions.CustomResource {
  // The provider's args type every field beyond apiVersion and kind as `any`; the generated type is the stricter.
  const args: k8s.apiextensions.CustomResourceArgs = object;
  return new k8s.apiextensions.CustomResource(name, args, opts);
}

import type { ResourceValidationPolicy } from "@pulumi/policy";
import { movingImage } from "./lib/images";
import { Json, k8sObjects, objectName, podSpecs, containersOf } from "./lib/kubernetes";

/** `image: {repository, tag}` pairs and `image:` strings inside Helm values. */
function helmImages(value: Json, path = "", found: { at: string; image: string }[] = []): { at: string; image: string }[] {
  if (Array.isArray(value)) {
    value.forEach((v, i) => helmImages(v, `${path}[${i}]`, found));
  } else if (value && typeof value === "object") {
    if (typeof value.repository === "string" && (typeof value.tag === "string" || value.tag === undefined) && value.digest === undefined && value.tag === "latest") {
      found.push({ at: path, image: `${value.repository}:${value.tag}` });
    }
    for (const [k, v] of Object.entries(value)) {
      if (k === "image" && typeof v === "string" && /:latest$/.test(v)) {
        found.push({ at: path ? `${path}.image` : "image", image: v });
      } else {
        helmImages(v, path ? `${path}.${k}` : k, found);
      }
    }
  }
  return found;
}

export interface ImageConfig {
  requireDigest: boolean;
}

export const imagePinned: ResourceValidationPolicy = {
  name: "image-pinned",
  description: "Container images name an immutable version: never :latest or untagged; with requireDigest (prod), pinned by sha256 digest.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { requireDigest: { type: "boolean", default: false } } },
  validateResource: (args, report) => {
    const { requireDigest } = args.getConfig<ImageConfig>();
    for (const o of k8sObjects(args.type, args.props)) {
      for (const view of podSpecs(o.type, o.props)) {
        for (const { name, container } of containersOf(view.spec)) {
          // LLMInferenceService containers without an image take the preset's.
          if (typeof container?.image !== "string") {
            continue;
          }
          const why = movingImage(container.image, requireDigest);
          if (why) {
            report(`${objectName(o.type, o.props, args.name)} ${view.path} container ${name}: image ${container.image} ${why}, so nodes can run different code under one name. Pin it as <repository>:<version>@sha256:<digest>.`);
          }
        }
      }
    }
    if (args.type === "kubernetes:helm.sh/v3:Release" || args.type === "kubernetes:helm.sh/v4:Chart") {
      for (const { at, image } of helmImages(args.props?.values ?? {})) {
        report(`Helm release ${args.name} value ${at} sets image ${image}, the moving tag :latest. Set a version tag (and a digest in prod).`);
      }
    }
  },
};

export const imageDigestPinned: ResourceValidationPolicy = {
  name: "image-digest-pinned",
  description: "In prod, every container image is pinned by sha256 digest, so a re-pushed tag cannot change what runs.",
  enforcementLevel: "advisory",
  validateResource: (args, report) => {
    for (const o of k8sObjects(args.type, args.props)) {
      for (const view of podSpecs(o.type, o.props)) {
        for (const { name, container } of containersOf(view.spec)) {
          const why = typeof container?.image === "string" ? movingImage(container.image, true) : undefined;
          // Moving tags are image-pinned's; this policy only asks for the digest.
          if (why && !/latest|no tag/.test(why)) {
            report(`${objectName(o.type, o.props, args.name)} ${view.path} container ${name}: image ${container.image} ${why}. Pin it as <repository>:<version>@sha256:<digest>.`);
          }
        }
      }
    }
  },
};

export const supplyChainPolicies = [imagePinned, imageDigestPinned];

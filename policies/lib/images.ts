// Container image references: `[registry/]repository[:tag][@digest]`.

export interface ImageRef {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

export function parseImage(image: string): ImageRef {
  const [named, digest] = image.trim().split("@", 2);
  const slash = named.lastIndexOf("/");
  const colon = named.lastIndexOf(":");
  // A colon before the last slash is a registry port, not a tag.
  const tagged = colon > slash;
  return { repository: tagged ? named.slice(0, colon) : named, tag: tagged ? named.slice(colon + 1) : undefined, digest };
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Why an image reference can change under the same name, or undefined when it cannot. */
export function movingImage(image: string, requireDigest: boolean): string | undefined {
  const ref = parseImage(image);
  if (ref.digest !== undefined) {
    return DIGEST.test(ref.digest) ? undefined : `digest ${ref.digest} is not a sha256 digest`;
  }
  if (ref.tag === undefined) {
    return "has no tag, so it means :latest";
  }
  if (ref.tag === "latest") {
    return "uses the moving tag :latest";
  }
  return requireDigest ? `is pinned by tag :${ref.tag} only, not by digest` : undefined;
}

// Core Kubernetes kinds are typed with kubernetes-models' interfaces, whose metadata is optional;
// the builders always name what they emit, and the components name resources after it.

/** A kubernetes-models object with `metadata.name` set. */
export type Named<T extends { metadata?: object }> = T & { readonly metadata: NonNullable<T["metadata"]> & { readonly name: string } };

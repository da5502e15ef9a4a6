import { createHash } from "crypto";

// One Envoy Gateway JWT provider per distinct (issuer, audiences, key set), not per tenant.
// Envoy's jwt_authn tries a route's providers in order and stops at the first that verifies the
// token (envoy source/extensions/filters/http/jwt_authn/verifier.cc, BaseGroupVerifierImpl::verify
// returns once the any-of group completes). With one provider per tenant, tenants sharing an
// issuer and audience would all be verified by the first one, so only its claim headers and
// metadata would be written and every other tenant would be refused. One provider per distinct
// issuer verifies each token once; the tenant is then told apart by the claim's value.

export interface JwtIssuer {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly jwksUri: string;
}

/** A short digest of the issuer, its audiences (as a set) and its key set: stable while they are. */
function issuerDigest(jwt: JwtIssuer): string {
  const audiences = [...new Set(jwt.audiences)].sort();
  return createHash("sha256").update(JSON.stringify([jwt.issuer, audiences, jwt.jwksUri])).digest("hex").slice(0, 12);
}

/** Name of the gateway's JWT provider for this issuer. */
export function jwtProviderName(jwt: JwtIssuer): string {
  return `jwt-${issuerDigest(jwt)}`;
}

/**
 * Header this issuer's provider fills with the tenant claim. Only a token that provider verified
 * writes it (the gateway strips a client-sent one), so an access rule on it binds the tenant to
 * its issuer and audiences without naming the provider: a route policy merged into the Gateway's
 * could name one only by repeating every provider, as a merged list replaces the Gateway's.
 */
export function jwtProviderHeader(jwt: JwtIssuer): string {
  return `x-llm-jwt-${issuerDigest(jwt)}`;
}

/** The pattern of jwtProviderHeader, for a copy read back from another stack. */
export const JWT_PROVIDER_HEADER_PATTERN = /^x-llm-jwt-[0-9a-f]{12}$/;

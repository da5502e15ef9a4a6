import { createHash } from "crypto";

// One Envoy Gateway JWT provider per issuer, not per tenant. Envoy's jwt_authn tries a route's
// providers in order and stops at the first that verifies the token (envoy source/extensions/
// filters/http/jwt_authn/verifier.cc, BaseGroupVerifierImpl::verify returns once the any-of group
// completes). With one provider per tenant, tenants sharing an issuer and audience would all be
// verified by the first one, so only its claim headers and metadata would be written and every
// other tenant would be refused; two providers of one issuer with different audiences fail the
// same way for a token carrying both. So the tenants of one issuer share its audiences, key set
// and claim (config.ts refuses otherwise), one provider verifies each token once, and the tenant
// is told apart by the claim's value. Names derive from the issuer alone, so a model template's
// copy of a provider header stays right when the issuer's audiences or key set change.

export interface JwtIssuer {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly jwksUri: string;
}

/** A short digest of the issuer: stable while it is. */
function issuerDigest(jwt: Pick<JwtIssuer, "issuer">): string {
  return createHash("sha256").update(jwt.issuer).digest("hex").slice(0, 12);
}

/** Name of the gateway's JWT provider for this issuer. */
export function jwtProviderName(jwt: Pick<JwtIssuer, "issuer">): string {
  return `jwt-${issuerDigest(jwt)}`;
}

/** What every provider header starts with: the gateway strips any client-sent header of this prefix. */
export const JWT_PROVIDER_HEADER_PREFIX = "x-llm-jwt-";

/**
 * Header this issuer's provider fills with the tenant claim. Only a token that provider verified
 * writes it (the gateway strips every client-sent header of the prefix, including those of
 * issuers it no longer has), so an access rule on it binds the tenant to its issuer without naming
 * the provider: a route policy merged into the Gateway's could name one only by repeating every
 * provider, as a merged list replaces the Gateway's.
 */
export function jwtProviderHeader(jwt: Pick<JwtIssuer, "issuer">): string {
  return `${JWT_PROVIDER_HEADER_PREFIX}${issuerDigest(jwt)}`;
}

/** The pattern of jwtProviderHeader, for a copy read back from another stack. */
export const JWT_PROVIDER_HEADER_PATTERN = /^x-llm-jwt-[0-9a-f]{12}$/;

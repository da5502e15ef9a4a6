// Minimal types of the Envoy Gateway v1.8.1 and Envoy AI Gateway v1.0.0 custom resources the
// tenants render: only the fields the platform sets, spelled as the CRDs spell them. Hand-written
// because the CRDs ship as chart templates, not in ../shared/crds; test/tenants-gateway.test.ts
// validates every rendered object against the CRDs in ../shared/charts:
//   gateway-crds-helm/templates/generated/gateway.envoyproxy.io_securitypolicies.yaml
//   gateway-crds-helm/templates/generated/gateway.envoyproxy.io_backendtrafficpolicies.yaml
//   gateway-crds-helm/templates/generated/gateway.envoyproxy.io_clienttrafficpolicies.yaml
//   gateway-crds-helm/templates/generated/gateway.envoyproxy.io_envoyextensionpolicies.yaml
//   ai-gateway-crds-helm/templates/aigateway.envoyproxy.io_aigatewayroutes.yaml (v1beta1, the storage version)

interface Metadata {
  readonly name: string;
  readonly namespace: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** A policy's target (gateway.envoyproxy.io PolicyTargetReferences.targetRefs). */
export interface PolicyTargetRef {
  readonly group: "gateway.networking.k8s.io";
  readonly kind: "Gateway" | "HTTPRoute";
  readonly name: string;
}

/** api/v1alpha1/api_key_auth_types.go APIKeyAuth. */
export interface ApiKeyAuth {
  /** `namespace` set: a Secret in another namespace, allowed there by a ReferenceGrant. */
  readonly credentialRefs: readonly { readonly group: ""; readonly kind: "Secret"; readonly name: string; readonly namespace?: string }[];
  readonly extractFrom: readonly { readonly headers: readonly string[] }[];
  readonly forwardClientIDHeader: string;
  readonly sanitize: boolean;
}

/** api/v1alpha1/jwt_types.go JWTProvider (remote JWKS only). */
export interface JwtProvider {
  readonly name: string;
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly remoteJWKS: { readonly uri: string };
  readonly claimToHeaders: readonly { readonly header: string; readonly claim: string }[];
}

/** api/v1alpha1/authorization_types.go AuthorizationRule. */
export interface AuthorizationRule {
  readonly name: string;
  readonly action: "Allow" | "Deny";
  readonly principal: {
    readonly headers?: readonly { readonly name: string; readonly values: readonly string[] }[];
    readonly jwt?: { readonly provider: string; readonly claims: readonly { readonly name: string; readonly values: readonly string[] }[] };
  };
}

export interface SecurityPolicy {
  readonly apiVersion: "gateway.envoyproxy.io/v1alpha1";
  readonly kind: "SecurityPolicy";
  readonly metadata: Metadata;
  readonly spec: {
    readonly targetRefs: readonly PolicyTargetRef[];
    /** On a route's policy: merged into the Gateway's policy (api/v1alpha1/securitypolicy_types.go MergeType). */
    readonly mergeType?: "StrategicMerge";
    readonly apiKeyAuth?: ApiKeyAuth;
    readonly jwt?: { readonly providers: readonly JwtProvider[] };
    readonly authorization: { readonly defaultAction: "Allow" | "Deny"; readonly rules?: readonly AuthorizationRule[] };
  };
}

/** api/v1alpha1/ratelimit_types.go RateLimitRule (global). */
export interface GlobalRateLimitRule {
  readonly clientSelectors: readonly { readonly headers: readonly { readonly name: string; readonly type: "Exact" | "Distinct"; readonly value?: string }[] }[];
  readonly limit: { readonly requests: number; readonly unit: "Minute" | "Hour" | "Day" };
  readonly cost?: {
    readonly request: { readonly from: "Number"; readonly number: number };
    readonly response: { readonly from: "Metadata"; readonly metadata: { readonly namespace: string; readonly key: string } };
  };
}

/** api/v1alpha1/backendtrafficpolicy_types.go ResponseOverride. */
export interface ResponseOverride {
  readonly match: { readonly statusCodes: readonly { readonly type: "Value"; readonly value: number }[] };
  /** Which replies are replaced: the proxy's own, the backend's, or both. */
  readonly source?: "All" | "Local" | "Backend";
  readonly response: { readonly contentType: string; readonly body: { readonly type: "Inline"; readonly inline: string } };
}

export interface BackendTrafficPolicy {
  readonly apiVersion: "gateway.envoyproxy.io/v1alpha1";
  readonly kind: "BackendTrafficPolicy";
  readonly metadata: Metadata;
  readonly spec: {
    readonly targetRefs: readonly PolicyTargetRef[];
    readonly rateLimit?: { readonly type: "Global"; readonly global: { readonly rules: readonly GlobalRateLimitRule[] } };
    readonly responseOverride?: readonly ResponseOverride[];
  };
}

/** api/v1alpha1/clienttrafficpolicy_types.go HeaderSettings.earlyRequestHeaders. */
export interface ClientTrafficPolicy {
  readonly apiVersion: "gateway.envoyproxy.io/v1alpha1";
  readonly kind: "ClientTrafficPolicy";
  readonly metadata: Metadata;
  readonly spec: {
    readonly targetRefs: readonly PolicyTargetRef[];
    readonly headers: {
      readonly earlyRequestHeaders: {
        readonly remove: readonly string[];
        /** Header names to remove by a match on the name (v1.8.1 HTTPHeaderFilter.removeOnMatch, StringMatch). */
        readonly removeOnMatch: readonly { readonly type: "Prefix"; readonly value: string }[];
      };
    };
  };
}

/** api/v1alpha1/envoyextensionypolicy_types.go with an inline Lua script (lua_types.go). */
export interface EnvoyExtensionPolicy {
  readonly apiVersion: "gateway.envoyproxy.io/v1alpha1";
  readonly kind: "EnvoyExtensionPolicy";
  readonly metadata: Metadata;
  readonly spec: {
    readonly targetRefs: readonly PolicyTargetRef[];
    readonly lua: readonly { readonly type: "Inline"; readonly inline: string }[];
  };
}

/**
 * InferenceObjective as the Inference Extension v1.5.0 release manifests serve it
 * (inference.networking.x-k8s.io/v1alpha2; ../shared/crds/inference.networking.x-k8s.io_inferenceobjectives.yaml),
 * the group llm-d-router v0.10.0 watches when its own llm-d.ai group is not installed.
 */
export interface InferenceObjective {
  readonly apiVersion: "inference.networking.x-k8s.io/v1alpha2";
  readonly kind: "InferenceObjective";
  readonly metadata: Metadata;
  readonly spec: {
    readonly priority: number;
    readonly poolRef: { readonly group: "inference.networking.k8s.io"; readonly kind: "InferencePool"; readonly name: string };
  };
}

/** envoyproxy/ai-gateway v1.0.0 api/v1beta1 AIGatewayRoute (the fields set here). */
export interface AIGatewayRoute {
  readonly apiVersion: "aigateway.envoyproxy.io/v1beta1";
  readonly kind: "AIGatewayRoute";
  readonly metadata: Metadata;
  readonly spec: {
    readonly parentRefs: readonly { readonly group: "gateway.networking.k8s.io"; readonly kind: "Gateway"; readonly name: string; readonly namespace: string }[];
    readonly rules: readonly {
      readonly matches: readonly { readonly headers: readonly { readonly type: "Exact"; readonly name: string; readonly value: string }[] }[];
      readonly backendRefs: readonly { readonly group: "inference.networking.k8s.io"; readonly kind: "InferencePool"; readonly name: string }[];
    }[];
    readonly llmRequestCosts: readonly { readonly metadataKey: string; readonly type: "InputToken" | "OutputToken" | "TotalToken" }[];
  };
}

/** Gateway API v1beta1 ReferenceGrant (../shared/crds/gateway.networking.k8s.io_referencegrants.yaml). */
export interface ReferenceGrant {
  readonly apiVersion: "gateway.networking.k8s.io/v1beta1";
  readonly kind: "ReferenceGrant";
  readonly metadata: Metadata;
  readonly spec: {
    readonly from: readonly { readonly group: string; readonly kind: string; readonly namespace: string }[];
    readonly to: readonly { readonly group: string; readonly kind: string; readonly name?: string }[];
  };
}

/** Every custom object the tenants render. */
export type TenantGatewayObject = SecurityPolicy | BackendTrafficPolicy | ClientTrafficPolicy | EnvoyExtensionPolicy | AIGatewayRoute | InferenceObjective | ReferenceGrant;

// Envoy bootstrap for the benchmark: one proxy, two listeners on loopback.
// - the routing arm: an ext_proc filter asks the EPP for an endpoint, which it returns in the
//   x-gateway-destination-endpoint header; an ORIGINAL_DST cluster dials that header's address.
//   Processing modes, the header and the cluster follow the Inference Extension v1.5.0 test proxy
//   (test/testdata/envoy.yaml), with plaintext gRPC to the EPP (--secure-serving=false).
// - the baseline arm: a ROUND_ROBIN cluster over the same simulators.

export interface EnvoyPorts {
  readonly admin: number;
  readonly routed: number;
  readonly roundRobin: number;
  readonly eppGrpc: number;
}

export const DESTINATION_HEADER = "x-gateway-destination-endpoint";

function socket(address: string, port: number): object {
  return { socket_address: { address, port_value: port } };
}

function listener(name: string, port: number, cluster: string, extProc: boolean): object {
  const router = { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router", suppress_envoy_headers: true } };
  const extProcFilter = {
    name: "envoy.filters.http.ext_proc",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor",
      grpc_service: { envoy_grpc: { cluster_name: "ext_proc" }, timeout: "10s" },
      processing_mode: {
        request_header_mode: "SEND",
        response_header_mode: "SEND",
        request_body_mode: "FULL_DUPLEX_STREAMED",
        response_body_mode: "FULL_DUPLEX_STREAMED",
        request_trailer_mode: "SEND",
        response_trailer_mode: "SEND",
      },
      message_timeout: "1000s",
    },
  };
  return {
    name,
    address: socket("127.0.0.1", port),
    filter_chains: [
      {
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
              stat_prefix: name,
              route_config: {
                name,
                virtual_hosts: [{ name, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster, timeout: "600s", idle_timeout: "600s" } }] }],
              },
              http_filters: extProc ? [extProcFilter, router] : [router],
            },
          },
        ],
      },
    ],
  };
}

const unlimited = { thresholds: [{ max_connections: 40000, max_pending_requests: 40000, max_requests: 40000, max_retries: 1024 }] };

/** The bootstrap for `envoy -c`, as JSON (Envoy reads JSON as YAML). */
export function envoyBootstrap(ports: EnvoyPorts, simPorts: readonly number[]): object {
  if (simPorts.length === 0) {
    throw new Error("simPorts: the round-robin arm needs at least one simulator");
  }
  return {
    admin: { address: socket("127.0.0.1", ports.admin) },
    static_resources: {
      listeners: [listener("routed", ports.routed, "original_destination_cluster", true), listener("round_robin", ports.roundRobin, "round_robin", false)],
      clusters: [
        {
          name: "original_destination_cluster",
          type: "ORIGINAL_DST",
          connect_timeout: "10s",
          lb_policy: "CLUSTER_PROVIDED",
          circuit_breakers: unlimited,
          original_dst_lb_config: { use_http_header: true, http_header_name: DESTINATION_HEADER },
        },
        {
          name: "round_robin",
          type: "STATIC",
          connect_timeout: "10s",
          lb_policy: "ROUND_ROBIN",
          circuit_breakers: unlimited,
          load_assignment: { cluster_name: "round_robin", endpoints: [{ lb_endpoints: simPorts.map((p) => ({ endpoint: { address: socket("127.0.0.1", p) } })) }] },
        },
        {
          name: "ext_proc",
          type: "STATIC",
          connect_timeout: "10s",
          lb_policy: "ROUND_ROBIN",
          circuit_breakers: unlimited,
          typed_extension_protocol_options: {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
              "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
              explicit_http_config: { http2_protocol_options: {} },
            },
          },
          load_assignment: { cluster_name: "ext_proc", endpoints: [{ lb_endpoints: [{ endpoint: { address: socket("127.0.0.1", ports.eppGrpc) } }] }] },
        },
      ],
    },
  };
}

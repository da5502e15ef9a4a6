import * as fs from "fs";
import * as net from "net";

// Byte-for-byte forwarding between a TCP port on loopback and a Unix socket, which is how the
// gateway tier connects a controller in a network namespace of its own (see envoy-gateway.ts) to
// the API server and to Envoy Gateway: a Unix socket is a file, so it crosses network namespaces.
// Used in-process by the harness, and run as a program inside the namespace:
//   node -r tsx/cjs envoy-gateway-forward.ts READY_FILE LISTEN=TARGET...
// with endpoints `tcp:127.0.0.1:PORT` or `unix:/path`; READY_FILE is written once all listen.

export type Endpoint = { readonly tcp: { readonly host: string; readonly port: number } } | { readonly unix: string };

export function parseEndpoint(text: string): Endpoint {
  const tcp = /^tcp:([^:]+):(\d+)$/.exec(text);
  if (tcp !== null) {
    return { tcp: { host: tcp[1], port: Number(tcp[2]) } };
  }
  const unix = /^unix:(\/.+)$/.exec(text);
  if (unix !== null) {
    return { unix: unix[1] };
  }
  throw new Error(`forward: "${text}" is neither tcp:HOST:PORT nor unix:/PATH`);
}

// Half-open both ways: a client that has sent its last byte still gets the answer.
const connect = (to: Endpoint): net.Socket => net.connect({ ...("tcp" in to ? { port: to.tcp.port, host: to.tcp.host } : { path: to.unix }), allowHalfOpen: true });

/** Listens on `from` and pipes every connection to a new connection to `to`; resolves once listening. */
export function forward(from: Endpoint, to: Endpoint): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true }, (inbound) => {
    const outbound = connect(to);
    inbound.pipe(outbound).pipe(inbound);
    // Either side failing, or closed both ways, ends the other.
    inbound.on("error", () => outbound.destroy());
    outbound.on("error", () => inbound.destroy());
    inbound.on("close", () => outbound.destroy());
    outbound.on("close", () => inbound.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    if ("tcp" in from) {
      server.listen(from.tcp.port, from.tcp.host, () => resolve(server));
    } else {
      fs.rmSync(from.unix, { force: true });
      server.listen(from.unix, () => resolve(server));
    }
  });
}

async function main(args: readonly string[]): Promise<void> {
  const [ready, ...pairs] = args;
  if (ready === undefined || pairs.length === 0) {
    throw new Error("usage: envoy-gateway-forward.ts READY_FILE LISTEN=TARGET...");
  }
  for (const pair of pairs) {
    const [from, to] = pair.split("=");
    await forward(parseEndpoint(from), parseEndpoint(to ?? ""));
  }
  fs.writeFileSync(ready, "ok\n");
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}

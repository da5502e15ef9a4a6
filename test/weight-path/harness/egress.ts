/**
 * The cluster's way out, closed: a proxy on loopback that the pods get as HTTPS_PROXY (what an
 * egress proxy's admission webhook or a node's environment would add), which records the host of
 * every CONNECT and refuses it. Store and hub are loopback names in NO_PROXY, so the weight path's
 * own traffic never reaches it; anything that does is a call out of the cluster, and never leaves
 * the machine.
 */
import * as net from "net";

export interface Egress {
  /** "host:port" of every refused CONNECT, in order. */
  attempts: string[];
  /** What the pods get injected. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startEgress(): Promise<Egress> {
  const attempts: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => sock.destroy());
    sock.setTimeout(5000, () => sock.destroy());
    let head = "";
    sock.on("data", (b: Buffer) => {
      head += b.toString("latin1");
      const end = head.indexOf("\r\n");
      if (end < 0 && head.length < 4096) return;
      const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]/.exec(head.slice(0, end < 0 ? head.length : end));
      attempts.push(m ? (m[1] === "CONNECT" ? m[2] : `${m[1]} ${m[2]}`) : "(not HTTP)");
      sock.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const proxy = `http://127.0.0.1:${port}`;
  const noProxy = "localhost,.localhost,127.0.0.1";
  return {
    attempts,
    env: { HTTPS_PROXY: proxy, https_proxy: proxy, NO_PROXY: noProxy, no_proxy: noProxy },
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

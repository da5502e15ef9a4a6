import * as net from "net";

// Loopback ports for the processes a test starts. A port is free once its probe socket closes,
// so two picks made before either process binds can return the same port (seen: etcd's client
// port handed to kube-apiserver as its secure port, which then failed to bind). Every port handed
// out is kept for the life of the test process, and a pick repeating one is drawn again.

const handedOut = new Set<number>();

/** A port the kernel gives a listener on 127.0.0.1 now. */
function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Draws from `pick` until it gives a port not in `taken`, and records it there. */
export async function distinctPort(pick: () => Promise<number>, taken: Set<number>, attempts = 1000): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const port = await pick();
    if (!taken.has(port)) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no loopback port that this test process has not handed out already, after ${attempts} attempts`);
}

/** A free loopback port that no earlier call in this process returned. */
export function freePort(): Promise<number> {
  return distinctPort(probePort, handedOut);
}

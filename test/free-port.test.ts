import * as assert from "assert";
import * as net from "net";
import { distinctPort, freePort } from "./harness/free-port";

describe("loopback ports for the processes a test starts", () => {
  it("never hands out a port twice: a repeated pick is drawn again", async () => {
    const picks = [5000, 5000, 5001, 5000, 5001, 5002];
    const pick = () => Promise.resolve(picks.shift() as number);
    const taken = new Set<number>();
    assert.deepStrictEqual([await distinctPort(pick, taken), await distinctPort(pick, taken), await distinctPort(pick, taken)], [5000, 5001, 5002]);
    assert.deepStrictEqual(picks, []);
  });

  it("says so when every pick repeats", async () => {
    await assert.rejects(distinctPort(() => Promise.resolve(7), new Set([7]), 3), /no loopback port .* after 3 attempts/);
  });

  it("gives ports a listener can bind, each once", async () => {
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    assert.strictEqual(new Set(ports).size, ports.length);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.on("error", reject);
      server.listen(ports[0], "127.0.0.1", resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});

import { InputError } from "../../src/errors.js";
import { formatSpan } from "../../src/format.js";
import { runHeartbeatAgent } from "../../src/registry.js";
import { parseInteger } from "../../src/parse.js";
import { mined } from "../../src/receipts.js";
import { contextAction, providerNode } from "../context.js";

const SOURCE = "node:heartbeat";

export default contextAction(
  SOURCE,
  async (args: { registry: string; account: string; node: string; watch: boolean; interval: string }, ctx) => {
    const { registry, node: n } = await providerNode(ctx, args, "a heartbeat", [
      "Idle",
      "Sharing",
      "Reserved",
      "Disconnect",
    ]);
    const send = async () => (await mined(registry.heartbeat(n.id))).hash;
    if (!args.watch) {
      if (n.status === "Disconnect" && n.engaged) {
        throw new InputError(
          SOURCE,
          undefined,
          "node",
          `node ${n.id} is Disconnect and still held by the escrow; it can reconnect once the lease is settled`,
        );
      }
      const hash = await send();
      console.log(
        `node ${n.id}: heartbeat${n.status === "Disconnect" ? ", reconnected (Disconnect → Idle)" : ""} (${hash})`,
      );
      return;
    }
    const timeout = await registry.heartbeatTimeout();
    const seconds =
      args.interval === ""
        ? timeout / 3n > 0n
          ? timeout / 3n
          : 1n
        : parseInteger(SOURCE, "interval", args.interval, 1n);
    if (seconds >= timeout) {
      console.log(
        `warning: an interval of ${formatSpan(seconds)} is not below the heartbeat timeout (${formatSpan(timeout)}); the node will go stale between beats`,
      );
    }
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    console.log(
      `node ${n.id}: sending a heartbeat every ${formatSpan(seconds)} (timeout ${formatSpan(timeout)}); Ctrl-C stops`,
    );
    try {
      const { sent, failed } = await runHeartbeatAgent({
        send,
        intervalMs: Number(seconds) * 1000,
        signal: controller.signal,
        log: (line) => console.log(`${new Date().toISOString()} node ${n.id}: ${line}`),
      });
      console.log(`stopped: ${sent} heartbeats sent, ${failed} failed`);
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    }
  },
);

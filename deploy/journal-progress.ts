import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * One line a step of an Ignition deployment, from its journal (`journal.jsonl`) as it is written:
 * each future once it completes, with the address of a contract it deployed. For output that is
 * not a terminal, where Ignition's own display, which redraws its whole state in place on every
 * event, leaves every redraw behind (78 of them for the System module). Steps already in the
 * journal (a resumed deployment) are not printed again. `stop()` prints what is left.
 */
export function followJournal(deploymentDir: string, print: (line: string) => void): { stop(): void } {
  const journal = path.join(deploymentDir, "journal.jsonl");
  const lines = () =>
    existsSync(journal)
      ? readFileSync(journal, "utf8")
          .split("\n")
          .filter((line) => line.trim() !== "")
      : [];
  let read = lines().length;
  const poll = () => {
    const all = lines();
    for (; read < all.length; read++) {
      let message: { type: string; futureId?: string; result?: { address?: string } };
      try {
        message = JSON.parse(all[read]!) as typeof message;
      } catch {
        break; // half written: read again at the next poll
      }
      if (!message.type.endsWith("_EXECUTION_STATE_COMPLETE")) continue;
      const address = message.result?.address;
      print(address === undefined ? `  done ${message.futureId}` : `  deployed ${message.futureId} at ${address}`);
    }
  };
  const timer = setInterval(poll, 500);
  return {
    stop() {
      clearInterval(timer);
      poll();
    },
  };
}

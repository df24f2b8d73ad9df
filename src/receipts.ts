import type { ContractTransactionReceipt, ContractTransactionResponse, Interface, LogDescription } from "ethers";

/** A log as receipts carry it. */
type Log = { topics: readonly string[]; data: string };

/** Sends nothing itself: waits for `tx` to be mined and returns its receipt. */
export async function mined(
  tx: ContractTransactionResponse | Promise<ContractTransactionResponse>,
): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("the transaction was not mined");
  return receipt;
}

/**
 * The events named `name` that `contract` emitted in a receipt. Logs of other contracts the call
 * reached (the registry's, a token's) are skipped, as are this contract's other events.
 */
export function receiptEvents(
  contract: { interface: Interface },
  receipt: { logs: readonly Log[] },
  name: string,
): LogDescription[] {
  const found: LogDescription[] = [];
  for (const log of receipt.logs) {
    let parsed: LogDescription | null = null;
    try {
      parsed = contract.interface.parseLog({ topics: [...log.topics], data: log.data });
    } catch {
      // Another contract's event with a topic this ABI shares but data it cannot decode.
    }
    if (parsed?.name === name) found.push(parsed);
  }
  return found;
}

/** The first event named `name` of `contract` in a receipt; throws when the call emitted none. */
export function receiptEvent(
  contract: { interface: Interface },
  receipt: { logs: readonly Log[] },
  name: string,
): LogDescription {
  const [event] = receiptEvents(contract, receipt, name);
  if (event === undefined) throw new Error(`the transaction emitted no ${name} event`);
  return event;
}

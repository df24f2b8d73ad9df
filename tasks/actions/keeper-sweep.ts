import type { BaseContract } from "ethers";

import { type KeeperOutcome, keeperRound } from "../../src/agent/keeper.js";
import { jobOf } from "../../src/agent/sender.js";
import { BuybackEmission__factory } from "../../types/index.js";
import { loadAddressBook } from "../../src/deployments-fs.js";
import { InputError } from "../../src/errors.js";
import { tokenLabel } from "../../src/erc20.js";
import { formatToken } from "../../src/format.js";
import { parseInteger } from "../../src/parse.js";
import { contextAction } from "../context.js";

const SOURCE = "keeper:sweep";

interface Args {
  escrow: string;
  account: string;
  emission: string;
  fromBlock: string;
  forwardBatch: string;
  dryRun: boolean;
}

/** What each of the keeper's jobs does, in the order of its phases. */
const DONE: Record<string, string> = {
  markDisconnected: "nodes marked Disconnect",
  finalize: "leases finalized after their collect window",
  closeLease: "leases closed with their deposit spent",
  failReservation: "reservations failed",
  expireReservation: "reservations expired",
};

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const h = await ctx.escrow(args.escrow);
  // The escrow forwards its fees to the emission contract: that is where they are bought back.
  const emission =
    args.emission === ""
      ? BuybackEmission__factory.connect(await h.escrow.feeCollector(), ctx.signer)
      : await ctx.emission(args.emission);
  const fromBlock =
    args.fromBlock === ""
      ? await deploymentBlock(h.escrow, "escrow")
      : Number(parseInteger(SOURCE, "fromBlock", args.fromBlock));
  const forwardBatch =
    args.forwardBatch === "" ? undefined : Number(parseInteger(SOURCE, "forwardBatch", args.forwardBatch, 1n));
  const notSold: { event: string; fields: Record<string, unknown> }[] = [];
  const outcomes = await keeperRound({
    signer: ctx.signer,
    contracts: { escrow: h.escrow, registry: h.registry, emission },
    fromBlock,
    policy: forwardBatch === undefined ? {} : { forwardBatch },
    dryRun: args.dryRun,
    log: (_level, event, fields = {}) => void notSold.push({ event, fields }),
  });
  const verb = args.dryRun ? "would send" : "sent";
  console.log(
    `keeper round over the events since block ${fromBlock}: ${outcomes.length} job${outcomes.length === 1 ? "" : "s"} planned` +
      (args.dryRun ? " (dry run: nothing sent)" : ""),
  );
  const ok = (o: KeeperOutcome) => o.result === "done" || o.result === "planned";
  const of = (job: string) => outcomes.filter((o) => jobOf(o.label) === job && ok(o));
  for (const [job, words] of Object.entries(DONE)) {
    const ids = of(job).map((o) => o.label.split(" ").slice(1).join(" "));
    console.log(`${args.dryRun ? `${words} (would be)` : words}: ${ids.length === 0 ? "none" : ids.join(", ")}`);
  }
  const forwarded = of("forwardFees");
  if (forwarded.length === 0) console.log("fees forwarded: none due");
  for (const o of forwarded) {
    const [token, providers] = h.escrow.interface.decodeFunctionData("forwardFees", o.data) as unknown as [
      string,
      string[],
    ];
    const { symbol } = await tokenLabel(token, ctx.signer);
    console.log(
      `fees forwarded in ${symbol}${args.dryRun ? " (would be)" : ""}: for ${providers.join(", ")} (one transaction)`,
    );
  }
  for (const o of of("observe")) console.log(`TWAP observation ${verb}: ${o.label.split(" ")[1]}`);
  for (const o of of("buyback")) {
    const [token, epoch, amount] = emission.interface.decodeFunctionData("buyback", o.data) as unknown as [
      string,
      bigint,
      bigint,
    ];
    const { symbol, decimals } = await tokenLabel(token, ctx.signer);
    console.log(
      `bought back${args.dryRun ? " (would be)" : ""}: bucket ${epoch} of ${symbol}: ${formatToken(amount, symbol, decimals)} sold`,
    );
  }
  if (of("buyback").length === 0 && notSold.length === 0) console.log("buybacks: no ended bucket with unsold fees");
  for (const { event, fields } of notSold) {
    const { symbol } = await tokenLabel(fields.token as string, ctx.signer);
    const bucket = `bucket ${fields.epoch} of ${symbol}`;
    if (event === "buyback_not_ready") console.log(`not bought back: ${bucket}: ${fields.reason}`);
    if (event === "buyback_outside_band") {
      console.log(
        `not bought back: ${bucket}: the pool's price is outside the TWAP band (the slice would get ` +
          `${formatToken(fields.spotOut as bigint, "TFT")}, the TWAP allows no less than ${formatToken(fields.minTftOut as bigint, "TFT")})`,
      );
    }
  }
  for (const o of outcomes) {
    if (o.result === "skipped") console.log(`skipped: ${o.label}: ${o.reason}`);
    if (o.result === "failed") console.log(`failed: ${o.label}: ${o.reason}`);
  }
});

/**
 * The block the address book of the contract's chain says the deployment starts at, when the book
 * names that contract as `name`; 0 otherwise (no book, another deployment).
 */
export async function deploymentBlock(contract: BaseContract, name: "escrow" | "emission"): Promise<number> {
  const network = await contract.runner?.provider?.getNetwork();
  if (network === undefined) return 0;
  try {
    const book = loadAddressBook(network.chainId);
    return book.contracts[name].toLowerCase() === (await contract.getAddress()).toLowerCase() ? book.block : 0;
  } catch (error) {
    if (error instanceof InputError) return 0;
    throw error;
  }
}

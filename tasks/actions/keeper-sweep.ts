import { buybackEndedBuckets } from "../../src/emission/client.js";
import { InputError } from "../../src/errors.js";
import { keeperSweep } from "../../src/escrow.js";
import { formatToken } from "../../src/format.js";
import { tokenLabel } from "../../src/erc20.js";
import { contextAction } from "../context.js";

const SOURCE = "keeper:sweep";

interface Args {
  escrow: string;
  account: string;
  emission: string;
}

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const h = await ctx.escrow(args.escrow);
  // Buybacks are optional here: without --emission and without a book, the sweep skips them.
  let emissionAddress: string | undefined;
  try {
    emissionAddress = await ctx.address(args.emission ?? "", "emission");
  } catch (error) {
    if (!(error instanceof InputError) || (args.emission ?? "") !== "") throw error;
  }
  const emission = emissionAddress === undefined ? undefined : await ctx.emission(emissionAddress);
  const r = await keeperSweep(h, ctx.signer);
  const list = (ids: bigint[]) => (ids.length === 0 ? "none" : ids.join(", "));
  console.log(`nodes marked Disconnect: ${list(r.disconnected)}`);
  console.log(`leases finalized after their collect window: ${list(r.finalized)}`);
  console.log(`reservations failed: ${list(r.failedReservations)}`);
  console.log(`reservations expired: ${list(r.expired)}`);
  if (r.feesForwarded.length === 0) console.log("fees forwarded: none due");
  for (const f of r.feesForwarded) {
    const { symbol } = await tokenLabel(f.token, ctx.signer);
    console.log(`fees forwarded in ${symbol}: for ${f.providers.join(", ")}`);
  }
  for (const f of r.failed) console.log(`failed: ${f.action} ${f.id}: ${f.reason}`);
  if (emission === undefined) {
    console.log("buybacks: skipped (no --emission and no address book)");
    return;
  }
  // Forwarded first, so the fees are in their buckets; only buckets of ended epochs are sold.
  const round = await buybackEndedBuckets(emission, { now: await ctx.now() });
  for (const b of round.done) {
    const { symbol, decimals } = await tokenLabel(b.token, ctx.signer);
    console.log(
      `bought back: bucket ${b.epoch}: ${formatToken(b.amountIn, symbol, decimals)} sold for ${formatToken(b.tftOut, "TFT")}`,
    );
  }
  if (round.done.length === 0 && round.failed.length === 0) console.log("buybacks: no ended bucket with unsold fees");
  for (const f of round.failed) console.log(`failed: buyback of bucket ${f.epoch} of ${f.token}: ${f.reason}`);
});

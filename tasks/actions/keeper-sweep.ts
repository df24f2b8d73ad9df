import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { buybackEndedBuckets, connectEmission } from "../../src/emission/client.js";
import { InputError } from "../../src/errors.js";
import { keeperSweep } from "../../src/escrow.js";
import { formatToken } from "../../src/format.js";
import { addressOption } from "../address-book.js";
import { cli } from "../cli.js";
import { escrowContext } from "./escrow-context.js";

interface Args {
  escrow: string;
  account: string;
  emission: string;
}

export default async function keeperSweepAction(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(async () => {
    const ctx = await escrowContext("keeper:sweep", args, hre);
    const connection = await hre.network.getOrCreate();
    let emissionAddress: string | undefined;
    try {
      emissionAddress = await addressOption(args.emission ?? "", "emission", connection, "keeper:sweep", "emission");
    } catch (error) {
      if (!(error instanceof InputError) || (args.emission ?? "") !== "") throw error;
    }
    const emission =
      emissionAddress === undefined ? undefined : await connectEmission("keeper:sweep", emissionAddress, ctx.signer);
    const r = await keeperSweep(ctx, ctx.signer);
    const list = (ids: bigint[]) => (ids.length === 0 ? "none" : ids.join(", "));
    console.log(`nodes marked Disconnect: ${list(r.disconnected)}`);
    console.log(`leases closed: ${list(r.closed)}`);
    console.log(`reservations expired: ${list(r.expired)}`);
    console.log(`leases whose fees were forwarded: ${list(r.feesForwarded)}`);
    for (const f of r.failed) console.log(`failed: ${f.action} ${f.id}: ${f.reason}`);
    if (emission === undefined) {
      console.log("buybacks: skipped (no --emission and no address book)");
      return;
    }
    // Forwarded first, so the fees are in their buckets; only buckets of ended epochs are sold.
    const round = await buybackEndedBuckets(emission, { now: await ctx.now() });
    for (const b of round.done) {
      console.log(
        `bought back: bucket ${b.epoch} of ${b.token}: ${b.amountIn} sold for ${formatToken(b.tftOut, "TFT")}`,
      );
    }
    if (round.done.length === 0 && round.failed.length === 0) console.log("buybacks: no ended bucket with unsold fees");
    for (const f of round.failed) console.log(`failed: buyback of bucket ${f.epoch} of ${f.token}: ${f.reason}`);
  });
}

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { startReservation } from "../../src/escrow.js";
import { parseId } from "../../src/parse.js";
import { cli } from "../cli.js";
import { escrowContext, required } from "./escrow-context.js";

interface Args {
  escrow: string;
  account: string;
  reservation: string;
}

export default async function reservationStart(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(async () => {
    const source = "reservation:start";
    const reservationId = parseId(source, "reservation", required(source, "reservation", args.reservation));
    const ctx = await escrowContext(source, args, hre);
    const leaseId = await startReservation(ctx, ctx.signer, reservationId);
    console.log(`started reservation ${reservationId}: lease ${leaseId} is open`);
  });
}

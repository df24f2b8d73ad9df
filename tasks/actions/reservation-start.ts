import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { startReservation } from "../../src/escrow.js";
import { parseId } from "../../src/parse.js";
import { cli } from "../cli.js";
import { required, taskContext } from "../context.js";

interface Args {
  escrow: string;
  account: string;
  reservation: string;
}

export default async function reservationStart(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(
    async () => {
      const source = "reservation:start";
      const reservationId = parseId(source, "reservation", required(source, "reservation", args.reservation));
      const ctx = await taskContext(hre, source, args.account);
      const leaseId = await startReservation(await ctx.escrow(args.escrow), ctx.signer, reservationId);
      console.log(`started reservation ${reservationId}: lease ${leaseId} is open`);
    },
    { source: "reservation:start", hre },
  );
}

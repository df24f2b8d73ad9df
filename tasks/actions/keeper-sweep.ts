import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { keeperSweep } from "../../src/escrow.js";
import { cli } from "../cli.js";
import { escrowContext } from "./escrow-context.js";

interface Args {
  escrow: string;
  account: string;
}

export default async function keeperSweepAction(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(async () => {
    const ctx = await escrowContext("keeper:sweep", args, hre);
    const r = await keeperSweep(ctx, ctx.signer);
    const list = (ids: bigint[]) => (ids.length === 0 ? "none" : ids.join(", "));
    console.log(`nodes marked Disconnect: ${list(r.disconnected)}`);
    console.log(`leases closed: ${list(r.closed)}`);
    console.log(`reservations expired: ${list(r.expired)}`);
    console.log(`leases whose fees were forwarded: ${list(r.feesForwarded)}`);
    for (const f of r.failed) console.log(`failed: ${f.action} ${f.id}: ${f.reason}`);
  });
}

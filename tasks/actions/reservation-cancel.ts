import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { tokenInfo } from "../../src/erc20.js";
import { cancelReservation } from "../../src/escrow.js";
import { parseId } from "../../src/parse.js";
import { formatToken } from "../../src/format.js";
import { InputError } from "../../src/errors.js";
import { cli } from "../cli.js";
import { required, taskContext } from "../context.js";

interface Args {
  escrow: string;
  account: string;
  reservation: string;
}

export default async function reservationCancel(args: Args, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(
    async () => {
      const source = "reservation:cancel";
      const reservationId = parseId(source, "reservation", required(source, "reservation", args.reservation));
      const ctx = await taskContext(hre, source, args.account);
      const h = await ctx.escrow(args.escrow);
      const record = await h.escrow.reservation(reservationId);
      if (record.status === 0n)
        throw new InputError(source, undefined, "reservation", `reservation ${reservationId} does not exist`);
      const token = await tokenInfo(record.token, ctx.signer);
      const { feePaid, refund } = await cancelReservation(h, ctx.signer, reservationId);
      const fmt = (x: bigint) => formatToken(x, token.symbol, token.decimals);
      console.log(`cancelled reservation ${reservationId}: refunded ${fmt(refund)}, provider earned ${fmt(feePaid)}`);
    },
    { source: "reservation:cancel", hre },
  );
}

import { ZeroAddress } from "ethers";

import { startReservation } from "../../src/escrow.js";
import { formatTime } from "../../src/format.js";
import { parseAddress, parseAmount } from "../../src/parse.js";
import { contextAction, escrowRecord } from "../context.js";

interface Args {
  escrow: string;
  account: string;
  reservation: string;
  added: string;
  sessionKey: string;
}

const SOURCE = "reservation:start";

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const { h, id, token } = await escrowRecord(ctx, args.escrow, "reservation", args.reservation);
  const added = args.added === "" ? 0n : parseAmount(SOURCE, "added", args.added, token.decimals, true);
  const sessionKey = args.sessionKey === "" ? ZeroAddress : parseAddress(SOURCE, "session-key", args.sessionKey);
  const acceptBy = await startReservation(h, ctx.signer, id, { added, sessionKey, source: SOURCE });
  console.log(
    `started reservation ${id}: the provider must accept by ${formatTime(acceptBy, await ctx.now())}, or reservation:fail returns your whole deposit`,
  );
});

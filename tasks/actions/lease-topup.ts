import { topUp } from "../../src/escrow.js";
import { parseAmount } from "../../src/parse.js";
import { contextAction, escrowRecord, required } from "../context.js";

const SOURCE = "lease:topup";

interface Args {
  escrow: string;
  account: string;
  lease: string;
  amount: string;
}

export default contextAction(SOURCE, async (args: Args, ctx) => {
  const { h, id, token, fmt } = await escrowRecord(ctx, args.escrow, "lease", args.lease);
  const amount = parseAmount(SOURCE, "amount", required(SOURCE, "amount", args.amount), token.decimals);
  await topUp(h, ctx.signer, id, amount, SOURCE);
  console.log(`topped up lease ${id} with ${fmt(amount)}`);
});

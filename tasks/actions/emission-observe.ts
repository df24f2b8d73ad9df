import { mined } from "../../src/receipts.js";
import { parseAddress } from "../../src/parse.js";
import { contextAction, required } from "../context.js";

const SOURCE = "emission:observe";

export default contextAction(SOURCE, async (args: { emission: string; token: string; account: string }, ctx) => {
  const emission = await ctx.emission(args.emission);
  const token = parseAddress(SOURCE, "token", required(SOURCE, "token", args.token));
  const receipt = await mined(emission.observe(token));
  console.log(`recorded ${receipt.logs.length} observation(s) on the route of ${token}`);
});

import { mined } from "../../src/receipts.js";
import { parseAddress } from "../../src/parse.js";
import { contextAction } from "../context.js";

const SOURCE = "emission:observe";

export default contextAction(SOURCE, async (args: { emission: string; token: string; account: string }, ctx) => {
  const emission = await ctx.emission(args.emission);
  // GUT of the deployment in the address book when --token is not given.
  const token = parseAddress(SOURCE, "token", await ctx.address(args.token, "gut", "token"));
  const receipt = await mined(emission.observe(token));
  console.log(`recorded ${receipt.logs.length} observation(s) on the route of ${token}`);
});

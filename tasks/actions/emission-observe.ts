import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { mined } from "../../src/receipts.js";
import { parseAddress } from "../../src/parse.js";
import { cli } from "../cli.js";
import { required, taskContext } from "../context.js";

const SOURCE = "emission:observe";

export default async function observe(
  args: { emission: string; token: string; account: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(
    async () => {
      const ctx = await taskContext(hre, SOURCE, args.account);
      const emission = await ctx.emission(args.emission);
      const token = parseAddress(SOURCE, "token", required(SOURCE, "token", args.token));
      const receipt = await mined(emission.observe(token));
      console.log(`recorded ${receipt.logs.length} observation(s) on the route of ${token}`);
    },
    { source: SOURCE, hre },
  );
}

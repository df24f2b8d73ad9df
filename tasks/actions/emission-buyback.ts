import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { connectEmission, sendBuyback } from "../../src/emission/client.js";
import { parseAmount } from "../../src/parse.js";
import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { ITFT__factory } from "../../types/index.js";
import { addressOption } from "../address-book.js";
import { cli } from "../cli.js";
import { accountOption } from "../signer.js";

export default async function buyback(
  args: {
    emission: string;
    account: string;
    token: string;
    amount: string;
    marginBps: bigint;
    deadlineSeconds: bigint;
  },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(async () => {
    const connection = await hre.network.getOrCreate();
    const { ethers } = connection;
    const keeper = await accountOption(await ethers.getSigners(), args.account, "emission:buyback");
    const emission = await connectEmission(
      "emission:buyback",
      await addressOption(args.emission, "emission", connection, "emission:buyback", "emission"),
      keeper,
    );
    if (!ethers.isAddress(args.token)) throw new InputError("emission:buyback", undefined, "token", "not an address");
    const token = ITFT__factory.connect(args.token, keeper);
    const [decimals, symbol] = [Number(await token.decimals()), await token.symbol()];
    const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    const b = await sendBuyback(emission, args.token, {
      amount: args.amount === "" ? undefined : parseAmount("emission:buyback", "amount", args.amount, decimals),
      marginBps: args.marginBps,
      deadlineSeconds: args.deadlineSeconds,
      now,
    });
    console.log(`selling ${formatToken(b.amountIn, symbol, decimals)}; TWAP quote ${formatToken(b.twapQuote, "TFT")}`);
    console.log(`minTftOut ${formatToken(b.minTftOut, "TFT")}, deadline ${b.deadline}`);
    console.log(`bought back ${formatToken(b.tftOut, "TFT")} in ${b.hash}`);
  });
}

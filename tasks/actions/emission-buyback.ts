import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { buybackEndedBuckets, connectEmission, sendBuyback, type BuybackResult } from "../../src/emission/client.js";
import { parseAmount, parseInteger } from "../../src/parse.js";
import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { ITFT__factory } from "../../types/index.js";
import { addressOption } from "../address-book.js";
import { cli } from "../cli.js";
import { accountOption } from "../signer.js";

const SOURCE = "emission:buyback";

export default async function buyback(
  args: {
    emission: string;
    account: string;
    token: string;
    epoch: string;
    amount: string;
    marginBps: bigint;
    deadlineSeconds: bigint;
  },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(async () => {
    const connection = await hre.network.getOrCreate();
    const { ethers } = connection;
    const keeper = await accountOption(await ethers.getSigners(), args.account, SOURCE);
    const emission = await connectEmission(
      SOURCE,
      await addressOption(args.emission, "emission", connection, SOURCE, "emission"),
      keeper,
    );
    // GUT of the deployment in the address book when --token is not given.
    args = { ...args, token: await addressOption(args.token, "gut", connection, SOURCE, "token") };
    if (!ethers.isAddress(args.token)) throw new InputError(SOURCE, undefined, "token", "not an address");
    const epoch = args.epoch === "" ? undefined : parseInteger(SOURCE, "epoch", args.epoch);
    if (epoch === undefined && args.amount !== "") {
      throw new InputError(SOURCE, undefined, "amount", "--amount sells part of one bucket: give its --epoch too");
    }
    const token = ITFT__factory.connect(args.token, keeper);
    const [decimals, symbol] = [Number(await token.decimals()), await token.symbol()];
    const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    const opts = { marginBps: args.marginBps, deadlineSeconds: args.deadlineSeconds, now };
    const print = (b: BuybackResult) => {
      console.log(
        `bucket of epoch ${b.epoch}: sold ${formatToken(b.amountIn, symbol, decimals)} for ${formatToken(b.tftOut, "TFT")} ` +
          `(TWAP quote ${formatToken(b.twapQuote, "TFT")}, minTftOut ${formatToken(b.minTftOut, "TFT")}) in ${b.hash}`,
      );
    };
    if (epoch !== undefined) {
      const amount = args.amount === "" ? undefined : parseAmount(SOURCE, "amount", args.amount, decimals);
      print(await sendBuyback(emission, args.token, epoch, { ...opts, amount }));
      return;
    }
    const round = await buybackEndedBuckets(emission, { ...opts, tokens: [args.token] });
    if (round.done.length === 0 && round.failed.length === 0) {
      throw new InputError(
        SOURCE,
        undefined,
        "token",
        `nothing to buy back: no ended bucket of ${symbol} has unsold fees`,
      );
    }
    round.done.forEach(print);
    for (const f of round.failed) console.log(`bucket of epoch ${f.epoch}: failed: ${f.reason}`);
  });
}

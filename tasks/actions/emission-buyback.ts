import { buybackEndedBuckets, sendBuyback, type BuybackResult } from "../../src/emission/client.js";
import { tokenInfo } from "../../src/erc20.js";
import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { parseAddress, parseAmount, parseInteger } from "../../src/parse.js";
import { contextAction } from "../context.js";

const SOURCE = "emission:buyback";

export default contextAction(
  SOURCE,
  async (
    args: {
      emission: string;
      account: string;
      token: string;
      epoch: string;
      amount: string;
      marginBps: bigint;
      deadlineSeconds: bigint;
    },
    ctx,
  ) => {
    const emission = await ctx.emission(args.emission);
    // GUT of the deployment in the address book when --token is not given.
    const tokenAddress = parseAddress(SOURCE, "token", await ctx.address(args.token, "gut", "token"));
    const epoch = args.epoch === "" ? undefined : parseInteger(SOURCE, "epoch", args.epoch);
    if (epoch === undefined && args.amount !== "") {
      throw new InputError(SOURCE, undefined, "amount", "--amount sells part of one bucket: give its --epoch too");
    }
    const { decimals, symbol } = await tokenInfo(tokenAddress, ctx.signer);
    const opts = { marginBps: args.marginBps, deadlineSeconds: args.deadlineSeconds, now: await ctx.now() };
    const print = (b: BuybackResult) => {
      console.log(
        `bucket of epoch ${b.epoch}: sold ${formatToken(b.amountIn, symbol, decimals)} for ${formatToken(b.tftOut, "TFT")} ` +
          `(TWAP quote ${formatToken(b.twapQuote, "TFT")}, minTftOut ${formatToken(b.minTftOut, "TFT")}) in ${b.hash}`,
      );
    };
    if (epoch !== undefined) {
      const amount = args.amount === "" ? undefined : parseAmount(SOURCE, "amount", args.amount, decimals);
      print(await sendBuyback(emission, tokenAddress, epoch, { ...opts, amount }));
      return;
    }
    const round = await buybackEndedBuckets(emission, { ...opts, tokens: [tokenAddress] });
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
  },
);

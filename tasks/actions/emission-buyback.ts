import { buybackRound, KEEPER_DEFAULTS } from "../../src/agent/keeper.js";
import { readBuckets, sendBuyback, type BucketReport } from "../../src/emission/client.js";
import { tokenInfo } from "../../src/erc20.js";
import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { parseAddress, parseAmount, parseInteger } from "../../src/parse.js";
import { receiptEvent } from "../../src/receipts.js";
import { contextAction } from "../context.js";
import { deploymentBlock } from "./keeper-sweep.js";

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
      fromBlock: string;
      maxImpactBps: string;
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
    const tft = (amount: bigint) => formatToken(amount, "TFT");
    if (epoch !== undefined) {
      // The operator's explicit sale: the amount asked for (the whole bucket by default) in one
      // transaction, whatever it moves the pool by; the TWAP's minTftOut still bounds it.
      const amount = args.amount === "" ? undefined : parseAmount(SOURCE, "amount", args.amount, decimals);
      const b = await sendBuyback(emission, tokenAddress, epoch, {
        marginBps: args.marginBps,
        deadlineSeconds: args.deadlineSeconds,
        now: await ctx.now(),
        amount,
      });
      console.log(
        `bucket of epoch ${b.epoch}: sold ${formatToken(b.amountIn, symbol, decimals)} for ${tft(b.tftOut)} ` +
          `(TWAP quote ${tft(b.twapQuote)}, minTftOut ${tft(b.minTftOut)}) in ${b.hash}`,
      );
      return;
    }
    // The keeper's buyback: a slice of each ended bucket, as large as moves the pool's price by
    // at most --maxImpactBps, while the pool's price is inside the TWAP band.
    const notes: string[] = [];
    const outcomes = await buybackRound({
      signer: ctx.signer,
      emission,
      tokens: [tokenAddress],
      fromBlock:
        args.fromBlock === ""
          ? await deploymentBlock(emission, "emission")
          : Number(parseInteger(SOURCE, "fromBlock", args.fromBlock)),
      policy: {
        buybackMarginBps: args.marginBps,
        maxImpactBps:
          args.maxImpactBps === ""
            ? KEEPER_DEFAULTS.maxImpactBps
            : parseInteger(SOURCE, "maxImpactBps", args.maxImpactBps, 1n, 2000n),
      },
      log: (_level, event, fields = {}) => {
        if (event === "buyback_not_ready") notes.push(`bucket of epoch ${fields.epoch}: not ready: ${fields.reason}`);
        if (event === "buyback_outside_band") {
          notes.push(
            `bucket of epoch ${fields.epoch}: the pool's price is outside the TWAP band (the slice would get ` +
              `${tft(fields.spotOut as bigint)}, the TWAP allows no less than ${tft(fields.minTftOut as bigint)}): retry once it is back`,
          );
        }
      },
    });
    if (outcomes.length === 0) {
      throw new InputError(
        SOURCE,
        undefined,
        "token",
        notes.length === 0 ? `nothing to buy back: no ended bucket of ${symbol} has unsold fees` : notes.join("; "),
      );
    }
    for (const o of outcomes) {
      const [, bucket, amountIn] = emission.interface.decodeFunctionData("buyback", o.data) as unknown as [
        string,
        bigint,
        bigint,
      ];
      if (o.receipt === undefined) {
        console.log(`bucket of epoch ${bucket}: ${o.result}: ${o.reason}`);
        continue;
      }
      const tftOut = receiptEvent(emission, o.receipt, "BoughtBack").args.tftOut as bigint;
      const [{ unsold }] = (await readBuckets(emission, [{ epoch: bucket, token: tokenAddress }])) as [BucketReport];
      console.log(
        `bucket of epoch ${bucket}: sold ${formatToken(amountIn, symbol, decimals)} for ${tft(tftOut)} in ${o.receipt.hash}` +
          (unsold === 0n ? "" : `; ${formatToken(unsold, symbol, decimals)} left for the next slices (run again)`),
      );
    }
    for (const note of notes) console.log(note);
  },
);

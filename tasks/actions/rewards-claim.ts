import { claimRewards } from "../../src/emission/client.js";
import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { parseInteger } from "../../src/parse.js";
import { contextAction } from "../context.js";

const SOURCE = "rewards:claim";

/** `--from-epoch` and `--to-epoch`, each optional, checked to be whole numbers in order. */
export function epochRange(
  source: string,
  args: { fromEpoch: string; toEpoch: string },
): { fromEpoch?: bigint; toEpoch?: bigint } {
  const fromEpoch = args.fromEpoch === "" ? undefined : parseInteger(source, "from-epoch", args.fromEpoch);
  const toEpoch = args.toEpoch === "" ? undefined : parseInteger(source, "to-epoch", args.toEpoch);
  if (fromEpoch !== undefined && toEpoch !== undefined && toEpoch < fromEpoch) {
    throw new InputError(source, undefined, "to-epoch", `${toEpoch} is before --from-epoch ${fromEpoch}`);
  }
  return { fromEpoch, toEpoch };
}

export default contextAction(
  SOURCE,
  async (args: { emission: string; account: string; fromEpoch: string; toEpoch: string }, ctx) => {
    const range = epochRange(SOURCE, args);
    const { buckets, amount, hash } = await claimRewards(await ctx.emission(args.emission), range);
    if (amount === 0n) throw new InputError(SOURCE, undefined, "from-epoch", "nothing to claim in that range");
    const names = buckets.map((b) => `${b.epoch}/${b.token.slice(0, 8)}`).join(", ");
    console.log(`claimed ${formatToken(amount, "TFT")} from buckets [${names}] in ${hash}`);
  },
);

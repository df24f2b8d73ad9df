import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { formatUnits } from "ethers";

import { InputError } from "../../src/errors.js";
import { registerNode, tokenLabel } from "../../src/registry.js";
import { parseAddress, parseAmount, parseInteger } from "../../src/parse.js";
import { addressOption } from "../address-book.js";
import { cli } from "../cli.js";
import { registryContext } from "../registry-context.js";

const SOURCE = "node:register";

export default async function nodeRegister(
  args: { registry: string; from: string; model: string; gpus: string; price: string; token: string; uri: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(async () => {
    for (const field of ["model", "gpus", "price"] as const) {
      if (args[field] === "") throw new InputError(SOURCE, undefined, field, `--${field} is required`);
    }
    const gpuCount = parseInteger(SOURCE, "gpus", args.gpus, 1n, 1024n);
    const { registry, signer } = await registryContext(hre, args, SOURCE);
    // GUT of the deployment in the address book when --token is not given.
    const paymentToken = parseAddress(
      SOURCE,
      "token",
      await addressOption(args.token, "gut", await hre.network.getOrCreate(), SOURCE, "token"),
    );
    const label = await tokenLabel(paymentToken, signer.provider!);
    const pricePerTuHour = parseAmount(SOURCE, "price", args.price, label.decimals);
    if (pricePerTuHour === 0n) throw new InputError(SOURCE, undefined, "price", "the price must be above 0");
    const { nodeId, stake, hash } = await registerNode(
      registry,
      signer,
      { model: args.model, gpuCount, pricePerTuHour, paymentToken, uri: args.uri },
      SOURCE,
    );
    console.log(`node ${nodeId} registered, ${formatUnits(stake)} GUT staked (${hash})`);
  });
}

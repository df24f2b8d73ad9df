import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { connectEmission } from "../../src/emission/client.js";
import { InputError } from "../../src/errors.js";
import { addressOption } from "../address-book.js";
import { cli } from "../cli.js";

export default async function observe(
  args: { emission: string; token: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(async () => {
    const connection = await hre.network.getOrCreate();
    const { ethers } = connection;
    const [signer] = await ethers.getSigners();
    const emission = await connectEmission(
      "emission:observe",
      await addressOption(args.emission, "emission", connection, "emission:observe", "emission"),
      signer!,
    );
    // GUT of the deployment in the address book when --token is not given.
    args = { ...args, token: await addressOption(args.token, "gut", connection, "emission:observe", "token") };
    if (!ethers.isAddress(args.token)) throw new InputError("emission:observe", undefined, "token", "not an address");
    const receipt = await (await emission.observe(args.token)).wait();
    console.log(`recorded ${receipt?.logs.length ?? 0} observation(s) on the route of ${args.token}`);
  });
}

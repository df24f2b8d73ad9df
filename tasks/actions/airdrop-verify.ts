import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { verifyAirdrop } from "../../src/airdrop/verify.js";
import { InputError } from "../../src/errors.js";
import { DEFAULT_LEGACY_MAGIC } from "../../src/airdrop/legacy/message.js";
import { addressOption } from "../address-book.js";
import { cli, magicOption, optionsGiven } from "../cli.js";

async function airdropVerify(
  args: { airdrop: string; distributor: string; samples: number; magic: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(
    async () => {
      const { airdrop, samples } = args as typeof args & { samples: number };
      let { distributor } = args;
      if (airdrop === "")
        throw new InputError("airdrop:verify", undefined, "--airdrop", "the airdrop directory is required");
      const connection = await hre.network.create();
      const { ethers } = connection;
      distributor = await addressOption(distributor, "distributor", connection, "airdrop:verify", "--distributor");
      if (!/^0x[0-9a-fA-F]{40}$/.test(distributor)) {
        throw new InputError("airdrop:verify", undefined, "--distributor", `"${distributor}" is not an address`);
      }
      const result = await verifyAirdrop(
        airdrop,
        distributor,
        ethers.provider,
        samples,
        args.magic === "" ? DEFAULT_LEGACY_MAGIC : magicOption(args.magic),
      );
      for (const c of result.checks) console.log(`${c.ok ? "ok  " : "FAIL"}  ${c.what}: ${c.detail}`);
      if (!result.ok)
        throw new InputError(airdrop, undefined, undefined, "does not match the distributor (see FAIL above)");
      console.log("\nthe airdrop matches the distributor");
    },
    { source: "airdrop:verify", hre },
  );
}

export default optionsGiven(airdropVerify);

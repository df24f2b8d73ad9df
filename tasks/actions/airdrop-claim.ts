import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { claimAirdrop } from "../../src/airdrop/claim.js";
import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { addressOption } from "../address-book.js";
import { cli, optionsGiven } from "../cli.js";

async function airdropClaim(
  args: { airdrop: string; distributor: string; account: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(
    async (revert) => {
      const { airdrop, account } = args;
      let { distributor } = args;
      if (airdrop === "")
        throw new InputError("airdrop:claim", undefined, "--airdrop", "the airdrop directory is required");
      const connection = await hre.network.getOrCreate();
      const { ethers } = connection;
      distributor = await addressOption(distributor, "distributor", connection, "airdrop:claim", "--distributor");
      if (!/^0x[0-9a-fA-F]{40}$/.test(distributor)) {
        throw new InputError("airdrop:claim", undefined, "--distributor", `"${distributor}" is not an address`);
      }
      const [signer] = await ethers.getSigners();
      const holder = account === "" ? signer!.address : account;
      if (!/^0x[0-9a-fA-F]{40}$/.test(holder))
        throw new InputError("airdrop:claim", undefined, "--account", `"${holder}" is not an address`);
      const { token, outcomes } = await claimAirdrop(airdrop, distributor, holder, signer!, (paid) => {
        revert.token = paid;
      });
      for (const outcome of outcomes) {
        const { index, amount } = outcome.claim;
        console.log(
          `index ${index}: ${formatToken(BigInt(amount), token.symbol, token.decimals)} to ${outcome.claim.holder} — ${outcome.status}${outcome.txHash ? ` (tx ${outcome.txHash})` : ""}`,
        );
      }
    },
    { source: "airdrop:claim", hre },
  );
}

export default optionsGiven(airdropClaim);

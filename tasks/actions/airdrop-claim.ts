import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { claimAirdrop } from "../../src/airdrop/claim.js";
import { InputError } from "../../src/errors.js";
import { cli } from "../cli.js";

export default async function airdropClaim(
  { airdrop, distributor, account }: { airdrop: string; distributor: string; account: string },
  hre: HardhatRuntimeEnvironment,
): Promise<void> {
  await cli(async () => {
    if (airdrop === "")
      throw new InputError("airdrop:claim", undefined, "--airdrop", "the airdrop directory is required");
    if (!/^0x[0-9a-fA-F]{40}$/.test(distributor)) {
      throw new InputError("airdrop:claim", undefined, "--distributor", `"${distributor}" is not an address`);
    }
    const { ethers } = await hre.network.create();
    const [signer] = await ethers.getSigners();
    const holder = account === "" ? signer!.address : account;
    if (!/^0x[0-9a-fA-F]{40}$/.test(holder))
      throw new InputError("airdrop:claim", undefined, "--account", `"${holder}" is not an address`);
    for (const outcome of await claimAirdrop(airdrop, distributor, holder, signer!)) {
      const { index, amount } = outcome.claim;
      console.log(
        `index ${index}: ${amount} wei to ${outcome.claim.holder} — ${outcome.status}${outcome.txHash ? ` (tx ${outcome.txHash})` : ""}`,
      );
    }
  });
}

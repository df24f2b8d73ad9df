import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { claimLegacyAirdrop } from "../../src/airdrop/legacy-claim.js";
import { parseAddress } from "../../src/parse.js";
import { addressOption } from "../address-book.js";
import { cli, optionsGiven } from "../cli.js";

const TASK = "airdrop:claim-legacy";

export interface ClaimLegacyArgs {
  airdrop: string;
  distributor: string;
  recipient: string;
  signature: string;
  pubkey: string;
  holder: string;
}

async function airdropClaimLegacy(args: ClaimLegacyArgs, hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(
    async () => {
      if (args.airdrop === "") throw new InputError(TASK, undefined, "--airdrop", "the airdrop directory is required");
      if (args.signature === "")
        throw new InputError(TASK, undefined, "--signature", "the base64 signature is required");
      const recipient = parseAddress(TASK, "--recipient", args.recipient);
      const connection = await hre.network.getOrCreate();
      const { ethers } = connection;
      // Like airdrop:claim: the deployment's distributor from the address book when not given.
      const distributor = parseAddress(
        TASK,
        "--distributor",
        await addressOption(args.distributor, "distributor", connection, TASK, "--distributor"),
      );
      const [sender] = await ethers.getSigners();
      const { plan, outcomes } = await claimLegacyAirdrop(
        {
          dir: args.airdrop,
          distributor,
          recipient,
          signature: args.signature,
          pubkey: args.pubkey === "" ? undefined : args.pubkey,
          holder: args.holder === "" ? undefined : args.holder,
          source: TASK,
        },
        sender!,
      );
      const { token } = plan;
      console.log(`holder     ${plan.address} (${plan.form} key, HASH160 ${plan.hash160})`);
      console.log(`message    ${plan.message}`);
      for (const outcome of outcomes) {
        const { index, amount } = outcome.claim;
        console.log(
          `index ${index}: ${formatToken(BigInt(amount), token.symbol, token.decimals)} to ${plan.recipient} — ${outcome.status}${outcome.txHash ? ` (tx ${outcome.txHash})` : ""}`,
        );
      }
    },
    { source: TASK, hre },
  );
}

export default optionsGiven(airdropClaimLegacy);

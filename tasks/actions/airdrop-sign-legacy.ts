import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { InputError } from "../../src/errors.js";
import { formatToken } from "../../src/format.js";
import { readWifFile, signLegacyClaim } from "../../src/airdrop/legacy-holder.js";
import { findLegacyClaims, parseLegacyHolder } from "../../src/airdrop/legacy-lookup.js";
import { DEFAULT_LEGACY_MAGIC } from "../../src/airdrop/legacy/message.js";
import { parseAddress, parseInteger } from "../../src/parse.js";
import { cli, magicOption, optionsGiven } from "../cli.js";

const TASK = "airdrop:sign-legacy";

export interface SignLegacyArgs {
  wifFile: string;
  wif: string;
  recipient: string;
  distributor: string;
  chainId: string;
  magic: string;
  addressVersion: number;
  address: string;
  airdrop: string;
}

/** Offline: reads no network, only the key and (optionally) the airdrop directory. */
async function airdropSignLegacy(args: SignLegacyArgs, _hre: HardhatRuntimeEnvironment): Promise<void> {
  await cli(async () => {
    if ((args.wif === "") === (args.wifFile === "")) {
      throw new InputError(
        TASK,
        undefined,
        "--wif-file",
        "give the WIF private key by --wif-file (or --wif), exactly one of them",
      );
    }
    const { wif, origin } =
      args.wifFile !== "" ? await readWifFile(args.wifFile) : { wif: args.wif, origin: undefined };
    const recipient = parseAddress(TASK, "--recipient", args.recipient);
    const distributor = parseAddress(TASK, "--distributor", args.distributor);
    if (args.chainId === "") {
      throw new InputError(
        TASK,
        undefined,
        "--chain-id",
        "the chain id the distributor is on is required (1 for Ethereum)",
      );
    }
    const chainId = parseInteger(TASK, "--chain-id", args.chainId, 1n);
    const version = args.addressVersion;
    if (!Number.isInteger(version) || version < 0 || version > 255) {
      throw new InputError(TASK, undefined, "--address-version", `${version} is not a byte (0..255)`);
    }
    const magic = args.magic === "" ? DEFAULT_LEGACY_MAGIC : magicOption(args.magic);
    const signed = await signLegacyClaim({
      wif,
      wifOrigin: origin,
      recipient,
      distributor,
      chainId,
      magic,
      version,
      source: TASK,
      expected: args.address === "" ? undefined : parseLegacyHolder(TASK, "--address", args.address, version),
      lookup: args.airdrop === "" ? undefined : (hash160) => findLegacyClaims(args.airdrop, hash160),
    });
    for (const note of signed.notes) console.log(`note       ${note}`);
    console.log(`address    ${signed.address} (${signed.form} key, HASH160 ${signed.hash160})`);
    for (const claim of signed.claims ?? [])
      console.log(`leaf       index ${claim.index}, ${formatToken(BigInt(claim.amount), "GUT")}`);
    console.log(`message    ${signed.message}`);
    console.log(`pubkey     ${signed.pubkey}`);
    console.log(`signature  ${signed.signature}`);
    console.log(
      `\nhand these to whoever submits the claim (anyone may; the tokens can only go to ${recipient}):\n` +
        `npx hardhat airdrop:claim-legacy --airdrop <dir> --distributor ${distributor} --recipient ${recipient} --signature ${signed.signature} --network <net>`,
    );
  });
}

export default optionsGiven(airdropSignLegacy);

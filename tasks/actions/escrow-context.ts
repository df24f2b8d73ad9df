import type { Signer } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { InputError } from "../../src/errors.js";
import { connectEscrow, type EscrowHandle } from "../../src/escrow.js";
import { parseAddress } from "../../src/parse.js";
import { addressOption } from "../address-book.js";

/** What every lease task works with: the escrow and registry, the signer, and the chain's time. */
export interface EscrowContext extends EscrowHandle {
  signer: Signer;
  now: () => Promise<bigint>;
}

/** Validates `--escrow` and `--account`, and connects. Nothing is sent before this succeeds. */
export async function escrowContext(
  source: string,
  args: { escrow: string; account: string },
  hre: HardhatRuntimeEnvironment,
): Promise<EscrowContext> {
  const connection = await hre.network.getOrCreate();
  const { ethers } = connection;
  const address = parseAddress(
    source,
    "escrow",
    await addressOption(args.escrow, "escrow", connection, source, "escrow"),
  );
  const signers = await ethers.getSigners();
  let signer: Signer | undefined = signers[0];
  if (args.account !== "") {
    const wanted = parseAddress(source, "account", args.account);
    signer = signers.find((s) => s.address === wanted);
    if (signer === undefined)
      throw new InputError(source, undefined, "account", `${wanted} is not one of the network's accounts`);
  }
  if (signer === undefined) throw new InputError(source, undefined, "account", "the network has no accounts");
  if ((await ethers.provider.getCode(address)) === "0x") {
    throw new InputError(source, undefined, "escrow", `no contract at ${address} on this network`);
  }
  const handle = await connectEscrow(address, signer);
  const now = async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  return { ...handle, signer, now };
}

/** Requires a non-empty option. */
export function required(source: string, field: string, value: string): string {
  if (value.trim() === "") throw new InputError(source, undefined, field, `--${field} is required`);
  return value;
}

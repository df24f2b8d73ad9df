import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { signPermit } from "../../src/permit.js";
import type { GasRow } from "../gas.js";
import { connect, gasOf, type BenchChain } from "../lib.js";

export default async function tokens(hre: HardhatRuntimeEnvironment, chain: BenchChain = "l1"): Promise<GasRow[]> {
  const { ethers, networkHelpers } = await connect(hre, chain);
  const [admin, alice, bob] = await ethers.getSigners();
  const gut = await ethers.deployContract("GUT", [0n, admin.address, admin.address]);
  const tft = await ethers.deployContract("TFT", [admin.address, 650_000_000n * 10n ** 18n, admin.address]);
  await gut.grantRole(await gut.MINTER_ROLE(), admin.address);
  await tft.transfer(alice.address, 10n ** 18n);
  const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
  const p = await signPermit(gut, admin, bob.address, 1n, deadline);
  return [
    { contract: "GUT", call: "mint", gas: await gasOf(gut.mint(alice.address, 10n ** 18n)) },
    { contract: "GUT", call: "transfer", gas: await gasOf(gut.connect(alice).transfer(bob.address, 1n)) },
    {
      contract: "GUT",
      call: "permit",
      gas: await gasOf(gut.permit(p.owner, p.spender, p.value, p.deadline, p.v, p.r, p.s)),
    },
    { contract: "TFT", call: "transfer", gas: await gasOf(tft.connect(alice).transfer(bob.address, 1n)) },
    { contract: "TFT", call: "burn", gas: await gasOf(tft.connect(alice).burn(1n)) },
  ];
}

// Stands in for the old GUT on a local node: an ERC-20 minted to four holders, with ordinary
// transfers between them, each in a block of its own, so `snapshot:evm` has real logs to replay.
// Prints `<token> <first block>` for the snapshot task.
//
//   npx hardhat run scripts/localhost/old-token.ts --network localhost
import { network } from "hardhat";

const { ethers } = await network.create();
const [, , , a, b, c, d] = await ethers.getSigners();
if (d === undefined) throw new Error("the network needs at least 7 accounts");
const unit = 10n ** 18n;
const token = await ethers.deployContract("MockERC20", ["GPUnion Token (old chain)", "oGUT", 18]);
const receipt = await token.deploymentTransaction()!.wait();
for (const [holder, amount] of [
  [a, 30_000n],
  [b, 20_000n],
  [c, 5_000n],
] as const) {
  await (await token.getFunction("mint")(holder!.address, amount * unit)).wait();
}
await (await token.connect(a!).getFunction("transfer")(d.address, 4_000n * unit)).wait();
await (await token.connect(b!).getFunction("transfer")(c!.address, 1_500n * unit)).wait();
console.log(`${await token.getAddress()} ${receipt!.blockNumber}`);

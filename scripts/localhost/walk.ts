// The market part of the networked path (.ci/network) in one process: the holders' claims, the
// providers', the customer's and the keeper's tasks up to a buyback, run through `hre.tasks` (the
// same actions the command line runs, with the same options) on the --network connection, with
// the chain's time moved between them. One Hardhat start-up instead of one per task, which is
// most of what the path costs on a loaded machine.
//
//   GPUFOG_AIRDROP=<dir> npx hardhat run --no-compile scripts/localhost/walk.ts --network localhost
//
// Accounts: 2 the keeper (System.keeper of localhost.json), 3 a provider and 4 a customer, both
// holders of the old token (scripts/localhost/old-token.ts). GUT is given once as --token;
// elsewhere the book supplies it.
import hre from "hardhat";

import { loadAddressBook } from "../../src/deployments-fs.js";

const airdrop = process.env.GPUFOG_AIRDROP;
if (airdrop === undefined || airdrop === "") throw new Error("set GPUFOG_AIRDROP to the airdrop directory");
const { ethers, provider } = await hre.network.getOrCreate();
const accounts = (await ethers.getSigners()).map((s) => s.address);
const [keeper, provider3, customer] = [accounts[2]!, accounts[3]!, accounts[4]!];
const gut = loadAddressBook((await ethers.provider.getNetwork()).chainId).contracts.gut;

async function task(name: string, args: Record<string, unknown> = {}): Promise<void> {
  const shown = Object.entries(args).map(([option, value]) => `--${option} ${String(value)}`);
  console.log(`\n$ hardhat ${name} ${shown.join(" ")}`);
  await hre.tasks.getTask(name).run(args);
}

async function later(seconds: number): Promise<void> {
  console.log(`\n(the chain's clock moves ${seconds} s)`);
  await provider.request({ method: "evm_increaseTime", params: [seconds] });
  await provider.request({ method: "evm_mine", params: [] });
}

await task("airdrop:verify", { airdrop, samples: 4 });
await task("airdrop:claim", { airdrop, account: provider3 });
await task("airdrop:claim", { airdrop, account: customer });

const common = { account: provider3 };
await task("node:register", {
  ...common,
  model: "RTX 2080 Ti",
  gpus: "2",
  price: "1.5",
  token: gut,
  uri: "https://a.example",
});
await task("node:register", { ...common, model: "GTX 1080 Ti", gpus: "1", price: "0.5", uri: "https://b.example" });

// 25 minutes of service with heartbeats inside the timeout, then the provider's withdrawal.
await task("lease:open", { account: customer, node: "1", deposit: "20" });
for (let i = 0; i < 3; i++) {
  await later(500);
  await task("node:heartbeat", { ...common, node: "1" });
}
await task("lease:withdraw", common);

// The keeper forwards the fees into this epoch's bucket; the epoch ends; an observation; the
// TWAP window passes; the buyback.
await task("keeper:sweep", { account: keeper });
await later(3600);
await task("emission:observe", { token: gut });
await later(1800);
await task("emission:buyback", { account: keeper });
// Node 2 went stale while time was moved (the sweep marked it Disconnect): a heartbeat
// reconnects it, Idle again for the dApp's lease.
await task("node:heartbeat", { ...common, node: "2" });
await task("emission:stats");

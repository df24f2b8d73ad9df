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
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

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

// The session: the provider quotes the customer, the customer opens with the quote, 25 minutes
// of service, a receipt collected, the customer's close, the provider's last receipt inside the
// collect window, and the finalize once the window has passed (the clock is moved: anvil mines
// only on transactions). Then the provider's withdrawal.
const files = mkdtempSync(path.join(tmpdir(), "gpufog-walk-"));
const quote = path.join(files, "quote.json");
const receipt = path.join(files, "receipt.json");
await task("quote:sign", { ...common, node: "1", customer, out: quote });
await task("lease:open", { account: customer, quote, deposit: "20" });
await later(1500);
await task("receipt:sign", { account: customer, lease: "1", paidThrough: "now", out: receipt });
await task("lease:collect", { account: keeper, receipt });
await task("lease:status", { lease: "1" });
// Served a little more after the collect: the customer's last receipt, signed after its close,
// covers that time and no more (the collect stops at the close).
await later(300);
await task("lease:close", { account: customer, lease: "1" });
await task("receipt:sign", { account: customer, lease: "1", paidThrough: "now", out: receipt });
await task("lease:collect", { ...common, receipt });
await later(3601);
await task("lease:finalize", { account: keeper, lease: "1" });
await task("provider:withdraw", common);

// A reservation of node 1 starting in two minutes: reserved with the provider's window quote,
// started by the customer in its window and accepted by the provider; the provider closes it.
await task("quote:sign", { ...common, node: "1", customer, start: "+2m", duration: "1h", out: quote });
await task("reserve", { account: customer, quote, deposit: "5" });
await later(121);
await task("reservation:start", { account: customer, reservation: "1" });
await task("reservation:accept", { ...common, reservation: "1" });
await task("lease:close", { ...common, lease: "2" });

// The keeper forwards the fees into this epoch's bucket; the epoch ends; an observation; the
// TWAP window passes; the buyback.
await task("keeper:sweep", { account: keeper });
await later(3600);
await task("emission:observe", { token: gut });
await later(1800);
await task("emission:buyback", { account: keeper });
// The nodes check in once per checkInPeriod while Idle: one transaction for both.
await task("node:checkin", { ...common, nodes: "1,2" });
await task("emission:stats");

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { network } from "hardhat";

import { Interface, Transaction } from "ethers";

import registryGas from "../../bench/gas/registry.js";
import { connect, costOf, DEFAULT_OP_FEES, GAS_PRICE_ORACLE, recordCosts, type TxCost } from "../../bench/lib.js";
import { overheadLines, overheadParameters, SETUPS } from "../../bench/overhead.js";
import { checkBookReplacement, deploymentRules, journalState } from "../../deploy/deploy-guard.js";
import { systemParameters } from "../../deploy/system-parameters.js";
import { abiHash, parseAddressBook, type AddressBook } from "../../src/deployments.js";
import { InputError } from "../../src/errors.js";
import { addressOption, checkBookChain } from "../../tasks/address-book.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture } = networkHelpers;

/** `actual` within `delta` of `expected` (chai's closeTo is bigint-only with the ethers matchers). */
function near(actual: number, expected: number, delta: number): void {
  expect(Math.abs(actual - expected) <= delta, `${actual} is not within ${delta} of ${expected}`).to.equal(true);
}

/** The error a promise rejects with (fails when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

const GENESIS_A = `0x${"aa".repeat(32)}`;
const GENESIS_B = `0x${"bb".repeat(32)}`;

describe("Networks", function () {
  let dir: string;
  beforeEach(function () {
    dir = mkdtempSync(path.join(tmpdir(), "gpufog-networks-"));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  describe("hardhat.config.ts", function () {
    it("defines custom and opSepolia from configuration variables, opSimulated as an in-process OP Stack", async function () {
      const hre = (await import("hardhat")).default;
      const { custom, opSepolia, opSimulated } = hre.config.networks;
      expect(custom?.type).to.equal("http");
      expect(opSepolia?.chainType).to.equal("op");
      expect(opSimulated?.type).to.equal("edr-simulated");
      expect(opSimulated?.chainType).to.equal("op");
      // A configuration variable is resolved only when the network is used; none is a literal URL.
      for (const net of [custom, opSepolia]) {
        expect(JSON.stringify((net as { url: unknown }).url)).to.match(/CUSTOM_RPC_URL|OP_SEPOLIA_RPC_URL/);
      }
      for (const name of ["custom", "opSepolia", "opSimulated"]) {
        expect(existsSync(`deploy/parameters/${name}.json`), name).to.equal(true);
      }
    });

    it("keeps the mocks and the Solidity tests out of the coverage report", async function () {
      const hre = (await import("hardhat")).default;
      expect(hre.config.coverage.skipFiles).to.include.members(["contracts/mocks/**", "test/**"]);
    });
  });

  describe("deploymentRules", function () {
    it("treats chain 31337 as local and any other id as public, and says why", function () {
      expect(deploymentRules("p.json", {}, 31337n).rules).to.equal("local");
      const other = deploymentRules("p.json", {}, 1337n);
      expect(other.rules).to.equal("public");
      expect(other.why).to.contain("chain 1337 is not 31337");
      expect(other.why).to.contain('add "Chain": { "rules": "local" } to p.json');
      expect(deploymentRules("p.json", {}, 11155111n).why).to.equal("chain 11155111 is Sepolia");
    });

    it("follows the parameter file's rules on a chain of another id", function () {
      expect(deploymentRules("p.json", { Chain: { rules: "local" } }, 1337n).rules).to.equal("local");
      expect(deploymentRules("p.json", { Chain: { rules: "public" } }, 31337n).rules).to.equal("public");
    });

    it("reverts when a file asks for local rules on a known public chain", function () {
      expect(() => deploymentRules("p.json", { Chain: { rules: "local" } }, 10n)).to.throw(
        InputError,
        'p.json, field "Chain.rules": is "local", but chain 10 is OP Mainnet, a public chain',
      );
    });

    it("reverts when the rules are neither local nor public", function () {
      expect(() => deploymentRules("p.json", { Chain: { rules: "dev" } }, 1n)).to.throw(
        InputError,
        'field "Chain.rules": must be "local" or "public", not "dev"',
      );
    });

    it("keeps the rules' key out of the modules' parameters", function () {
      const file = path.join(dir, "p.json");
      const content = JSON.parse(readFileSync("deploy/parameters/localhost.json", "utf8")) as Record<string, unknown>;
      expect(content.Chain).to.deep.equal({ rules: "local" });
      writeFileSync(file, JSON.stringify(content));
      const params = systemParameters({
        file,
        deployer: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
        local: true,
        now: 1n,
        airdrop: { root: `0x${"11".repeat(32)}`, total: "1", topNodes: [] },
      });
      expect(params).to.not.have.property("Chain");
    });
  });

  describe("journalState", function () {
    it("resumes a journal of the same chain with the clock of its first run", function () {
      const journal = path.join(dir, "chain-31337");
      expect(journalState(journal, GENESIS_A, 100n, false)).to.deep.equal({ now: 100n, replaced: false });
      expect(journalState(journal, GENESIS_A, 200n, false)).to.deep.equal({ now: 100n, replaced: false });
    });

    it("reverts when the journal is another chain's, naming both genesis hashes, and keeps it", function () {
      const journal = path.join(dir, "chain-31337");
      journalState(journal, GENESIS_A, 100n, false);
      writeFileSync(path.join(journal, "journal.jsonl"), "{}\n");
      expect(() => journalState(journal, GENESIS_B, 200n, false)).to.throw(
        InputError,
        `is the Ignition journal of another chain's (genesis ${GENESIS_A.slice(0, 10)}…; this chain's is ${GENESIS_B.slice(0, 10)}…`,
      );
      expect(existsSync(path.join(journal, "journal.jsonl"))).to.equal(true);
    });

    it("adopts the run state of an earlier version on a persistent network (resumes, never drops it)", function () {
      const journal = path.join(dir, "chain-11155111");
      mkdirSync(journal);
      writeFileSync(path.join(journal, "journal.jsonl"), "{}\n");
      writeFileSync(path.join(journal, "gpufog-run.json"), JSON.stringify({ now: "77" }));
      expect(journalState(journal, GENESIS_A, 500n, false)).to.deep.equal({ now: 77n, replaced: false });
      expect(journalState(journal, GENESIS_A, 600n, false)).to.deep.equal({ now: 77n, replaced: false });
      expect(() => journalState(journal, GENESIS_B, 600n, false)).to.throw(InputError, "another chain's");
    });

    it("reverts when a journal has no chain recorded", function () {
      const journal = path.join(dir, "old");
      mkdirSync(journal);
      writeFileSync(path.join(journal, "journal.jsonl"), "{}\n");
      expect(() => journalState(journal, GENESIS_A, 1n, false)).to.throw(InputError, "Pass --reset");
    });

    it("replaces it with --reset, with a new clock", function () {
      const journal = path.join(dir, "chain-31337");
      journalState(journal, GENESIS_A, 100n, false);
      writeFileSync(path.join(journal, "journal.jsonl"), "{}\n");
      expect(journalState(journal, GENESIS_B, 200n, true)).to.deep.equal({ now: 200n, replaced: true });
      expect(existsSync(path.join(journal, "journal.jsonl"))).to.equal(false);
    });
  });

  describe("checkBookReplacement", function () {
    const write = (book: object) => {
      const file = path.join(dir, "31337.json");
      writeFileSync(file, JSON.stringify(book));
      return file;
    };

    it("lets a deployment rewrite its own book", function () {
      expect(checkBookReplacement(path.join(dir, "none.json"), GENESIS_A, "chain-31337", false)).to.deep.equal({});
      const file = write({ deploymentId: "chain-31337", genesisHash: GENESIS_A });
      expect(checkBookReplacement(file, GENESIS_A, "chain-31337", false)).to.deep.equal({});
    });

    it("reverts when the book is of another chain with the same id", function () {
      const file = write({ deploymentId: "chain-31337", genesisHash: GENESIS_A });
      expect(() => checkBookReplacement(file, GENESIS_B, "chain-31337", false)).to.throw(
        InputError,
        `is the address book of deployment "chain-31337" on another chain (genesis ${GENESIS_A.slice(0, 10)}…); nothing was sent`,
      );
    });

    it("reverts when the book is of another deployment on this chain", function () {
      const file = write({ deploymentId: "other", genesisHash: GENESIS_A });
      expect(() => checkBookReplacement(file, GENESIS_A, "chain-31337", false)).to.throw(
        InputError,
        'deployment "other" on this chain',
      );
      expect(checkBookReplacement(file, GENESIS_A, "chain-31337", true).replaces).to.equal(
        'deployment "other" on this chain',
      );
    });
  });

  describe("checkBookChain", function () {
    async function bookOfThisChain() {
      const [a] = await ethers.getSigners();
      const gut = await ethers.deployContract("GUT", [0n, a!.address, a!.address]);
      const genesis = (await ethers.provider.getBlock(0))!.hash!;
      const address = await gut.getAddress();
      const book: AddressBook = parseAddressBook(
        {
          format: "gpufog-deployments-v1",
          chainId: 31337,
          network: "localhost",
          deploymentId: "chain-31337",
          genesisHash: genesis,
          block: 1,
          abiHash: abiHash(),
          contracts: {
            gut: address,
            tft: a!.address,
            registry: a!.address,
            escrow: a!.address,
            emission: a!.address,
            distributor: a!.address,
            timelock: a!.address,
          },
          uniswap: { router: a!.address, factory: a!.address },
        },
        "31337.json",
      );
      return { book, genesis };
    }

    it("accepts a book of this chain with code at the address", async function () {
      const { book } = await loadFixture(bookOfThisChain);
      await checkBookChain(book, "31337.json", ethers.provider, "gut");
    });

    it("reverts when the book's genesis hash is another chain's", async function () {
      const { book, genesis } = await loadFixture(bookOfThisChain);
      const other = { ...book, genesisHash: GENESIS_B };
      const error = await rejection(checkBookChain(other, "31337.json", ethers.provider, "gut"));
      expect(error).to.be.instanceOf(InputError);
      expect(error.message).to.contain(
        `31337.json, field "genesisHash": the book is of another chain with id 31337 (genesis ${GENESIS_B.slice(0, 10)}…; this node's is ${genesis.slice(0, 10)}…)`,
      );
    });

    it("reverts when there is no code at the book's address", async function () {
      const { book } = await loadFixture(bookOfThisChain);
      const error = await rejection(checkBookChain(book, "31337.json", ethers.provider, "registry"));
      expect(error).to.be.instanceOf(InputError);
      expect(error.message).to.contain('field "contracts.registry": no contract at');
    });

    it("is what addressOption applies to a book it reads", async function () {
      const { book } = await loadFixture(bookOfThisChain);
      writeFileSync(path.join(dir, "31337.json"), JSON.stringify({ ...book, genesisHash: GENESIS_B }));
      const connection = { networkConfig: { type: "http" }, ethers: { provider: ethers.provider } };
      const error = await rejection(addressOption("", "gut", connection, "test", "gut", dir));
      expect(error).to.be.instanceOf(InputError);
      expect(error.message).to.contain("the book is of another chain");
      expect(await addressOption("0x1", "gut", connection, "test", "gut", dir)).to.equal("0x1");
    });
  });

  describe("the OP Stack simulation (bench connect)", function () {
    it("charges an L1 data fee that the GasPriceOracle predeploy's getL1Fee agrees with", async function () {
      const hre = (await import("hardhat")).default;
      const op = await connect(hre, "op", DEFAULT_OP_FEES);
      const [a] = await op.ethers.getSigners();
      const gut = await op.ethers.deployContract("GUT", [0n, a!.address, a!.address]);
      const tx = gut.transfer("0x000000000000000000000000000000000000dEaD", 5n);
      const cost = await costOf(tx);
      expect(cost.l1Fee > 0n).to.equal(true);
      expect(cost.l1DataGas >= 1_600n).to.equal(true);
      const sent = await op.ethers.provider.getTransaction((await tx).hash);
      const oracle = new Interface(["function getL1Fee(bytes) view returns (uint256)"]);
      const data = oracle.encodeFunctionData("getL1Fee", [Transaction.from(sent!).unsignedSerialized]);
      const quoted = BigInt(await op.ethers.provider.call({ to: GAS_PRICE_ORACLE, data }));
      expect(quoted).to.equal(cost.l1Fee);
      await op.close();
    });
  });

  describe("the gas bench (bench/gas/registry.ts on each chain)", function () {
    /** The rows of one run, and the cost of every transaction it measured. */
    async function measure(chain: "l1" | "op") {
      const hre = (await import("hardhat")).default;
      const costs: TxCost[] = [];
      recordCosts((cost) => costs.push(cost));
      try {
        return { rows: await registryGas(hre, chain), costs };
      } finally {
        recordCosts(undefined);
      }
    }

    it("measures every call on the OP Stack simulation with its L2 gas and an L1 data fee, and none on L1", async function () {
      const l1 = await measure("l1");
      const op = await measure("op");
      expect(l1.costs.length).to.be.greaterThan(0);
      expect(l1.costs.every((c) => c.l1Fee === 0n && c.l1DataGas === 0n)).to.equal(true);
      expect(op.rows.map((r) => r.call)).to.deep.equal(l1.rows.map((r) => r.call));
      for (const row of op.rows) {
        const cost = op.costs.find((c) => c.gas === (row.batch?.total ?? row.gas));
        expect(cost, `${row.contract}.${row.call}`).to.not.equal(undefined);
        expect(cost!.l1Fee > 0n, `${row.contract}.${row.call}: L1 data fee`).to.equal(true);
        expect(cost!.l1DataGas >= 1_600n, `${row.contract}.${row.call}: L1 data gas`).to.equal(true);
      }
    });
  });

  describe("overheadLines", function () {
    const cost = (gas: bigint, l1Fee = 0n) => ({ gas, l1Fee, l1DataGas: 0n });
    const costs = {
      open: cost(170_000n, 10n ** 11n),
      close: cost(80_000n, 10n ** 11n),
      renew: cost(150_000n, 10n ** 11n),
      collect: cost(60_000n, 10n ** 11n),
      withdraw: cost(60_000n),
      forward: cost(100_000n),
      checkIn: cost(30_000n),
    };

    it("prices each lease action once per lease, per GPU, against the lease's revenue", function () {
      const p = overheadParameters({});
      const hourly = overheadLines("l1", SETUPS[0]!, costs, { label: "1 h", leaseHours: 1 }, p);
      const daily = overheadLines("l1", SETUPS[0]!, costs, { label: "24 h", leaseHours: 24 }, p);
      // The first line is the customer's open.
      const open = (r: typeof hourly) => r.lines[0]!;
      expect(open(hourly).perHour).to.equal(SETUPS[0]!.nodes);
      near(open(daily).usdPerGpuHour * 24, open(hourly).usdPerGpuHour, 1e-12);
      near(open(hourly).percentOfRevenue, (100 * open(hourly).usdPerGpuHour) / hourly.revenuePerGpuHour, 1e-9);
    });

    it("prices renewed terms as one open and one close a stay and a renewal for every other term", function () {
      const p = overheadParameters({});
      const renewed = overheadLines("l1", SETUPS[0]!, costs, { label: "1 h renewed", leaseHours: 1, stayHours: 24 }, p);
      const perHour = Object.fromEntries(renewed.lines.map((l) => [l.item.split(" ")[0], l.perHour]));
      expect(perHour).to.deep.include({ lease: 1 / 24, renewal: 23 / 24, "provider's": 1 / 24 });
      const hourly = overheadLines("l1", SETUPS[0]!, costs, { label: "1 h", leaseHours: 1 }, p);
      expect(hourly.lines.map((l) => l.item)).to.not.include("renewal with the next quote (customer)");
    });

    it("adds the L1 data fee on the OP Stack at the L2 gas price", function () {
      const p = overheadParameters({ l2Gwei: "0.001" });
      const op = overheadLines("op", SETUPS[0]!, costs, { label: "1 h", leaseHours: 1 }, p).lines;
      const paid = op.filter((l) => l.l1DataUsdPerGpuHour > 0);
      expect(paid.length).to.be.greaterThan(0);
      for (const line of paid) expect(line.usdPerGpuHour).to.be.greaterThan(line.l1DataUsdPerGpuHour);
    });

    it("reverts when an option is not a positive number, naming it", function () {
      expect(() => overheadParameters({ gutUsd: "free" })).to.throw(
        InputError,
        'bench overhead, field "--gut-usd": "free" is not a positive number',
      );
    });
  });
});

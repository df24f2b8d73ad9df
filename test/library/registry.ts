import { expect } from "chai";
import hre from "hardhat";

import { encodeBytes32String, parseUnits } from "ethers";

import { HardhatPluginError } from "@nomicfoundation/hardhat-errors";

import { InputError } from "../../src/errors.js";
import {
  NODE_TABLE_HEADER,
  connectRegistry,
  formatTable,
  formatTu,
  listNodes,
  modelId,
  modelName,
  nodeRows,
  parseStatus,
  parseTu,
  registerNode,
  checkIn,
} from "../../src/registry.js";
import { parseAmount, parseInteger } from "../../src/parse.js";

// The task tests run tasks through `hre.tasks`, which connect with `network.getOrCreate()`: the
// same cached in-process chain this file deploys to.
const { ethers, networkHelpers } = await hre.network.getOrCreate();
const { loadFixture } = networkHelpers;

async function deployWithNodes() {
  const [admin, alice, bob, poor] = await ethers.getSigners();
  const gut = await ethers.deployContract("GUT", [0n, admin.address, admin.address]);
  const registry = await ethers.deployContract("ProviderRegistry", [
    0n,
    admin.address,
    await gut.getAddress(),
    100n * 10n ** 18n,
    86_400n,
    86_400n,
    admin.address,
  ]);
  await registry.grantRole(await registry.ESCROW_ROLE(), admin.address);
  await gut.transfer(alice.address, 100_000n * 10n ** 18n);
  await gut.transfer(bob.address, 100_000n * 10n ** 18n);
  const token = await gut.getAddress();
  const params = (model: string, gpuCount: bigint) => ({
    model,
    gpuCount,
    pricePerTuHour: parseUnits("0.25", 18),
    paymentToken: token,
    uri: "u",
  });
  for (const [who, model, count] of [
    [alice, "V100", 1n],
    [bob, "Titan XP", 2n],
    [alice, "RTX 2080", 3n],
    [bob, "GTX 1080 Ti", 4n],
    [alice, "Titan V", 5n],
  ] as const) {
    await registerNode(registry, who, params(model, count), "test");
  }
  await registry.startLease(2n);
  await registry.connect(bob).goOffline(4n);
  return { gut, registry, admin, alice, bob, poor, params };
}

/** Asserts that `promise` rejects with an error of `type` whose message contains `text`. */
async function expectRejection(promise: Promise<unknown>, type: new (...args: never[]) => Error, text: string) {
  let error: unknown;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  expect(error, "no rejection").to.be.instanceOf(type);
  expect((error as Error).message).to.contain(text);
}

async function captureLog(body: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    await body();
  } finally {
    console.log = original;
  }
  return lines.join("\n");
}

describe("registry library", function () {
  describe("modelId and modelName", function () {
    it("round-trips a model name through its bytes32 id", function () {
      const id = modelId(" RTX 2080 Ti ", "t");
      expect(id).to.equal(encodeBytes32String("RTX 2080 Ti"));
      expect(modelName(id)).to.equal("RTX 2080 Ti");
    });

    it("shows an id that is not a padded string as hex", function () {
      const id = "0x" + "ff".repeat(32);
      expect(modelName(id)).to.equal(id);
    });

    it("refuses an empty name and one over 31 bytes", function () {
      expect(() => modelId("  ", "t")).to.throw(InputError, 't, field "model": the model name is empty');
      expect(() => modelId("x".repeat(32), "t")).to.throw(InputError, "32 bytes; at most 31 fit");
    });
  });

  describe("parsers", function () {
    it("parses and formats TU figures", function () {
      expect(parseTu("1.35", "t")).to.equal(1350n);
      expect(parseTu("2", "t")).to.equal(2000n);
      expect(formatTu(1350n)).to.equal("1.35");
      expect(formatTu(2000n)).to.equal("2");
      for (const bad of ["1.3505", "-1", "abc", ""]) expect(() => parseTu(bad, "t")).to.throw(InputError);
      expect(() => parseTu("0.000", "t")).to.throw(InputError, "above 0");
    });

    it("parses statuses by name, case-insensitively", function () {
      expect(parseStatus("disconnect", "t")).to.equal(4);
      expect(parseStatus("Idle", "t")).to.equal(1);
      expect(() => parseStatus("busy", "t")).to.throw(InputError, "is not one of None, Idle, Sharing");
    });

    it("parses whole numbers within bounds", function () {
      expect(parseInteger("t", "n", "12", 1n, 20n)).to.equal(12n);
      expect(() => parseInteger("t", "n", "1.5")).to.throw(InputError, "not a whole number");
      expect(() => parseInteger("t", "n", "0", 1n, 20n)).to.throw(InputError, "out of range (from 1 to 20)");
      expect(() => parseInteger("t", "n", "0", 1n)).to.throw(InputError, "out of range (at least 1)");
    });

    it("parses token amounts in the token's decimals", function () {
      expect(parseAmount("t", "price", "0.25", 6)).to.equal(250_000n);
      expect(() => parseAmount("t", "price", "0.1234567", 6)).to.throw(
        InputError,
        "has more than the token's 6 decimals",
      );
      expect(() => parseAmount("t", "price", "1e3", 6)).to.throw(InputError, "is not a decimal amount");
    });
  });

  describe("connectRegistry", function () {
    it("refuses a missing address, a malformed one and one without code", async function () {
      const [admin] = await ethers.getSigners();
      await expectRejection(connectRegistry("", admin!, "t"), InputError, "address is required");
      await expectRejection(connectRegistry("0x12", admin!, "t"), InputError, '"0x12" is not an address');
      await expectRejection(connectRegistry(admin!.address, admin!, "t"), InputError, "no contract at");
    });
  });

  describe("registerNode", function () {
    it("approves the stake, registers and returns the node id", async function () {
      const { registry, gut, alice, params } = await loadFixture(deployWithNodes);
      const { nodeId, stake } = await registerNode(registry, alice, params("V100", 2n), "t");
      expect(nodeId).to.equal(6n);
      expect(stake).to.equal(370n * 10n ** 18n);
      expect((await registry.node(nodeId)).stake).to.equal(stake);
      expect(await gut.allowance(alice.address, await registry.getAddress())).to.equal(0n);
    });

    it("refuses an unknown model, naming the catalogue", async function () {
      const { registry, alice, params } = await loadFixture(deployWithNodes);
      await expectRejection(
        registerNode(registry, alice, params("H100", 1n), "t"),
        InputError,
        '"H100" is not in the catalogue (GTX 1080 Ti, Titan XP',
      );
    });

    it("refuses a provider without enough GUT before sending anything", async function () {
      const { registry, poor, params } = await loadFixture(deployWithNodes);
      await expectRejection(
        registerNode(registry, poor, params("V100", 1n), "t"),
        InputError,
        `the node needs 185.0 GUT staked; ${poor.address} holds 0.0 GUT`,
      );
    });
  });

  describe("listNodes", function () {
    it("pages through every node, by status and by provider", async function () {
      const { registry, alice, bob } = await loadFixture(deployWithNodes);
      const ids = (nodes: { id: bigint }[]) => nodes.map((n) => n.id);
      expect(ids(await listNodes(registry, { pageSize: 2n }))).to.deep.equal([1n, 2n, 3n, 4n, 5n]);
      expect(ids(await listNodes(registry, { status: 1, pageSize: 2n }))).to.deep.equal([1n, 3n, 5n]);
      expect(ids(await listNodes(registry, { provider: alice.address, pageSize: 2n }))).to.deep.equal([1n, 3n, 5n]);
      expect(ids(await listNodes(registry, { provider: bob.address, status: 4, pageSize: 1n }))).to.deep.equal([4n]);
      const [first] = await listNodes(registry, { pageSize: 1n });
      expect([first!.model, first!.status, first!.milliTu]).to.deep.equal(["V100", "Idle", 1850n]);
    });
  });

  describe("nodeRows and formatTable", function () {
    it("renders status, TU, price and flags in aligned columns", async function () {
      const { registry, gut } = await loadFixture(deployWithNodes);
      const nodes = await listNodes(registry);
      const tokens = new Map([[await gut.getAddress(), { symbol: "GUT", decimals: 18 }]]);
      const table = formatTable(
        NODE_TABLE_HEADER,
        nodeRows(nodes, BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 5n, tokens),
      ).split("\n");
      expect(table[0]).to.match(/^id\s+status\s+model\s+GPUs\s+TU\s+price\/TU-h\s+provider\s+check-in\s+flags$/);
      expect(table[3]).to.match(/^2\s+Sharing\s+Titan XP\s+2\s+2\.22\s+0\.25 GUT\s+0x\w+\s+\d+s\s+engaged$/);
      expect(table).to.have.length(7);
    });
  });

  describe("checkIn", function () {
    it("checks in many nodes in bounded batches, brings a Disconnect node back, and sends nothing the registry refuses", async function () {
      const { registry, alice, bob } = await loadFixture(deployWithNodes);
      const before = await ethers.provider.getTransactionCount(alice.address);
      const { hashes, skipped } = await checkIn(registry, alice, [1n, 3n, 5n], { batch: 2 });
      expect(hashes).to.have.length(2);
      expect(skipped).to.deep.equal([]);
      expect(await ethers.provider.getTransactionCount(alice.address)).to.equal(before + 2);
      const latest = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
      expect((await registry.node(5n)).lastCheckIn).to.equal(latest);
      await expectRejection(checkIn(registry, alice, [4n]), Error, "NotNodeOperator");
      expect(await ethers.provider.getTransactionCount(alice.address)).to.equal(before + 2);
      await checkIn(registry, bob, [4n]);
      expect((await registry.node(4n)).status).to.equal(1n);
    });
  });

  describe("tasks", function () {
    it("nodes:list prints the nodes with status, TU and price", async function () {
      const { registry } = await loadFixture(deployWithNodes);
      const out = await captureLog(() =>
        hre.tasks.getTask("nodes:list").run({ registry: registry.target, status: "", provider: "" }),
      );
      expect(out).to.match(/\n4\s+Disconnect\s+GTX 1080 Ti\s+4\s+4\s+0\.25 GUT/);
      expect(out).to.contain("5 nodes");
    });

    it("node:offline refuses a Sharing node with one clear line and sends nothing", async function () {
      const { registry, alice } = await loadFixture(deployWithNodes);
      const before = await ethers.provider.getBlockNumber();
      await expectRejection(
        hre.tasks.getTask("node:offline").run({ registry: registry.target, account: alice.address, node: "2" }),
        HardhatPluginError,
        'node:offline, field "node": node 2 is Sharing; going offline needs Idle or Reserved',
      );
      expect(await ethers.provider.getBlockNumber()).to.equal(before);
    });

    it("node:register reports terms the registry refuses in one decoded line, before any approval", async function () {
      const { registry, gut, alice } = await loadFixture(deployWithNodes);
      const before = await ethers.provider.getBlockNumber();
      await expectRejection(
        hre.tasks.getTask("node:register").run({
          registry: registry.target,
          account: alice.address,
          model: "V100",
          gpus: "1",
          price: "0.25",
          token: gut.target,
          uri: "x".repeat(600),
        }),
        HardhatPluginError,
        "node:register: the contract refused: UriTooLong: length 600, max 512",
      );
      expect(await ethers.provider.getBlockNumber()).to.equal(before);
      expect(await gut.allowance(alice.address, registry.target)).to.equal(0n);
    });

    it("node:register prints the amounts of a refused stake in the stake token's units", async function () {
      const { admin, alice } = await loadFixture(deployWithNodes);
      // A stake token that burns 1 % of every transfer: the registry refuses a stake that arrives short.
      const fee = await ethers.deployContract("MockFeeOnTransferERC20");
      const staking = await ethers.deployContract("ProviderRegistry", [
        0n,
        admin.address,
        fee.target,
        100n * 10n ** 18n,
        86_400n,
        86_400n,
        admin.address,
      ]);
      await fee.mint(alice.address, 1_000n * 10n ** 18n);
      await expectRejection(
        hre.tasks.getTask("node:register").run({
          registry: staking.target,
          account: alice.address,
          model: "V100",
          gpus: "1",
          price: "0.25",
          token: fee.target,
          uri: "u",
        }),
        HardhatPluginError,
        `node:register: the contract refused: TransferMismatch: token ${String(fee.target)}, expected 185.0 FEE, received 183.15 FEE (the token moved a different amount than asked: fee-on-transfer tokens are not supported)`,
      );
    });

    it("node:checkin brings a Disconnect node back to Idle", async function () {
      const { registry, bob } = await loadFixture(deployWithNodes);
      const out = await captureLog(() =>
        hre.tasks.getTask("node:checkin").run({ registry: registry.target, account: bob.address, nodes: "4" }),
      );
      expect(out).to.match(/^checked in node 4 \(0x[0-9a-f]{64}\); back to Idle: 4$/);
      expect((await registry.node(4n)).status).to.equal(1n);
    });
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { network } from "hardhat";

import type { BaseContract } from "ethers";

import { deployLocalSystem } from "../../deploy/local.js";
import { abiHash, getContracts, parseAddressBook, type AddressBook } from "../../src/deployments.js";
import { loadAddressBook, writeAddressBook } from "../../src/deployments-fs.js";
import { InputError } from "../../src/errors.js";
import { escrowDomain, signQuote, signReceipt, type Quote } from "../../src/market/typed-data.js";
import { signPermit } from "../../src/permit.js";
import { mined, receiptEvent } from "../../src/receipts.js";
import { executeOperation, GOVERNED_CONTRACTS, handoverOperation, scheduleOperation } from "../../src/governance.js";
import { buildTree } from "../../src/airdrop/merkle/tree.js";
import { LeafKind } from "../../src/airdrop/merkle/proof.js";
import { systemParameters, type ModuleParameters } from "../../deploy/system-parameters.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture } = networkHelpers;

const UNIT = 10n ** 18n;
const PREMINE = 50_100_000n * UNIT;
const RESERVE = 350_000_000n * UNIT;

async function deployedSystem() {
  const [deployer, admin, keeper, alice, bob] = await ethers.getSigners();
  const tree = await buildTree([
    { kind: LeafKind.Evm, holder: alice!.address, amount: 1_000n * UNIT },
    { kind: LeafKind.Evm, holder: bob!.address, amount: 2_500n * UNIT },
  ]);
  const { contracts, book } = await deployLocalSystem(connection, {
    root: tree.root,
    total: tree.total.toString(),
    topNodes: tree.topNodes,
  });
  return { ...contracts, book, tree, deployer: deployer!, admin: admin!, keeper: keeper!, alice: alice!, bob: bob! };
}

type System = Awaited<ReturnType<typeof deployedSystem>>;

/** Every `bytes32 X_ROLE()` view of a contract, and DEFAULT_ADMIN_ROLE, by name. */
async function rolesOf(contract: BaseContract): Promise<Map<string, string>> {
  const roles = new Map<string, string>();
  for (const fragment of contract.interface.fragments) {
    if (fragment.type !== "function") continue;
    const name = (fragment as unknown as { name: string; inputs: unknown[] }).name;
    if (!name.endsWith("_ROLE") || (fragment as unknown as { inputs: unknown[] }).inputs.length > 0) continue;
    roles.set(name, (await contract.getFunction(name)()) as string);
  }
  return roles;
}

/** Who among the accounts and contracts of the system holds each role of each contract. */
async function roleTable(s: System): Promise<Record<string, Record<string, string[]>>> {
  const signers = await ethers.getSigners();
  const candidates = new Map<string, string>([
    [s.deployer.address, "deployer"],
    [s.admin.address, "admin"],
    [s.keeper.address, "keeper"],
  ]);
  for (const [i, signer] of signers.entries())
    if (!candidates.has(signer.address)) candidates.set(signer.address, `#${i}`);
  for (const name of ["gut", "tft", "registry", "escrow", "emission", "distributor", "timelock"] as const) {
    candidates.set(await s[name].getAddress(), name);
  }
  const table: Record<string, Record<string, string[]>> = {};
  for (const name of ["gut", "registry", "escrow", "emission", "distributor"] as const) {
    const contract = s[name];
    table[name] = {};
    for (const [role, id] of await rolesOf(contract)) {
      const holders: string[] = [];
      for (const [address, label] of candidates) {
        if ((await contract.getFunction("hasRole")(id, address)) as boolean) holders.push(label);
      }
      table[name][role] = holders;
    }
  }
  return table;
}

describe("System", function () {
  describe("deployment", function () {
    it("wires the registry and the emission to the escrow, fees to the emission", async function () {
      const s = await loadFixture(deployedSystem);
      expect(await s.escrow.feeCollector()).to.equal(await s.emission.getAddress());
      expect(await s.escrow.registry()).to.equal(await s.registry.getAddress());
      expect(await s.registry.gut()).to.equal(await s.gut.getAddress());
      expect(await s.emission.tft()).to.equal(await s.tft.getAddress());
      expect((await s.escrow.paymentToken(await s.gut.getAddress())).allowed).to.equal(true);
      expect(await s.emission.router()).to.equal(s.book.uniswap.router);
    });

    it("deploys the market's session terms and names the treasury for failed reservations' penalties", async function () {
      const s = await loadFixture(deployedSystem);
      expect(await s.registry.checkInPeriod()).to.equal(86_400n);
      expect(await s.registry.treasury()).to.equal(s.deployer.address);
      expect(await s.escrow.maxQuoteAge()).to.equal(600n);
      expect(await s.escrow.collectWindow()).to.equal(3_600n);
      expect(await s.escrow.acceptWindow()).to.equal(600n);
    });

    it("runs a lease through the deployed contracts: quote, permitted deposit, receipt, collect, close, fee to the emission", async function () {
      const s = await loadFixture(deployedSystem);
      const [, , , , , provider, operator, customer] = await ethers.getSigners();
      const [gut, escrow, registry, emission] = [s.gut, s.escrow, s.registry, s.emission];
      const [gutAddress, escrowAddress] = [await gut.getAddress(), await escrow.getAddress()];
      await gut.connect(s.deployer).transfer(provider!.address, 1_000n * UNIT);
      await gut.connect(s.deployer).transfer(customer!.address, 100n * UNIT);
      await gut.connect(provider!).approve(await registry.getAddress(), 100n * UNIT);
      const model = `0x${Buffer.from("GTX 1080 Ti").toString("hex").padEnd(64, "0")}`;
      await registry.connect(provider!).register(model, 1n, 36n * 10n ** 17n, gutAddress, "https://node");
      await registry.connect(provider!).setOperator(operator!.address);
      const nodeId = await registry.nodeCount();
      const domain = escrowDomain((await ethers.provider.getNetwork()).chainId, escrowAddress);
      const now = BigInt(await networkHelpers.time.latest());
      const quote: Quote = {
        nodeId,
        customer: customer!.address,
        token: gutAddress,
        pricePerTuHour: 36n * 10n ** 17n,
        windowStart: 0n,
        windowDuration: 0n,
        expiry: now + 600n,
        nonce: 1n,
      };
      const session = ethers.Wallet.createRandom();
      const deposit = 10n * UNIT;
      const permit = await signPermit(gut, customer!, escrowAddress, deposit, now + 600n);
      await escrow
        .connect(customer!)
        .multicall([
          escrow.interface.encodeFunctionData("selfPermit", [
            gutAddress,
            deposit,
            now + 600n,
            permit.v,
            permit.r,
            permit.s,
          ]),
          escrow.interface.encodeFunctionData("openLease", [
            quote,
            await signQuote(operator!, domain, quote),
            deposit,
            session.address,
          ]),
        ]);
      const leaseId = await escrow.leaseCount();
      const start = (await escrow.lease(leaseId)).start;
      // 1 TU at 3.6 GUT an hour is 0.001 GUT a second; an hour signed for is 3.6 GUT.
      await networkHelpers.time.increase(3_600);
      const signature = await signReceipt(session, domain, { leaseId, paidThrough: start + 3_600n });
      await escrow.connect(operator!).closeLease(leaseId, start + 3_600n, signature);
      const paid = 36n * 10n ** 17n;
      const fee = (paid * 500n) / 10_000n;
      expect(await gut.balanceOf(customer!.address)).to.equal(100n * UNIT - paid);
      expect(await escrow.earnings(provider!.address, gutAddress)).to.equal(paid - fee);
      expect(await escrow.feesDue(provider!.address, gutAddress)).to.equal(fee);
      const forwarded = await mined(escrow.connect(s.keeper).forwardFees(gutAddress, [provider!.address]));
      expect(receiptEvent(emission, forwarded, "FeeRecorded").args.fee).to.equal(fee);
      expect(await gut.balanceOf(await emission.getAddress())).to.equal(fee);
    });

    it("funds the emission's reserve from TFT's reserve holder", async function () {
      const s = await loadFixture(deployedSystem);
      expect(await s.emission.reserveLeft()).to.equal(RESERVE);
      expect(await s.tft.balanceOf(await s.emission.getAddress())).to.equal(RESERVE);
      expect(await s.tft.balanceOf(s.deployer.address)).to.equal(650_000_000n * UNIT);
      expect(await s.emission.phase()).to.equal(1n);
    });

    it("mints exactly the tree's total to the distributor and activates it", async function () {
      const s = await loadFixture(deployedSystem);
      const distributor = await s.distributor.getAddress();
      expect(await s.distributor.merkleRoot()).to.equal(s.tree.root);
      expect(await s.distributor.total()).to.equal(s.tree.total);
      expect(await s.gut.balanceOf(distributor)).to.equal(s.tree.total);
      expect(await s.gut.totalMinted()).to.equal(PREMINE + s.tree.total);
      expect(await s.gut.totalSupply()).to.equal(PREMINE + s.tree.total);
      expect(await s.distributor.activated()).to.equal(true);
    });

    it("puts governance roles behind the timelock, operational ones with their holders, the admin pending to the timelock", async function () {
      const s = await loadFixture(deployedSystem);
      expect(await roleTable(s)).to.deep.equal({
        gut: { DEFAULT_ADMIN_ROLE: ["deployer"], MINTER_ROLE: [] },
        registry: {
          DEFAULT_ADMIN_ROLE: ["deployer"],
          ESCROW_ROLE: ["escrow"],
          CATALOG_ROLE: ["timelock"],
          AUDITOR_ROLE: ["admin"],
        },
        escrow: { DEFAULT_ADMIN_ROLE: ["deployer"], PAUSER_ROLE: ["timelock"] },
        emission: { DEFAULT_ADMIN_ROLE: ["deployer"], KEEPER_ROLE: ["keeper"], ESCROW_ROLE: ["escrow"] },
        distributor: { DEFAULT_ADMIN_ROLE: ["deployer"], PAUSER_ROLE: ["timelock"] },
      });
      for (const name of GOVERNED_CONTRACTS) {
        const [pending] = await s[name].pendingDefaultAdmin();
        expect(pending, name).to.equal(await s.timelock.getAddress());
      }
    });

    it("deploys the timelock with the local delay 0 and admin as its proposer and executor", async function () {
      const s = await loadFixture(deployedSystem);
      const t = s.timelock;
      expect(await t.getMinDelay()).to.equal(0n);
      for (const role of [await t.PROPOSER_ROLE(), await t.EXECUTOR_ROLE(), await t.CANCELLER_ROLE()]) {
        expect(await t.hasRole(role, s.admin.address)).to.equal(true);
        expect(await t.hasRole(role, s.deployer.address)).to.equal(false);
      }
      expect(await t.hasRole(await t.DEFAULT_ADMIN_ROLE(), s.deployer.address)).to.equal(false);
      expect(s.book.contracts.timelock).to.equal(await t.getAddress());
    });

    it("hands every contract to the timelock once governance executes the handover, and the deployer holds nothing", async function () {
      const s = await loadFixture(deployedSystem);
      const timelock = s.timelock.connect(s.admin);
      const handover = await handoverOperation(s);
      await scheduleOperation(timelock, handover);
      await networkHelpers.time.increase(1);
      await executeOperation(timelock, handover);
      const table = await roleTable(s);
      for (const [contract, roles] of Object.entries(table)) {
        for (const [role, holders] of Object.entries(roles)) {
          expect(holders, `${contract}.${role}`).to.not.include("deployer");
        }
        expect(roles.DEFAULT_ADMIN_ROLE, contract).to.deep.equal(["timelock"]);
      }
    });

    it("lets holders claim the airdrop it funded", async function () {
      const s = await loadFixture(deployedSystem);
      await s.distributor.claim(1, s.bob.address, 2_500n * UNIT, s.tree.shortProof(1));
      expect(await s.gut.balanceOf(s.bob.address)).to.equal(2_500n * UNIT);
    });
  });

  describe("systemParameters", function () {
    const dir = mkdtempSync(path.join(tmpdir(), "gpufog-params-"));
    const deployer = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    const admin = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const keeper = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
    const airdrop = { root: `0x${"11".repeat(32)}`, total: "1000", topNodes: [] };
    const write = (content: unknown) => {
      const file = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, JSON.stringify(content));
      return file;
    };
    const attempt =
      (content: unknown, local = true) =>
      () =>
        systemParameters({ file: write(content), deployer, local, now: 1_000n, airdrop });

    it("fills the airdrop and, on a local chain, a claim window from now", function () {
      const params = attempt({ GUT: { adminDelay: "0n" }, System: { admin, keeper } })();
      expect(params.GUT).to.deep.equal({ adminDelay: 0n });
      expect(params.System!.timelockDelay).to.equal(0n);
      expect(params.TokenSwap).to.deep.include({ merkleRoot: airdrop.root, total: 1000n, start: 1_000n });
      expect(params.TokenSwap!.deadline).to.equal(1_000n + 180n * 86_400n);
    });

    it("reads the network files of the repository", function () {
      for (const network of ["hardhat", "localhost"]) {
        const params = systemParameters({
          file: `deploy/parameters/${network}.json`,
          deployer,
          local: true,
          now: 1n,
          airdrop,
        });
        expect(params.System).to.deep.equal({ admin, keeper, timelockDelay: 0n });
      }
    });

    it("refuses a contract module's own admin", function () {
      expect(attempt({ GUT: { admin }, System: { admin, keeper } })).to.throw(InputError, 'field "GUT.admin"');
    });

    it("refuses a missing admin or keeper, or the deployer as either", function () {
      expect(attempt({ System: { keeper } })).to.throw(InputError, 'field "System.admin": is required');
      expect(attempt({ System: { admin: deployer, keeper } })).to.throw(
        InputError,
        "must not be the deploying account",
      );
      expect(attempt({ System: { admin, keeper: "0x12" } })).to.throw(
        InputError,
        '"System.keeper": 0x12 is not an address',
      );
    });

    it("requires every address and the window on a public network", function () {
      expect(attempt({ System: { admin, keeper } }, false)).to.throw(InputError, '"GUT.treasury": is required');
      const sepolia = () =>
        systemParameters({ file: "deploy/parameters/sepolia.json", deployer, local: false, now: 1n, airdrop });
      expect(sepolia).to.throw(InputError, "is not an address");
    });

    it("requires the penalty treasury on a public network, and durations as seconds", function () {
      const complete = {
        System: { admin, keeper, timelockDelay: "172800n" },
        GUT: { treasury: admin },
        TFT: { circulatingRecipient: admin },
        BuybackEmission: { treasury: admin, router: admin },
        TokenSwap: { sweepTarget: admin, start: "100n", deadline: "200n" },
      };
      expect(attempt(complete, false)).to.throw(InputError, '"ProviderRegistry.treasury": is required');
      const withTreasury = { ...complete, ProviderRegistry: { treasury: admin } };
      expect(attempt({ ...withTreasury, LeaseEscrow: { collectWindow: 3600 } }, false)).to.throw(
        InputError,
        '"LeaseEscrow.collectWindow": must be seconds',
      );
      const params = attempt({ ...withTreasury, LeaseEscrow: { collectWindow: "7200n" } }, false)();
      expect(params.LeaseEscrow).to.deep.equal({ collectWindow: 7_200n });
      for (const network of ["sepolia", "opSepolia", "custom"]) {
        const file = JSON.parse(readFileSync(`deploy/parameters/${network}.json`, "utf8")) as ModuleParameters;
        expect(file.ProviderRegistry!.treasury, network).to.match(/^<set: /);
        expect(file.ProviderRegistry!.checkInPeriod, network).to.equal("86400n");
      }
    });

    it("requires a timelock delay above 0 on a public network", function () {
      const sepolia = JSON.parse(readFileSync("deploy/parameters/sepolia.json", "utf8")) as ModuleParameters;
      expect(sepolia.System!.timelockDelay).to.equal(`${2n * 86_400n}n`);
      const complete = {
        System: { admin, keeper },
        GUT: { treasury: admin },
        ProviderRegistry: { treasury: admin },
        TFT: { circulatingRecipient: admin },
        BuybackEmission: { treasury: admin, router: admin },
        TokenSwap: { sweepTarget: admin, start: "100n", deadline: "200n" },
      };
      expect(attempt(complete, false)).to.throw(InputError, '"System.timelockDelay": is required on a public network');
      expect(attempt({ ...complete, System: { admin, keeper, timelockDelay: "0n" } }, false)).to.throw(
        InputError,
        '"System.timelockDelay": must be above 0',
      );
      expect(attempt({ ...complete, System: { admin, keeper, timelockDelay: 5 } })).to.throw(
        InputError,
        '"System.timelockDelay": must be seconds',
      );
      const params = attempt({ ...complete, System: { admin, keeper, timelockDelay: "172800n" } }, false)();
      expect(params.System!.timelockDelay).to.equal(172_800n);
    });

    it("refuses a root both in the file and in the airdrop, and an empty window", function () {
      expect(attempt({ System: { admin, keeper }, TokenSwap: { merkleRoot: airdrop.root } })).to.throw(
        InputError,
        "set both here and by the airdrop manifest",
      );
      expect(attempt({ System: { admin, keeper }, TokenSwap: { start: "100n", deadline: "100n" } })).to.throw(
        InputError,
        "must be after start",
      );
    });

    it("refuses a file that is not JSON", function () {
      const file = path.join(dir, "broken.json");
      writeFileSync(file, "{ nope");
      expect(() => systemParameters({ file, deployer, local: true, now: 1n, airdrop })).to.throw(
        InputError,
        "cannot be read as JSON",
      );
    });
  });

  describe("address book", function () {
    const dir = mkdtempSync(path.join(tmpdir(), "gpufog-book-"));

    it("round-trips through deployments/<chainId>.json and gives typed contracts", async function () {
      const s = await loadFixture(deployedSystem);
      writeAddressBook(s.book, dir);
      const book = loadAddressBook(31337, dir);
      expect(book).to.deep.equal(s.book);
      expect(book.abiHash).to.equal(abiHash());
      for (const [name, address] of Object.entries(book.contracts)) {
        const created = book.blocks[name as keyof typeof book.blocks];
        expect(created, name).to.be.at.least(book.block);
        expect(await ethers.provider.getCode(address, created), name).to.not.equal("0x");
        expect(await ethers.provider.getCode(address, created - 1), name).to.equal("0x");
      }
      const contracts = getContracts(loadAddressBook(31337, dir), ethers.provider);
      expect(await contracts.registry.getAddress()).to.equal(await s.registry.getAddress());
      expect(await contracts.gut.symbol()).to.equal("GUT");
      expect(await contracts.distributor.total()).to.equal(s.tree.total);
    });

    it("says which book is missing", function () {
      expect(() => loadAddressBook(11155111, dir)).to.throw(InputError, "no address book for chain 11155111");
    });

    describe("refuses a malformed book", function () {
      const good = (): AddressBook => ({
        format: "gpufog-deployments-v1",
        chainId: 5,
        network: "test",
        deploymentId: "chain-5",
        block: 7,
        blocks: { gut: 7, tft: 8, registry: 9, escrow: 10, emission: 11, distributor: 12, timelock: 13 },
        abiHash: abiHash(),
        contracts: {
          gut: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
          tft: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
          registry: "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
          escrow: "0xA51c1fc2f0D1a1b8494Ed1FE312d7C3a78Ed91C0",
          emission: "0x2279B7A0a67DB372996a5FaB50D91eAA73d2eBe6",
          distributor: "0x0165878A594ca255338adfa4d48449f69242Eb8F",
          timelock: "0x8A791620dd6260079BF849Dc5567aDC3F2FdC318",
        },
        uniswap: {
          router: "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853",
          factory: "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
        },
      });
      const parse = (book: unknown, chainId?: number) => () =>
        parseAddressBook(JSON.stringify(book), "5.json", chainId);

      it("accepts a good one", function () {
        expect(parse(good(), 5)()).to.deep.equal(good());
      });

      it("not JSON", function () {
        expect(() => parseAddressBook("{", "5.json")).to.throw(InputError, "5.json: is not JSON");
      });

      it("another format", function () {
        expect(parse({ ...good(), format: "v0" })).to.throw(InputError, 'field "format"');
      });

      it("a missing or bad address", function () {
        const book = good() as unknown as { contracts: Record<string, unknown> };
        delete book.contracts.escrow;
        expect(parse(book)).to.throw(InputError, 'field "contracts.escrow": is missing');
        book.contracts.escrow = "0x1234";
        expect(parse(book)).to.throw(InputError, 'field "contracts.escrow": "0x1234" is not an address');
      });

      it("another chain than the file's", function () {
        expect(parse(good(), 6)).to.throw(InputError, 'field "chainId": is 5');
      });

      it("a bad block or ABI hash", function () {
        expect(parse({ ...good(), block: -1 })).to.throw(InputError, 'field "block"');
        expect(parse({ ...good(), abiHash: "0x12" })).to.throw(InputError, 'field "abiHash"');
      });

      it("a contract created before the deployment's block, or no block", function () {
        const early = { ...good(), blocks: { ...good().blocks, escrow: 6 } };
        expect(parse(early)).to.throw(InputError, 'field "blocks.escrow": is 6, before the deployment\'s block 7');
        const none = { ...good(), blocks: { ...good().blocks, tft: undefined } };
        expect(parse(none)).to.throw(InputError, 'field "blocks.tft"');
      });

      it("a book written before per-contract blocks: each contract at the deployment's block", function () {
        const { blocks, ...old } = good();
        expect(blocks.gut).to.equal(7);
        expect(parse(old)().blocks).to.deep.equal({
          gut: 7,
          tft: 7,
          registry: 7,
          escrow: 7,
          emission: 7,
          distributor: 7,
          timelock: 7,
        });
      });

      it("a book deployed with other ABIs than the bindings", function () {
        const book = { ...good(), abiHash: `0x${"ab".repeat(32)}` };
        expect(() => getContracts(book, ethers.provider)).to.throw(InputError, "is not the ABI hash");
        expect(() => getContracts(book, ethers.provider, { allowAbiMismatch: true })).to.not.throw();
      });
    });
  });
});

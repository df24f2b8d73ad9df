import { expect } from "chai";
import { network } from "hardhat";

import { decodeBytes32String, encodeBytes32String } from "ethers";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const GUT_UNIT = 10n ** 18n;
const MIN_STAKE_PER_TU = 100n * GUT_UNIT;
const CHECK_IN_PERIOD = 86_400n;
const UNBONDING = 7n * 24n * 3600n;

const Status = { None: 0n, Idle: 1n, Sharing: 2n, Reserved: 3n, Disconnect: 4n } as const;
const RTX_2080_TI = encodeBytes32String("RTX 2080 Ti");
const V100 = encodeBytes32String("V100");
const PRICE = 2n * 10n ** 17n;
const URI = "https://node.example/gpu-1";

async function deployRegistry() {
  const [admin, escrow, catalog, auditor, alice, bob, keeper, customer, treasury] = await ethers.getSigners();
  const gut = await ethers.deployContract("GUT", [0n, admin.address, admin.address]);
  const payment = await ethers.deployContract("MockERC20", ["USD Coin", "USDC", 6]);
  const registry = await ethers.deployContract("ProviderRegistry", [
    0n,
    admin.address,
    await gut.getAddress(),
    MIN_STAKE_PER_TU,
    CHECK_IN_PERIOD,
    UNBONDING,
    treasury.address,
  ]);
  await registry.grantRole(await registry.ESCROW_ROLE(), escrow.address);
  await registry.grantRole(await registry.CATALOG_ROLE(), catalog.address);
  await registry.grantRole(await registry.AUDITOR_ROLE(), auditor.address);
  for (const p of [alice, bob]) {
    await gut.transfer(p.address, 1_000_000n * GUT_UNIT);
    await gut.connect(p).approve(await registry.getAddress(), ethers.MaxUint256);
  }
  return { gut, payment, registry, admin, escrow, catalog, auditor, alice, bob, keeper, customer, treasury };
}

/** Alice's node 1: 4 × RTX 2080 Ti = 5.4 TU, Idle. */
async function deployWithNode() {
  const f = await deployRegistry();
  await f.registry.connect(f.alice).register(RTX_2080_TI, 4, PRICE, await f.payment.getAddress(), URI);
  return { ...f, nodeId: 1n, stake: (MIN_STAKE_PER_TU * 5_400n) / 1_000n };
}

async function nodeIn(status: bigint) {
  const f = await deployWithNode();
  const { registry, escrow, alice, nodeId } = f;
  if (status === Status.Sharing) await registry.connect(escrow).startLease(nodeId);
  if (status === Status.Reserved) await registry.connect(escrow).holdForReservation(nodeId);
  if (status === Status.Disconnect) await registry.connect(alice).goOffline(nodeId);
  if (status === Status.None) {
    await registry.connect(alice).goOffline(nodeId);
    await registry.connect(alice).deregister(nodeId);
  }
  return f;
}
const idleNode = () => nodeIn(Status.Idle);
const sharingNode = () => nodeIn(Status.Sharing);
const reservedNode = () => nodeIn(Status.Reserved);
const disconnectNode = () => nodeIn(Status.Disconnect);
const deregisteredNode = () => nodeIn(Status.None);

/** A node the escrow holds (Reserved) that a keeper marked Disconnect after its check-in went stale. */
async function engagedDisconnectNode() {
  const f = await reservedNode();
  await time.increase(CHECK_IN_PERIOD + 1n);
  await f.registry.connect(f.keeper).markDisconnected(f.nodeId);
  return f;
}

const fixtures: Record<string, () => ReturnType<typeof deployWithNode>> = {
  Idle: idleNode,
  Sharing: sharingNode,
  Reserved: reservedNode,
  Disconnect: disconnectNode,
  None: deregisteredNode,
};

describe("ProviderRegistry", function () {
  describe("constructor", function () {
    it("sets the parameters, the stake token and emits each parameter", async function () {
      const { registry, gut } = await loadFixture(deployRegistry);
      expect(await registry.gut()).to.equal(await gut.getAddress());
      expect(await registry.minStakePerTu()).to.equal(MIN_STAKE_PER_TU);
      expect(await registry.checkInPeriod()).to.equal(CHECK_IN_PERIOD);
      expect(await registry.unbondingPeriod()).to.equal(UNBONDING);
      expect(await registry.treasury()).to.equal((await ethers.getSigners())[8]!.address);
      const tx = registry.deploymentTransaction()!;
      await expect(tx).to.emit(registry, "MinStakePerTuSet").withArgs(MIN_STAKE_PER_TU);
      await expect(tx).to.emit(registry, "CheckInPeriodSet").withArgs(CHECK_IN_PERIOD);
      await expect(tx).to.emit(registry, "UnbondingPeriodSet").withArgs(UNBONDING);
      await expect(tx)
        .to.emit(registry, "TreasurySet")
        .withArgs((await ethers.getSigners())[8]!.address);
    });

    it("seeds the catalogue with DESIGN.md's seven ratings", async function () {
      const { registry } = await loadFixture(deployRegistry);
      const [ids, entries] = await registry.catalog();
      const seeded = Object.fromEntries(ids.map((id, i) => [decodeBytes32String(id), entries[i]!.milliTu]));
      expect(seeded).to.deep.equal({
        "GTX 1080 Ti": 1000n,
        "Titan XP": 1110n,
        V100: 1850n,
        "Titan V": 1410n,
        "Titan RTX": 1550n,
        "RTX 2080": 990n,
        "RTX 2080 Ti": 1350n,
      });
      expect(entries.every((e) => !e.retired)).to.equal(true);
      await expect(registry.deploymentTransaction()!).to.emit(registry, "ModelRated").withArgs(V100, 1850n);
    });

    it("reverts when the stake token is the zero address", async function () {
      const [admin] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("ProviderRegistry");
      await expect(factory.deploy(0n, admin.address, ethers.ZeroAddress, 1n, CHECK_IN_PERIOD, UNBONDING, admin.address))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("gut");
      await expect(factory.deploy(0n, admin.address, admin.address, 1n, CHECK_IN_PERIOD, UNBONDING, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(factory, "ZeroAddress")
        .withArgs("treasury");
    });

    it("reverts when a parameter is out of bounds", async function () {
      const [admin] = await ethers.getSigners();
      const factory = await ethers.getContractFactory("ProviderRegistry");
      await expect(factory.deploy(0n, admin.address, admin.address, 1n, 3_599n, UNBONDING, admin.address))
        .to.be.revertedWithCustomError(factory, "ParameterOutOfRange")
        .withArgs("checkInPeriod", 3_599n, 3_600n, 7n * 86_400n);
    });
  });

  describe("parameter setters", function () {
    const cases = [
      {
        setter: "setMinStakePerTu",
        name: "minStakePerTu",
        event: "MinStakePerTuSet",
        min: 1n,
        max: 1_000_000n * GUT_UNIT,
      },
      {
        setter: "setCheckInPeriod",
        name: "checkInPeriod",
        event: "CheckInPeriodSet",
        min: 3_600n,
        max: 7n * 86400n,
      },
      {
        setter: "setUnbondingPeriod",
        name: "unbondingPeriod",
        event: "UnbondingPeriodSet",
        min: 86400n,
        max: 365n * 86400n,
      },
    ] as const;

    for (const c of cases) {
      describe(c.setter, function () {
        it("sets both bounds and emits", async function () {
          const { registry } = await loadFixture(deployRegistry);
          for (const v of [c.min, c.max]) {
            await expect(registry[c.setter](v)).to.emit(registry, c.event).withArgs(v);
            expect(await registry[c.name]()).to.equal(v);
          }
        });

        it("reverts when the value is above the maximum", async function () {
          const { registry } = await loadFixture(deployRegistry);
          await expect(registry[c.setter](c.max + 1n))
            .to.be.revertedWithCustomError(registry, "ParameterOutOfRange")
            .withArgs(c.name, c.max + 1n, c.min, c.max);
        });

        if (c.min > 0n) {
          it("reverts when the value is below the minimum", async function () {
            const { registry } = await loadFixture(deployRegistry);
            await expect(registry[c.setter](c.min - 1n))
              .to.be.revertedWithCustomError(registry, "ParameterOutOfRange")
              .withArgs(c.name, c.min - 1n, c.min, c.max);
          });
        }

        it("reverts when the caller is not the admin", async function () {
          const { registry, catalog } = await loadFixture(deployRegistry);
          await expect(registry.connect(catalog)[c.setter](c.min))
            .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
            .withArgs(catalog.address, ethers.ZeroHash);
        });
      });
    }
  });

  describe("setTreasury", function () {
    it("sets the treasury, only for the admin, and never to zero", async function () {
      const { registry, keeper, catalog } = await loadFixture(deployRegistry);
      await expect(registry.setTreasury(keeper.address)).to.emit(registry, "TreasurySet").withArgs(keeper.address);
      expect(await registry.treasury()).to.equal(keeper.address);
      await expect(registry.setTreasury(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "ZeroAddress")
        .withArgs("treasury");
      await expect(registry.connect(catalog).setTreasury(catalog.address))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(catalog.address, ethers.ZeroHash);
    });
  });

  describe("setModel", function () {
    it("adds a model, lists it once and emits ModelRated", async function () {
      const { registry, catalog } = await loadFixture(deployRegistry);
      const a100 = encodeBytes32String("A100");
      await expect(registry.connect(catalog).setModel(a100, 3_000n))
        .to.emit(registry, "ModelRated")
        .withArgs(a100, 3_000n);
      await registry.connect(catalog).setModel(a100, 3_100n);
      const [ids] = await registry.catalog();
      expect(ids.filter((id) => id === a100)).to.have.length(1);
      expect((await registry.gpuModel(a100)).milliTu).to.equal(3_100n);
    });

    it("re-rates a model without changing nodes already registered", async function () {
      const { registry, catalog, nodeId } = await loadFixture(idleNode);
      await registry.connect(catalog).setModel(RTX_2080_TI, 2_000n);
      expect((await registry.node(nodeId)).milliTu).to.equal(5_400n);
    });

    it("reverts when the model id is zero", async function () {
      const { registry, catalog } = await loadFixture(deployRegistry);
      await expect(registry.connect(catalog).setModel(ethers.ZeroHash, 1n)).to.be.revertedWithCustomError(
        registry,
        "ZeroModel",
      );
    });

    it("reverts when the rating is zero or above the maximum", async function () {
      const { registry, catalog } = await loadFixture(deployRegistry);
      for (const r of [0n, 1_000_001n]) {
        await expect(registry.connect(catalog).setModel(V100, r))
          .to.be.revertedWithCustomError(registry, "RatingOutOfRange")
          .withArgs(r, 1_000_000n);
      }
    });

    it("reverts when the caller lacks CATALOG_ROLE", async function () {
      const { registry, admin } = await loadFixture(deployRegistry);
      await expect(registry.setModel(V100, 1n))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, await registry.CATALOG_ROLE());
    });
  });

  describe("setModelRetired", function () {
    it("retires a model: no new nodes, existing ones keep working", async function () {
      const { registry, catalog, alice, payment, nodeId } = await loadFixture(idleNode);
      await expect(registry.connect(catalog).setModelRetired(RTX_2080_TI, true))
        .to.emit(registry, "ModelRetirementChanged")
        .withArgs(RTX_2080_TI, true);
      await expect(registry.connect(alice).register(RTX_2080_TI, 1, PRICE, await payment.getAddress(), URI))
        .to.be.revertedWithCustomError(registry, "RetiredModel")
        .withArgs(RTX_2080_TI);
      await registry.connect(alice).checkIn([nodeId]);
      await registry.connect(alice).update(nodeId, PRICE + 1n, URI);
      expect((await registry.node(nodeId)).status).to.equal(Status.Idle);
    });

    it("reinstates a retired model", async function () {
      const { registry, catalog, alice, payment } = await loadFixture(deployRegistry);
      await registry.connect(catalog).setModelRetired(V100, true);
      await registry.connect(catalog).setModelRetired(V100, false);
      expect((await registry.gpuModel(V100)).retired).to.equal(false);
      await registry.connect(alice).register(V100, 1, PRICE, await payment.getAddress(), URI);
    });

    it("reverts when the model is unknown", async function () {
      const { registry, catalog } = await loadFixture(deployRegistry);
      const unknown = encodeBytes32String("H100");
      await expect(registry.connect(catalog).setModelRetired(unknown, true))
        .to.be.revertedWithCustomError(registry, "UnknownModel")
        .withArgs(unknown);
    });

    it("reverts when the caller lacks CATALOG_ROLE", async function () {
      const { registry, alice } = await loadFixture(deployRegistry);
      await expect(registry.connect(alice).setModelRetired(V100, true))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, await registry.CATALOG_ROLE());
    });
  });

  describe("requiredStake", function () {
    it("is minStakePerTu × TU, rounded up", async function () {
      const { registry } = await loadFixture(deployRegistry);
      expect(await registry.requiredStake(RTX_2080_TI, 4)).to.equal(540n * GUT_UNIT);
      await registry.setMinStakePerTu(1n);
      expect(await registry.requiredStake(RTX_2080_TI, 1)).to.equal(2n);
    });
  });

  describe("register", function () {
    it("locks the stake, stores the node as Idle and emits", async function () {
      const { registry, gut, payment, alice } = await loadFixture(deployRegistry);
      const stake = 540n * GUT_UNIT;
      const token = await payment.getAddress();
      const tx = registry.connect(alice).register(RTX_2080_TI, 4, PRICE, token, URI);
      await expect(tx)
        .to.emit(registry, "NodeRegistered")
        .withArgs(1n, alice.address, RTX_2080_TI, 4n, 5_400n, token, PRICE, stake, URI);
      await expect(tx).to.emit(registry, "StatusChanged").withArgs(1n, Status.None, Status.Idle);
      await expect(tx).to.changeTokenBalances(ethers, gut, [alice, registry], [-stake, stake]);
      const n = await registry.node(1n);
      expect(n.provider).to.equal(alice.address);
      expect(n.status).to.equal(Status.Idle);
      expect(n.engaged).to.equal(false);
      expect(n.verified).to.equal(false);
      expect([n.lastCheckIn, n.requiredStake]).to.deep.equal([BigInt(await time.latest()), n.stake]);
      expect([n.milliTu, n.gpuCount, n.model, n.paymentToken]).to.deep.equal([5_400n, 4n, RTX_2080_TI, token]);
      expect([n.pricePerTuHour, n.stake, n.unbondingEnds, n.uri]).to.deep.equal([PRICE, stake, 0n, URI]);
      expect(await registry.nodeCount()).to.equal(1n);
      expect(await registry.totalStaked()).to.equal(stake);
    });

    it("accepts the largest price, GPU count and URI", async function () {
      const { registry, payment, alice } = await loadFixture(deployRegistry);
      await registry.setMinStakePerTu(1n);
      const max = 2n ** 128n - 1n;
      await registry.connect(alice).register(V100, 1024, max, await payment.getAddress(), "u".repeat(512));
      const n = await registry.node(1n);
      expect([n.pricePerTuHour, n.gpuCount, n.milliTu]).to.deep.equal([max, 1024n, 1_894_400n]);
    });

    it("reverts when the model is unknown", async function () {
      const { registry, payment, alice } = await loadFixture(deployRegistry);
      const unknown = encodeBytes32String("H100");
      await expect(registry.connect(alice).register(unknown, 1, PRICE, await payment.getAddress(), URI))
        .to.be.revertedWithCustomError(registry, "UnknownModel")
        .withArgs(unknown);
    });

    it("reverts when the GPU count is zero or above the maximum", async function () {
      const { registry, payment, alice } = await loadFixture(deployRegistry);
      for (const count of [0n, 1025n]) {
        await expect(registry.connect(alice).register(V100, count, PRICE, await payment.getAddress(), URI))
          .to.be.revertedWithCustomError(registry, "GpuCountOutOfRange")
          .withArgs(count, 1024n);
      }
    });

    it("reverts when the price is zero or does not fit 128 bits", async function () {
      const { registry, payment, alice } = await loadFixture(deployRegistry);
      for (const price of [0n, 2n ** 128n]) {
        await expect(registry.connect(alice).register(V100, 1, price, await payment.getAddress(), URI))
          .to.be.revertedWithCustomError(registry, "PriceOutOfRange")
          .withArgs(price);
      }
    });

    it("reverts when the payment token is the zero address", async function () {
      const { registry, alice } = await loadFixture(deployRegistry);
      await expect(registry.connect(alice).register(V100, 1, PRICE, ethers.ZeroAddress, URI))
        .to.be.revertedWithCustomError(registry, "ZeroAddress")
        .withArgs("paymentToken");
    });

    it("reverts when the URI is too long", async function () {
      const { registry, payment, alice } = await loadFixture(deployRegistry);
      await expect(registry.connect(alice).register(V100, 1, PRICE, await payment.getAddress(), "u".repeat(513)))
        .to.be.revertedWithCustomError(registry, "UriTooLong")
        .withArgs(513n, 512n);
    });

    it("reverts when the stake is not approved", async function () {
      const { registry, gut, payment, keeper } = await loadFixture(deployRegistry);
      await expect(registry.connect(keeper).register(V100, 1, PRICE, await payment.getAddress(), URI))
        .to.be.revertedWithCustomError(gut, "ERC20InsufficientAllowance")
        .withArgs(await registry.getAddress(), 0n, 185n * GUT_UNIT);
    });

    it("reverts when the stake token delivers less than the stake", async function () {
      const [admin, alice] = await ethers.getSigners();
      const feeToken = await ethers.deployContract("MockFeeOnTransferERC20");
      const registry = await ethers.deployContract("ProviderRegistry", [
        0n,
        admin.address,
        await feeToken.getAddress(),
        GUT_UNIT,
        CHECK_IN_PERIOD,
        UNBONDING,
        admin.address,
      ]);
      await feeToken.mint(alice.address, 100n * GUT_UNIT);
      await feeToken.connect(alice).approve(await registry.getAddress(), ethers.MaxUint256);
      await expect(registry.connect(alice).register(V100, 1, PRICE, alice.address, URI))
        .to.be.revertedWithCustomError(registry, "TransferMismatch")
        .withArgs(await feeToken.getAddress(), 1_850_000_000_000_000_000n, 1_831_500_000_000_000_000n);
    });
  });

  describe("update", function () {
    it("changes an Idle node's price and URI and emits NodeUpdated", async function () {
      const { registry, alice, nodeId } = await loadFixture(idleNode);
      await expect(registry.connect(alice).update(nodeId, 7n, "ipfs://meta"))
        .to.emit(registry, "NodeUpdated")
        .withArgs(nodeId, 7n, "ipfs://meta");
      const n = await registry.node(nodeId);
      expect([n.pricePerTuHour, n.uri]).to.deep.equal([7n, "ipfs://meta"]);
    });

    for (const status of ["Sharing", "Reserved", "Disconnect"] as const) {
      it(`changes the listing of a ${status} node: the listing binds no lease`, async function () {
        const { registry, alice, nodeId } = await loadFixture(fixtures[status]!);
        await expect(registry.connect(alice).update(nodeId, 7n, URI)).to.emit(registry, "NodeUpdated");
      });
    }

    it("reverts when the node was deregistered", async function () {
      const { registry, alice, nodeId } = await loadFixture(deregisteredNode);
      await expect(registry.connect(alice).update(nodeId, 7n, URI))
        .to.be.revertedWithCustomError(registry, "InvalidStatus")
        .withArgs(nodeId, Status.None);
    });

    it("reverts when the caller is not the provider", async function () {
      const { registry, bob, nodeId } = await loadFixture(idleNode);
      await expect(registry.connect(bob).update(nodeId, 7n, URI))
        .to.be.revertedWithCustomError(registry, "NotNodeProvider")
        .withArgs(nodeId, bob.address);
    });

    it("reverts when the price or the URI is out of bounds", async function () {
      const { registry, alice, nodeId } = await loadFixture(idleNode);
      await expect(registry.connect(alice).update(nodeId, 0n, URI))
        .to.be.revertedWithCustomError(registry, "PriceOutOfRange")
        .withArgs(0n);
      await expect(registry.connect(alice).update(nodeId, 1n, "u".repeat(513)))
        .to.be.revertedWithCustomError(registry, "UriTooLong")
        .withArgs(513n, 512n);
    });
  });

  describe("setOperator", function () {
    it("lets the operator check in and go offline for every node of the provider, and nothing else", async function () {
      const { registry, gut, alice, keeper, nodeId } = await loadFixture(idleNode);
      await expect(registry.connect(alice).setOperator(keeper.address))
        .to.emit(registry, "OperatorSet")
        .withArgs(alice.address, keeper.address);
      expect(await registry.operatorOf(alice.address)).to.equal(keeper.address);
      await registry.connect(keeper).checkIn([nodeId]);
      expect((await registry.node(nodeId)).lastCheckIn).to.equal(await time.latest());
      await expect(registry.connect(keeper).update(nodeId, PRICE, URI))
        .to.be.revertedWithCustomError(registry, "NotNodeProvider")
        .withArgs(nodeId, keeper.address);
      await gut.transfer(keeper.address, GUT_UNIT);
      await gut.connect(keeper).approve(await registry.getAddress(), GUT_UNIT);
      await expect(registry.connect(keeper).addStake(nodeId, GUT_UNIT))
        .to.be.revertedWithCustomError(registry, "NotNodeProvider")
        .withArgs(nodeId, keeper.address);
      await registry.connect(keeper).goOffline(nodeId);
      await expect(registry.connect(keeper).deregister(nodeId))
        .to.be.revertedWithCustomError(registry, "NotNodeProvider")
        .withArgs(nodeId, keeper.address);
    });

    it("is revoked at once by the provider", async function () {
      const { registry, alice, keeper, nodeId } = await loadFixture(idleNode);
      await registry.connect(alice).setOperator(keeper.address);
      await expect(registry.connect(alice).setOperator(ethers.ZeroAddress))
        .to.emit(registry, "OperatorSet")
        .withArgs(alice.address, ethers.ZeroAddress);
      await expect(registry.connect(keeper).checkIn([nodeId]))
        .to.be.revertedWithCustomError(registry, "NotNodeOperator")
        .withArgs(nodeId, keeper.address);
    });

    it("reverts when an operator acts for another provider's node", async function () {
      const { registry, alice, bob, keeper, payment, nodeId } = await loadFixture(idleNode);
      await registry.connect(bob).register(RTX_2080_TI, 1, PRICE, await payment.getAddress(), URI);
      await registry.connect(alice).setOperator(keeper.address);
      await expect(registry.connect(keeper).checkIn([nodeId, 2n]))
        .to.be.revertedWithCustomError(registry, "NotNodeOperator")
        .withArgs(2n, keeper.address);
      await expect(registry.connect(keeper).goOffline(2n))
        .to.be.revertedWithCustomError(registry, "NotNodeOperator")
        .withArgs(2n, keeper.address);
    });
  });

  describe("checkIn", function () {
    /** Alice's nodes 1 to 4: Idle, Sharing, Disconnect (still held), Disconnect (free). */
    async function fourNodes() {
      const f = await deployWithNode();
      const token = await f.payment.getAddress();
      for (let i = 0; i < 3; i++) await f.registry.connect(f.alice).register(RTX_2080_TI, 1, PRICE, token, URI);
      await f.registry.connect(f.escrow).startLease(2n);
      await f.registry.connect(f.escrow).holdForReservation(3n);
      await f.registry.connect(f.alice).goOffline(3n);
      await f.registry.connect(f.alice).goOffline(4n);
      await f.registry.connect(f.alice).setOperator(f.keeper.address);
      return f;
    }

    it("checks in every node in one transaction, brings back a free Disconnect one and passes over a held one", async function () {
      const { registry, alice, keeper } = await loadFixture(fourNodes);
      await time.increase(100n);
      const tx = registry.connect(keeper).checkIn([1n, 2n, 3n, 4n]);
      await expect(tx).to.emit(registry, "CheckInSkipped").withArgs(3n);
      await expect(tx).to.emit(registry, "StatusChanged").withArgs(4n, Status.Disconnect, Status.Idle);
      await expect(tx).to.emit(registry, "CheckedIn").withArgs(alice.address, [1n, 2n, 3n, 4n]);
      const now = BigInt(await time.latest());
      const [n1, n2, n3, n4] = await registry.nodes(0n, 4n);
      expect([n1!.lastCheckIn, n2!.lastCheckIn, n4!.lastCheckIn]).to.deep.equal([now, now, now]);
      expect([n1!.status, n2!.status, n3!.status, n4!.status]).to.deep.equal([
        Status.Idle,
        Status.Sharing,
        Status.Disconnect,
        Status.Idle,
      ]);
      expect(n3!.lastCheckIn).to.be.lessThan(now);
    });

    it("takes a stale Reserved node Disconnect as of when it went stale, without moving its check-in", async function () {
      const { registry, alice, nodeId } = await loadFixture(reservedNode);
      const before = await registry.node(nodeId);
      await time.increase(CHECK_IN_PERIOD + 100n);
      await expect(registry.connect(alice).checkIn([nodeId]))
        .to.emit(registry, "StatusChanged")
        .withArgs(nodeId, Status.Reserved, Status.Disconnect);
      const n = await registry.node(nodeId);
      expect([n.status, n.lastCheckIn, n.downSince]).to.deep.equal([
        Status.Disconnect,
        before.lastCheckIn,
        before.lastCheckIn + CHECK_IN_PERIOD,
      ]);
    });

    it("marks a stale Idle node Disconnect as of when it went stale, then brings it back", async function () {
      const { registry, alice, nodeId } = await loadFixture(idleNode);
      const before = await registry.node(nodeId);
      await time.increase(CHECK_IN_PERIOD + 100n);
      const tx = registry.connect(alice).checkIn([nodeId]);
      await expect(tx).to.emit(registry, "StatusChanged").withArgs(nodeId, Status.Idle, Status.Disconnect);
      await expect(tx).to.emit(registry, "StatusChanged").withArgs(nodeId, Status.Disconnect, Status.Idle);
      const n = await registry.node(nodeId);
      expect([n.status, n.lastCheckIn, n.downSince]).to.deep.equal([
        Status.Idle,
        BigInt(await time.latest()),
        before.lastCheckIn + CHECK_IN_PERIOD,
      ]);
    });

    it("refreshes a Sharing node however long since its last check-in", async function () {
      const { registry, alice, nodeId } = await loadFixture(sharingNode);
      await time.increase(10n * CHECK_IN_PERIOD);
      await expect(registry.connect(alice).checkIn([nodeId])).not.to.emit(registry, "StatusChanged");
      expect((await registry.node(nodeId)).lastCheckIn).to.equal(await time.latest());
    });

    it("reverts for a node that does not exist or was deregistered, and for a stranger", async function () {
      const { registry, alice, bob, nodeId } = await loadFixture(idleNode);
      await expect(registry.connect(alice).checkIn([nodeId, 9n]))
        .to.be.revertedWithCustomError(registry, "InvalidStatus")
        .withArgs(9n, Status.None);
      await expect(registry.connect(bob).checkIn([nodeId]))
        .to.be.revertedWithCustomError(registry, "NotNodeOperator")
        .withArgs(nodeId, bob.address);
      const gone = await loadFixture(deregisteredNode);
      await expect(gone.registry.connect(gone.alice).checkIn([gone.nodeId]))
        .to.be.revertedWithCustomError(gone.registry, "InvalidStatus")
        .withArgs(gone.nodeId, Status.None);
    });
  });

  describe("goOffline", function () {
    for (const status of ["Idle", "Reserved"] as const) {
      it(`moves ${status} → Disconnect, dated now`, async function () {
        const { registry, alice, nodeId } = await loadFixture(fixtures[status]!);
        await expect(registry.connect(alice).goOffline(nodeId))
          .to.emit(registry, "StatusChanged")
          .withArgs(nodeId, Status[status], Status.Disconnect);
        const n = await registry.node(nodeId);
        expect([n.status, n.downSince]).to.deep.equal([Status.Disconnect, BigInt(await time.latest())]);
      });
    }

    for (const status of ["Sharing", "Disconnect", "None"] as const) {
      it(`reverts when the node is ${status}`, async function () {
        const { registry, alice, nodeId } = await loadFixture(fixtures[status]!);
        await expect(registry.connect(alice).goOffline(nodeId))
          .to.be.revertedWithCustomError(registry, "InvalidStatus")
          .withArgs(nodeId, Status[status]);
      });
    }

    it("reverts when the caller is neither the provider nor its operator", async function () {
      const { registry, bob, nodeId } = await loadFixture(idleNode);
      await expect(registry.connect(bob).goOffline(nodeId))
        .to.be.revertedWithCustomError(registry, "NotNodeOperator")
        .withArgs(nodeId, bob.address);
    });
  });

  describe("markDisconnected", function () {
    for (const status of ["Idle", "Reserved"] as const) {
      it(`lets anyone move a stale ${status} node → Disconnect, keeping lastCheckIn`, async function () {
        const { registry, keeper, nodeId } = await loadFixture(fixtures[status]!);
        const last = (await registry.node(nodeId)).lastCheckIn;
        await time.increase(CHECK_IN_PERIOD + 1n);
        expect(await registry.isStale(nodeId)).to.equal(true);
        await expect(registry.connect(keeper).markDisconnected(nodeId))
          .to.emit(registry, "StatusChanged")
          .withArgs(nodeId, Status[status], Status.Disconnect);
        const terms = await registry.leaseTerms(nodeId);
        expect([terms.status, terms.lastCheckIn, terms.downSince]).to.deep.equal([
          Status.Disconnect,
          last,
          last + CHECK_IN_PERIOD,
        ]);
        expect(await registry.isStale(nodeId)).to.equal(false);
      });
    }

    it("reverts until lastCheckIn + checkInPeriod has passed", async function () {
      const { registry, keeper, nodeId } = await loadFixture(idleNode);
      const staleAfter = (await registry.node(nodeId)).lastCheckIn + CHECK_IN_PERIOD;
      await time.setNextBlockTimestamp(staleAfter);
      await expect(registry.connect(keeper).markDisconnected(nodeId))
        .to.be.revertedWithCustomError(registry, "CheckInNotStale")
        .withArgs(nodeId, staleAfter);
      await time.setNextBlockTimestamp(staleAfter + 1n);
      await registry.connect(keeper).markDisconnected(nodeId);
    });

    for (const status of ["Sharing", "Disconnect", "None"] as const) {
      it(`reverts when the node is ${status}`, async function () {
        const { registry, keeper, nodeId } = await loadFixture(fixtures[status]!);
        await time.increase(CHECK_IN_PERIOD + 1n);
        await expect(registry.connect(keeper).markDisconnected(nodeId))
          .to.be.revertedWithCustomError(registry, "InvalidStatus")
          .withArgs(nodeId, Status[status]);
      });
    }
  });

  describe("addStake", function () {
    it("adds GUT to a registered node's stake", async function () {
      const { registry, gut, alice, nodeId, stake } = await loadFixture(idleNode);
      const tx = registry.connect(alice).addStake(nodeId, GUT_UNIT);
      await expect(tx)
        .to.emit(registry, "StakeAdded")
        .withArgs(nodeId, GUT_UNIT, stake + GUT_UNIT);
      await expect(tx).to.changeTokenBalances(ethers, gut, [alice, registry], [-GUT_UNIT, GUT_UNIT]);
      expect(await registry.totalStaked()).to.equal(stake + GUT_UNIT);
    });

    it("reverts for a zero amount, a deregistered node or another account", async function () {
      const { registry, alice, bob, nodeId } = await loadFixture(idleNode);
      await expect(registry.connect(alice).addStake(nodeId, 0n)).to.be.revertedWithCustomError(registry, "ZeroAmount");
      await expect(registry.connect(bob).addStake(nodeId, 1n))
        .to.be.revertedWithCustomError(registry, "NotNodeProvider")
        .withArgs(nodeId, bob.address);
      const gone = await loadFixture(deregisteredNode);
      await expect(gone.registry.connect(gone.alice).addStake(gone.nodeId, 1n))
        .to.be.revertedWithCustomError(gone.registry, "InvalidStatus")
        .withArgs(gone.nodeId, Status.None);
    });
  });

  describe("deregister", function () {
    it("moves Disconnect → None and starts the unbonding", async function () {
      const { registry, alice, nodeId, stake } = await loadFixture(disconnectNode);
      const tx = registry.connect(alice).deregister(nodeId);
      const ends = BigInt(await time.latest()) + 1n + UNBONDING;
      await expect(tx).to.emit(registry, "StatusChanged").withArgs(nodeId, Status.Disconnect, Status.None);
      await expect(tx).to.emit(registry, "StakeUnbonding").withArgs(nodeId, alice.address, stake, ends);
      const n = await registry.node(nodeId);
      expect([n.status, n.stake, n.unbondingEnds]).to.deep.equal([Status.None, stake, ends]);
      expect(await registry.totalStaked()).to.equal(0n);
      expect(await registry.totalUnbonding()).to.equal(stake);
    });

    for (const status of ["Idle", "Sharing", "Reserved", "None"] as const) {
      it(`reverts when the node is ${status}`, async function () {
        const { registry, alice, nodeId } = await loadFixture(fixtures[status]!);
        await expect(registry.connect(alice).deregister(nodeId))
          .to.be.revertedWithCustomError(registry, "InvalidStatus")
          .withArgs(nodeId, Status[status]);
      });
    }

    it("reverts while the escrow still holds the node", async function () {
      const { registry, alice, nodeId } = await loadFixture(engagedDisconnectNode);
      await expect(registry.connect(alice).deregister(nodeId))
        .to.be.revertedWithCustomError(registry, "NodeEngaged")
        .withArgs(nodeId);
    });

    it("reverts when the caller is not the provider", async function () {
      const { registry, bob, nodeId } = await loadFixture(disconnectNode);
      await expect(registry.connect(bob).deregister(nodeId))
        .to.be.revertedWithCustomError(registry, "NotNodeProvider")
        .withArgs(nodeId, bob.address);
    });
  });

  describe("withdrawStake", function () {
    it("pays the stake back once the unbonding has ended, and only once", async function () {
      const { registry, gut, alice, bob, nodeId, stake } = await loadFixture(deregisteredNode);
      const ends = (await registry.node(nodeId)).unbondingEnds;
      await time.setNextBlockTimestamp(ends - 1n);
      await expect(registry.connect(alice).withdrawStake(nodeId, bob.address))
        .to.be.revertedWithCustomError(registry, "StillUnbonding")
        .withArgs(nodeId, ends);
      await time.setNextBlockTimestamp(ends);
      const tx = registry.connect(alice).withdrawStake(nodeId, bob.address);
      await expect(tx).to.emit(registry, "StakeWithdrawn").withArgs(nodeId, alice.address, bob.address, stake);
      await expect(tx).to.changeTokenBalances(ethers, gut, [bob, registry], [stake, -stake]);
      expect(await registry.totalUnbonding()).to.equal(0n);
      await expect(registry.connect(alice).withdrawStake(nodeId, bob.address))
        .to.be.revertedWithCustomError(registry, "NothingToWithdraw")
        .withArgs(nodeId);
    });

    it("reverts when the caller is not the provider", async function () {
      const { registry, bob, nodeId } = await loadFixture(deregisteredNode);
      await time.increase(UNBONDING);
      await expect(registry.connect(bob).withdrawStake(nodeId, bob.address))
        .to.be.revertedWithCustomError(registry, "NotNodeProvider")
        .withArgs(nodeId, bob.address);
    });

    it("reverts when the recipient is zero", async function () {
      const { registry, alice, nodeId } = await loadFixture(deregisteredNode);
      await time.increase(UNBONDING);
      await expect(registry.connect(alice).withdrawStake(nodeId, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(registry, "ZeroAddress")
        .withArgs("to");
    });

    it("reverts when the node is still registered", async function () {
      const { registry, alice, bob, nodeId } = await loadFixture(disconnectNode);
      await expect(registry.connect(alice).withdrawStake(nodeId, bob.address))
        .to.be.revertedWithCustomError(registry, "InvalidStatus")
        .withArgs(nodeId, Status.Disconnect);
    });
  });

  describe("setVerified", function () {
    it("marks and unmarks the hardware verified", async function () {
      const { registry, auditor, nodeId } = await loadFixture(idleNode);
      await expect(registry.connect(auditor).setVerified(nodeId, true))
        .to.emit(registry, "NodeVerified")
        .withArgs(nodeId, auditor.address, true);
      expect((await registry.node(nodeId)).verified).to.equal(true);
      await registry.connect(auditor).setVerified(nodeId, false);
      expect((await registry.node(nodeId)).verified).to.equal(false);
    });

    it("reverts when the node does not exist", async function () {
      const { registry, auditor } = await loadFixture(deregisteredNode);
      await expect(registry.connect(auditor).setVerified(1n, true))
        .to.be.revertedWithCustomError(registry, "InvalidStatus")
        .withArgs(1n, Status.None);
    });

    it("reverts when the caller lacks AUDITOR_ROLE", async function () {
      const { registry, alice, nodeId } = await loadFixture(idleNode);
      await expect(registry.connect(alice).setVerified(nodeId, true))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, await registry.AUDITOR_ROLE());
    });
  });

  describe("holdForReservation", function () {
    it("moves Idle → Reserved and engages the node", async function () {
      const { registry, escrow, nodeId } = await loadFixture(idleNode);
      await expect(registry.connect(escrow).holdForReservation(nodeId))
        .to.emit(registry, "StatusChanged")
        .withArgs(nodeId, Status.Idle, Status.Reserved);
      const t = await registry.leaseTerms(nodeId);
      expect([t.status, t.engaged]).to.deep.equal([Status.Reserved, true]);
    });

    for (const status of ["Sharing", "Reserved", "Disconnect", "None"] as const) {
      it(`reverts when the node is ${status}`, async function () {
        const { registry, escrow, nodeId } = await loadFixture(fixtures[status]!);
        await expect(registry.connect(escrow).holdForReservation(nodeId))
          .to.be.revertedWithCustomError(registry, "InvalidStatus")
          .withArgs(nodeId, Status[status]);
      });
    }

    it("reverts when the caller lacks ESCROW_ROLE", async function () {
      const { registry, alice, nodeId } = await loadFixture(idleNode);
      await expect(registry.connect(alice).holdForReservation(nodeId))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, await registry.ESCROW_ROLE());
    });
  });

  describe("startLease", function () {
    for (const status of ["Idle", "Reserved"] as const) {
      it(`moves ${status} → Sharing and engages the node`, async function () {
        const { registry, escrow, nodeId } = await loadFixture(fixtures[status]!);
        await expect(registry.connect(escrow).startLease(nodeId))
          .to.emit(registry, "StatusChanged")
          .withArgs(nodeId, Status[status], Status.Sharing);
        const t = await registry.leaseTerms(nodeId);
        expect([t.status, t.engaged]).to.deep.equal([Status.Sharing, true]);
      });
    }

    for (const status of ["Sharing", "Disconnect", "None"] as const) {
      it(`reverts when the node is ${status}`, async function () {
        const { registry, escrow, nodeId } = await loadFixture(fixtures[status]!);
        await expect(registry.connect(escrow).startLease(nodeId))
          .to.be.revertedWithCustomError(registry, "InvalidStatus")
          .withArgs(nodeId, Status[status]);
      });
    }

    it("reverts when the caller lacks ESCROW_ROLE", async function () {
      const { registry, alice, nodeId } = await loadFixture(idleNode);
      await expect(registry.connect(alice).startLease(nodeId))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, await registry.ESCROW_ROLE());
    });
  });

  describe("release", function () {
    for (const status of ["Sharing", "Reserved"] as const) {
      it(`moves ${status} → Idle and disengages the node`, async function () {
        const { registry, escrow, nodeId } = await loadFixture(fixtures[status]!);
        await expect(registry.connect(escrow).release(nodeId))
          .to.emit(registry, "StatusChanged")
          .withArgs(nodeId, Status[status], Status.Idle);
        const t = await registry.leaseTerms(nodeId);
        expect([t.status, t.engaged]).to.deep.equal([Status.Idle, false]);
      });
    }

    it("leaves a Disconnect node Disconnect, with lastCheckIn frozen, and disengages it", async function () {
      const { registry, escrow, alice, nodeId } = await loadFixture(engagedDisconnectNode);
      const last = (await registry.leaseTerms(nodeId)).lastCheckIn;
      await time.increase(3_600n);
      await expect(registry.connect(alice).checkIn([nodeId]))
        .to.emit(registry, "CheckInSkipped")
        .withArgs(nodeId);
      await expect(registry.connect(alice).deregister(nodeId))
        .to.be.revertedWithCustomError(registry, "NodeEngaged")
        .withArgs(nodeId);
      await expect(registry.connect(escrow).release(nodeId)).not.to.emit(registry, "StatusChanged");
      const t = await registry.leaseTerms(nodeId);
      expect([t.status, t.engaged, t.lastCheckIn]).to.deep.equal([Status.Disconnect, false, last]);
    });

    it("releases a reservation whose provider went offline", async function () {
      const { registry, escrow, alice, nodeId } = await loadFixture(reservedNode);
      await registry.connect(alice).goOffline(nodeId);
      await expect(registry.connect(alice).deregister(nodeId)).to.be.revertedWithCustomError(registry, "NodeEngaged");
      await registry.connect(escrow).release(nodeId);
      await registry.connect(alice).deregister(nodeId);
      expect((await registry.node(nodeId)).status).to.equal(Status.None);
    });

    for (const status of ["Idle", "Disconnect", "None"] as const) {
      it(`reverts when a ${status} node is not engaged`, async function () {
        const { registry, escrow, nodeId } = await loadFixture(fixtures[status]!);
        await expect(registry.connect(escrow).release(nodeId))
          .to.be.revertedWithCustomError(registry, "NotEngaged")
          .withArgs(nodeId);
      });
    }

    it("reverts when the caller lacks ESCROW_ROLE", async function () {
      const { registry, alice, nodeId } = await loadFixture(sharingNode);
      await expect(registry.connect(alice).release(nodeId))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, await registry.ESCROW_ROLE());
    });
  });

  describe("sync", function () {
    it("marks a stale node Disconnect, for anyone, and returns the terms after", async function () {
      const { registry, keeper, nodeId } = await loadFixture(reservedNode);
      const before = await registry.node(nodeId);
      await time.increase(CHECK_IN_PERIOD + 1n);
      const terms = await registry.connect(keeper).sync.staticCall(nodeId);
      expect([terms.status, terms.lastCheckIn]).to.deep.equal([Status.Disconnect, before.lastCheckIn]);
      await expect(registry.connect(keeper).sync(nodeId))
        .to.emit(registry, "StatusChanged")
        .withArgs(nodeId, Status.Reserved, Status.Disconnect);
    });

    it("changes nothing on a Sharing node, which needs no check-in", async function () {
      const { registry, keeper, nodeId } = await loadFixture(sharingNode);
      await time.increase(CHECK_IN_PERIOD * 3n);
      await expect(registry.connect(keeper).sync(nodeId)).not.to.emit(registry, "StatusChanged");
      expect((await registry.node(nodeId)).status).to.equal(Status.Sharing);
    });
  });

  describe("penalize", function () {
    it("pays the amount from the stake to the treasury, never to a party, and returns it", async function () {
      const { registry, gut, escrow, treasury, nodeId, stake } = await loadFixture(reservedNode);
      const amount = stake / 3n;
      expect(await registry.connect(escrow).penalize.staticCall(nodeId, amount)).to.equal(amount);
      const tx = registry.connect(escrow).penalize(nodeId, amount);
      await expect(tx).to.emit(registry, "Penalized").withArgs(nodeId, treasury.address, amount);
      await expect(tx).to.changeTokenBalances(ethers, gut, [treasury, registry], [amount, -amount]);
      const n = await registry.node(nodeId);
      expect([n.stake, n.requiredStake]).to.deep.equal([stake - amount, stake]);
      expect(await registry.totalStaked()).to.equal(stake - amount);
    });

    it("takes at most the stake, then nothing", async function () {
      const { registry, gut, escrow, treasury, nodeId, stake } = await loadFixture(reservedNode);
      await expect(registry.connect(escrow).penalize(nodeId, stake * 2n)).to.changeTokenBalance(
        ethers,
        gut,
        treasury,
        stake,
      );
      expect(await registry.connect(escrow).penalize.staticCall(nodeId, 1n)).to.equal(0n);
      await expect(registry.connect(escrow).penalize(nodeId, 1n)).not.to.emit(registry, "Penalized");
    });

    it("leaves the node unable to take a lease or reservation until the provider adds the stake back", async function () {
      const { registry, escrow, alice, nodeId, stake } = await loadFixture(reservedNode);
      await registry.connect(escrow).penalize(nodeId, GUT_UNIT);
      await registry.connect(escrow).release(nodeId);
      for (const call of [
        () => registry.connect(escrow).startLease(nodeId),
        () => registry.connect(escrow).holdForReservation(nodeId),
      ]) {
        await expect(call())
          .to.be.revertedWithCustomError(registry, "StakeBelowRequired")
          .withArgs(nodeId, stake - GUT_UNIT, stake);
      }
      await registry.connect(alice).addStake(nodeId, GUT_UNIT);
      await expect(registry.connect(escrow).startLease(nodeId)).to.emit(registry, "StatusChanged");
    });

    it("reverts when the escrow does not hold the node, and for a caller without ESCROW_ROLE", async function () {
      const { registry, escrow, alice, nodeId } = await loadFixture(idleNode);
      await expect(registry.connect(escrow).penalize(nodeId, 1n))
        .to.be.revertedWithCustomError(registry, "NotEngaged")
        .withArgs(nodeId);
      await expect(registry.connect(alice).penalize(nodeId, 1n))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(alice.address, await registry.ESCROW_ROLE());
    });
  });

  describe("views", function () {
    /** Seven nodes: alice 1, 3, 5, 7 and bob 2, 4, 6; 2 and 5 Sharing, 4 Disconnect. */
    async function sevenNodes() {
      const f = await deployRegistry();
      const token = await f.payment.getAddress();
      for (let i = 0; i < 7; i++) {
        await f.registry.connect(i % 2 === 0 ? f.alice : f.bob).register(V100, i + 1, PRICE, token, `n${i + 1}`);
      }
      await f.registry.connect(f.escrow).startLease(2n);
      await f.registry.connect(f.escrow).startLease(5n);
      await f.registry.connect(f.bob).goOffline(4n);
      return f;
    }

    const ids = (page: { id: bigint }[]) => page.map((n) => n.id);

    it("nodes pages by id and stops at the end", async function () {
      const { registry } = await loadFixture(sevenNodes);
      expect(ids(await registry.nodes(0n, 3n))).to.deep.equal([1n, 2n, 3n]);
      expect(ids(await registry.nodes(6n, 3n))).to.deep.equal([7n]);
      expect(ids(await registry.nodes(7n, 3n))).to.deep.equal([]);
      expect(ids(await registry.nodes(100n, 3n))).to.deep.equal([]);
      expect(ids(await registry.nodes(5n, ethers.MaxUint256))).to.deep.equal([6n, 7n]);
      const [n] = await registry.nodes(3n, 1n);
      expect([n!.id, n!.gpuCount, n!.uri, n!.status]).to.deep.equal([4n, 4n, "n4", Status.Disconnect]);
    });

    it("nodesByStatus scans limit ids per call and returns a cursor until the end", async function () {
      const { registry } = await loadFixture(sevenNodes);
      let [page, next] = await registry.nodesByStatus(Status.Idle, 0n, 3n);
      expect([ids(page), next]).to.deep.equal([[1n, 3n], 3n]);
      [page, next] = await registry.nodesByStatus(Status.Idle, next, 3n);
      expect([ids(page), next]).to.deep.equal([[6n], 6n]);
      [page, next] = await registry.nodesByStatus(Status.Idle, next, 3n);
      expect([ids(page), next]).to.deep.equal([[7n], 0n]);
      [page, next] = await registry.nodesByStatus(Status.Sharing, 0n, ethers.MaxUint256);
      expect([ids(page), next]).to.deep.equal([[2n, 5n], 0n]);
      [page, next] = await registry.nodesByStatus(Status.Disconnect, 9n, 3n);
      expect([ids(page), next]).to.deep.equal([[], 0n]);
      [page] = await registry.nodesByStatus(Status.Disconnect, 0n, 10n);
      expect(ids(page)).to.deep.equal([4n]);
    });

    it("nodesOf pages a provider's nodes and reports the total", async function () {
      const { registry, alice, bob, keeper } = await loadFixture(sevenNodes);
      let [page, total] = await registry.nodesOf(alice.address, 1n, 2n);
      expect([ids(page), total]).to.deep.equal([[3n, 5n], 4n]);
      [page, total] = await registry.nodesOf(bob.address, 0n, 10n);
      expect([ids(page), total]).to.deep.equal([[2n, 4n, 6n], 3n]);
      [page, total] = await registry.nodesOf(bob.address, 5n, 10n);
      expect([ids(page), total]).to.deep.equal([[], 3n]);
      [page, total] = await registry.nodesOf(keeper.address, 0n, 10n);
      expect([ids(page), total]).to.deep.equal([[], 0n]);
    });

    it("keeps a deregistered node in its provider's list until and after withdrawal", async function () {
      const { registry, alice, nodeId } = await loadFixture(deregisteredNode);
      const [page] = await registry.nodesOf(alice.address, 0n, 10n);
      expect(page.map((n) => [n.id, n.status])).to.deep.equal([[nodeId, Status.None]]);
    });

    it("leaseTerms returns what the escrow prices and settles with", async function () {
      const { registry, payment, alice, nodeId } = await loadFixture(sharingNode);
      const t = await registry.leaseTerms(nodeId);
      expect([t.provider, t.operator, t.status, t.engaged, t.milliTu]).to.deep.equal([
        alice.address,
        ethers.ZeroAddress,
        Status.Sharing,
        true,
        5_400n,
      ]);
      expect(t.lastCheckIn).to.equal((await registry.node(nodeId)).lastCheckIn);
      expect((await registry.node(nodeId)).paymentToken).to.equal(await payment.getAddress());
    });

    it("isStale is false for nodes that cannot be marked and for fresh ones", async function () {
      const { registry, nodeId } = await loadFixture(disconnectNode);
      await time.increase(CHECK_IN_PERIOD * 2n);
      expect(await registry.isStale(nodeId)).to.equal(false);
      expect(await registry.isStale(42n)).to.equal(false);
    });
  });
});

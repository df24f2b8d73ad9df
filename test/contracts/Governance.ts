import { expect } from "chai";
import { network } from "hardhat";

import { id, ZeroAddress, ZeroHash } from "ethers";

import {
  executeOperation,
  GOVERNED_CONTRACTS,
  handoverOperation,
  operationId,
  scheduleOperation,
  timelockCalldata,
  timelockOperation,
} from "../../src/governance.js";
import { DAY, deployDelayedSystem } from "../helpers/governance.js";

/**
 * Governance behind the timelock, on the `System` module deployed with a public network's delays
 * (a two-day timelock, one-day admin delays): every change of power is scheduled in public and
 * waits the delay before it acts.
 */

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;

const ESCROW_ROLE = id("ESCROW_ROLE");
// OpenZeppelin's TimelockController encodes an expected state as a bitmap: 1 << Ready (2).
const READY_STATE = `0x${(1n << 2n).toString(16).padStart(64, "0")}`;

async function delayedSystem() {
  return deployDelayedSystem(connection);
}

/** The delayed system after governance's first operation: the timelock accepted every admin. */
async function governedSystem() {
  const s = await deployDelayedSystem(connection);
  const timelock = s.timelock.connect(s.admin);
  const handover = await handoverOperation(s);
  await scheduleOperation(timelock, handover);
  await time.increase(2n * DAY);
  await executeOperation(timelock, handover);
  return s;
}

/** A proposal to give the multisig the registry's ESCROW_ROLE (the power to penalize any stake). */
async function selfGrant(s: Awaited<ReturnType<typeof governedSystem>>) {
  return timelockOperation([
    {
      target: await s.registry.getAddress(),
      data: s.registry.interface.encodeFunctionData("grantRole", [ESCROW_ROLE, s.admin.address]),
    },
  ]);
}

describe("Governance", function () {
  describe("GovernanceTimelock (as deployed)", function () {
    it("has the delay of the parameters, the multisig as its only proposer, canceller and executor, and no admin", async function () {
      const s = await loadFixture(delayedSystem);
      const t = s.timelock;
      expect(await t.getMinDelay()).to.equal(2n * DAY);
      for (const role of [await t.PROPOSER_ROLE(), await t.CANCELLER_ROLE(), await t.EXECUTOR_ROLE()]) {
        expect(await t.hasRole(role, s.admin.address)).to.equal(true);
        expect(await t.hasRole(role, s.deployer.address)).to.equal(false);
        expect(await t.hasRole(role, ZeroAddress)).to.equal(false);
      }
      const admin = await t.DEFAULT_ADMIN_ROLE();
      expect(await t.hasRole(admin, await t.getAddress())).to.equal(true);
      for (const who of [s.admin.address, s.deployer.address]) expect(await t.hasRole(admin, who)).to.equal(false);
    });

    it("is the pending default admin of every governed contract", async function () {
      const s = await loadFixture(delayedSystem);
      for (const name of GOVERNED_CONTRACTS) {
        const [pending] = await s[name].pendingDefaultAdmin();
        expect(pending, name).to.equal(await s.timelock.getAddress());
      }
    });
  });

  describe("grantRole", function () {
    it("reverts when the multisig calls a contract directly", async function () {
      const s = await loadFixture(governedSystem);
      await expect(s.registry.connect(s.admin).grantRole(ESCROW_ROLE, s.admin.address))
        .to.be.revertedWithCustomError(s.registry, "AccessControlUnauthorizedAccount")
        .withArgs(s.admin.address, ZeroHash);
    });

    it("reverts when the deployer calls a contract directly", async function () {
      const s = await loadFixture(governedSystem);
      for (const name of GOVERNED_CONTRACTS) {
        const c = s[name];
        await expect(c.connect(s.deployer).grantRole(ESCROW_ROLE, s.deployer.address), name)
          .to.be.revertedWithCustomError(c, "AccessControlUnauthorizedAccount")
          .withArgs(s.deployer.address, ZeroHash);
      }
    });
  });

  describe("scheduleBatch", function () {
    it("reverts when the delay is shorter than the timelock's minimum", async function () {
      const s = await loadFixture(governedSystem);
      const op = await selfGrant(s);
      await expect(scheduleOperation(s.timelock.connect(s.admin), op, DAY))
        .to.be.revertedWithCustomError(s.timelock, "TimelockInsufficientDelay")
        .withArgs(DAY, 2n * DAY);
    });

    it("reverts when someone other than the multisig proposes", async function () {
      const s = await loadFixture(governedSystem);
      const op = await selfGrant(s);
      await expect(scheduleOperation(s.timelock.connect(s.deployer), op))
        .to.be.revertedWithCustomError(s.timelock, "AccessControlUnauthorizedAccount")
        .withArgs(s.deployer.address, await s.timelock.PROPOSER_ROLE());
    });

    it("announces the operation in public: every call, and when it becomes executable", async function () {
      const s = await loadFixture(governedSystem);
      const op = await selfGrant(s);
      const receipt = await scheduleOperation(s.timelock.connect(s.admin), op);
      const [log] = await s.timelock.queryFilter(s.timelock.filters.CallScheduled(), receipt.blockNumber);
      expect(log!.args.id).to.equal(operationId(op));
      expect(log!.args.target).to.equal(op.targets[0]);
      expect(log!.args.data).to.equal(op.payloads[0]);
      expect(log!.args.delay).to.equal(2n * DAY);
      expect(await s.timelock.hashOperationBatch(op.targets, op.values, op.payloads, op.predecessor, op.salt)).to.equal(
        operationId(op),
      );
    });
  });

  describe("executeBatch", function () {
    it("reverts when the delay has not passed", async function () {
      const s = await loadFixture(governedSystem);
      const timelock = s.timelock.connect(s.admin);
      const op = await selfGrant(s);
      await scheduleOperation(timelock, op);
      await time.increase(2n * DAY - 10n);
      await expect(executeOperation(timelock, op))
        .to.be.revertedWithCustomError(s.timelock, "TimelockUnexpectedOperationState")
        .withArgs(operationId(op), READY_STATE);
      expect(await s.registry.hasRole(ESCROW_ROLE, s.admin.address)).to.equal(false);
    });

    it("grants the role once the delay has passed", async function () {
      const s = await loadFixture(governedSystem);
      const timelock = s.timelock.connect(s.admin);
      const op = await selfGrant(s);
      await scheduleOperation(timelock, op);
      await time.increase(2n * DAY);
      await expect(executeOperation(timelock, op)).to.emit(s.registry, "RoleGranted");
      expect(await s.registry.hasRole(ESCROW_ROLE, s.admin.address)).to.equal(true);
    });

    it("reverts when the operation was cancelled during the notice", async function () {
      const s = await loadFixture(governedSystem);
      const timelock = s.timelock.connect(s.admin);
      const op = await selfGrant(s);
      await scheduleOperation(timelock, op);
      await timelock.cancel(operationId(op));
      await time.increase(2n * DAY);
      await expect(executeOperation(timelock, op)).to.be.revertedWithCustomError(
        s.timelock,
        "TimelockUnexpectedOperationState",
      );
    });

    it("takes the calldata a multisig sends for scheduling and executing", async function () {
      const s = await loadFixture(governedSystem);
      const op = await selfGrant(s);
      const { schedule, execute } = timelockCalldata(op, 2n * DAY);
      const to = await s.timelock.getAddress();
      await (await s.admin.sendTransaction({ to, data: schedule })).wait();
      await time.increase(2n * DAY);
      await (await s.admin.sendTransaction({ to, data: execute })).wait();
      expect(await s.registry.hasRole(ESCROW_ROLE, s.admin.address)).to.equal(true);
    });
  });

  describe("the market's parameters (setCheckInPeriod, setTreasury, setSessionTerms)", function () {
    /** One operation that changes the check-in period, the treasury and the escrow's session terms. */
    async function parameters(s: Awaited<ReturnType<typeof governedSystem>>) {
      return timelockOperation([
        {
          target: await s.registry.getAddress(),
          data: s.registry.interface.encodeFunctionData("setCheckInPeriod", [2n * DAY]),
        },
        {
          target: await s.registry.getAddress(),
          data: s.registry.interface.encodeFunctionData("setTreasury", [s.admin.address]),
        },
        {
          target: await s.escrow.getAddress(),
          data: s.escrow.interface.encodeFunctionData("setSessionTerms", [300n, 7_200n, 900n]),
        },
      ]);
    }

    it("reverts when the multisig sets them directly", async function () {
      const s = await loadFixture(governedSystem);
      await expect(s.registry.connect(s.admin).setCheckInPeriod(2n * DAY)).to.be.revertedWithCustomError(
        s.registry,
        "AccessControlUnauthorizedAccount",
      );
      await expect(s.registry.connect(s.admin).setTreasury(s.admin.address)).to.be.revertedWithCustomError(
        s.registry,
        "AccessControlUnauthorizedAccount",
      );
      await expect(s.escrow.connect(s.admin).setSessionTerms(300n, 7_200n, 900n)).to.be.revertedWithCustomError(
        s.escrow,
        "AccessControlUnauthorizedAccount",
      );
    });

    it("sets them through the timelock once the delay has passed", async function () {
      const s = await loadFixture(governedSystem);
      const timelock = s.timelock.connect(s.admin);
      const op = await parameters(s);
      await scheduleOperation(timelock, op);
      await time.increase(2n * DAY);
      const tx = executeOperation(timelock, op);
      await expect(tx)
        .to.emit(s.registry, "CheckInPeriodSet")
        .withArgs(2n * DAY);
      await expect(tx).to.emit(s.registry, "TreasurySet").withArgs(s.admin.address);
      await expect(tx).to.emit(s.escrow, "SessionTermsSet").withArgs(300n, 7_200n, 900n);
      expect([await s.registry.checkInPeriod(), await s.registry.treasury()]).to.deep.equal([
        2n * DAY,
        s.admin.address,
      ]);
      expect([
        await s.escrow.maxQuoteAge(),
        await s.escrow.collectWindow(),
        await s.escrow.acceptWindow(),
      ]).to.deep.equal([300n, 7_200n, 900n]);
    });
  });

  describe("updateDelay", function () {
    it("reverts when called directly, even by the multisig", async function () {
      const s = await loadFixture(governedSystem);
      await expect(s.timelock.connect(s.admin).updateDelay(0n))
        .to.be.revertedWithCustomError(s.timelock, "TimelockUnauthorizedCaller")
        .withArgs(s.admin.address);
    });
  });

  describe("handover (acceptDefaultAdminTransfer through the timelock)", function () {
    it("reverts when executed before the delay", async function () {
      const s = await loadFixture(delayedSystem);
      const timelock = s.timelock.connect(s.admin);
      const handover = await handoverOperation(s);
      await scheduleOperation(timelock, handover);
      await time.increase(DAY);
      await expect(executeOperation(timelock, handover)).to.be.revertedWithCustomError(
        s.timelock,
        "TimelockUnexpectedOperationState",
      );
      for (const name of GOVERNED_CONTRACTS) expect(await s[name].defaultAdmin(), name).to.equal(s.deployer.address);
    });

    it("leaves the timelock the only admin and the deployer no admin role", async function () {
      const s = await loadFixture(governedSystem);
      const timelock = await s.timelock.getAddress();
      for (const name of GOVERNED_CONTRACTS) {
        const c = s[name];
        expect(await c.defaultAdmin(), name).to.equal(timelock);
        expect(await c.hasRole(ZeroHash, s.deployer.address), name).to.equal(false);
        expect(await c.hasRole(ZeroHash, s.admin.address), name).to.equal(false);
        const [pending] = await c.pendingDefaultAdmin();
        expect(pending, name).to.equal(ZeroAddress);
      }
    });
  });
});

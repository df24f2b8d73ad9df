import { AbiCoder, Interface, keccak256, ZeroHash, type ContractTransactionReceipt } from "ethers";

import { GovernanceTimelock__factory } from "../types/factories/governance/GovernanceTimelock__factory.js";
import type { GovernanceTimelock } from "../types/governance/GovernanceTimelock.js";
import type { ContractName, GpufogContracts } from "./deployments.js";

/**
 * The contracts whose default admin the `System` module hands to the timelock (TFT has no admin).
 */
export const GOVERNED_CONTRACTS = [
  "gut",
  "registry",
  "escrow",
  "emission",
  "distributor",
] as const satisfies readonly ContractName[];

/** One call of a timelock operation. */
export interface TimelockCall {
  target: string;
  data: string;
  value?: bigint;
}

/**
 * A batch operation of OpenZeppelin's `TimelockController`, in the argument order of
 * `scheduleBatch`/`executeBatch`. The same five fields identify it on-chain, so the multisig must
 * execute exactly what it scheduled.
 */
export interface TimelockOperation {
  targets: string[];
  values: bigint[];
  payloads: string[];
  predecessor: string;
  salt: string;
}

const ACCEPT_ADMIN = new Interface(["function acceptDefaultAdminTransfer()"]);
const TIMELOCK = GovernanceTimelock__factory.createInterface();

/** A batch of calls as one timelock operation. A new `salt` tells two identical batches apart. */
export function timelockOperation(
  calls: readonly TimelockCall[],
  options: { predecessor?: string; salt?: string } = {},
): TimelockOperation {
  return {
    targets: calls.map((c) => c.target),
    values: calls.map((c) => c.value ?? 0n),
    payloads: calls.map((c) => c.data),
    predecessor: options.predecessor ?? ZeroHash,
    salt: options.salt ?? ZeroHash,
  };
}

/**
 * Governance's first operation after a `System` deployment: the timelock accepts the default
 * admin of every governed contract, which takes it from the deployer (two-step
 * `AccessControlDefaultAdminRules` transfer). Executable once both the timelock's delay and each
 * contract's `adminDelay` have passed since the deployment.
 */
export function acceptAdminOperation(addresses: readonly string[]): TimelockOperation {
  const data = ACCEPT_ADMIN.encodeFunctionData("acceptDefaultAdminTransfer");
  return timelockOperation(addresses.map((target) => ({ target, data })));
}

/** {@link acceptAdminOperation} for the governed contracts of a connected deployment. */
export async function handoverOperation(contracts: GpufogContracts): Promise<TimelockOperation> {
  return acceptAdminOperation(await Promise.all(GOVERNED_CONTRACTS.map((name) => contracts[name].getAddress())));
}

/** The operation id, as `TimelockController.hashOperationBatch` computes it. */
export function operationId(op: TimelockOperation): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["address[]", "uint256[]", "bytes[]", "bytes32", "bytes32"],
      [op.targets, op.values, op.payloads, op.predecessor, op.salt],
    ),
  );
}

/**
 * The calldata a multisig sends to the timelock: `scheduleBatch` now, `executeBatch` once the
 * delay has passed. For a Safe's transaction builder, or any wallet that sends raw data.
 */
export function timelockCalldata(op: TimelockOperation, delay: bigint): { schedule: string; execute: string } {
  const { targets, values, payloads, predecessor, salt } = op;
  return {
    schedule: TIMELOCK.encodeFunctionData("scheduleBatch", [targets, values, payloads, predecessor, salt, delay]),
    execute: TIMELOCK.encodeFunctionData("executeBatch", [targets, values, payloads, predecessor, salt]),
  };
}

/**
 * Schedules `op` on the timelock from its runner (a proposer), with the timelock's minimum delay
 * unless a longer one is given.
 */
export async function scheduleOperation(
  timelock: GovernanceTimelock,
  op: TimelockOperation,
  delay?: bigint,
): Promise<ContractTransactionReceipt> {
  const wait = delay ?? (await timelock.getMinDelay());
  const tx = await timelock.scheduleBatch(op.targets, op.values, op.payloads, op.predecessor, op.salt, wait);
  return (await tx.wait())!;
}

/** Executes a scheduled `op` from the timelock's runner (an executor), once it is ready. */
export async function executeOperation(
  timelock: GovernanceTimelock,
  op: TimelockOperation,
): Promise<ContractTransactionReceipt> {
  const total = op.values.reduce((sum, v) => sum + v, 0n);
  const tx = await timelock.executeBatch(op.targets, op.values, op.payloads, op.predecessor, op.salt, {
    value: total,
  });
  return (await tx.wait())!;
}

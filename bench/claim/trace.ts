import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

import type { InterfaceAbi } from "ethers";

/** What one opcode group cost in a traced call, top frame only; a CALL counts its callee. */
export type GasByGroup = Record<OpcodeGroup, number>;

export type OpcodeGroup =
  | "intrinsic (21,000 + calldata)"
  | "dispatch (to the function's first argument read)"
  | "SLOAD"
  | "SSTORE"
  | "KECCAK256"
  | "CALL, STATICCALL (callee included)"
  | "LOG"
  | "memory (MLOAD, MSTORE)"
  | "calldata reads"
  | "TIMESTAMP and other context"
  | "jumps"
  | "stack (PUSH, DUP, SWAP, POP)"
  | "arithmetic and comparison";

interface StructLog {
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  stack?: string[];
}

const GROUP_OF: [RegExp, OpcodeGroup][] = [
  [/^SLOAD$/, "SLOAD"],
  [/^SSTORE$/, "SSTORE"],
  [/^KECCAK256|SHA3$/, "KECCAK256"],
  [/^(CALL|STATICCALL)$/, "CALL, STATICCALL (callee included)"],
  [/^LOG\d$/, "LOG"],
  [/^(MLOAD|MSTORE8?|MCOPY)$/, "memory (MLOAD, MSTORE)"],
  [/^CALLDATA/, "calldata reads"],
  [/^(TIMESTAMP|CALLER|CALLVALUE|ADDRESS|CHAINID|GAS|RETURNDATA\w*|NUMBER)$/, "TIMESTAMP and other context"],
  [/^(JUMP|JUMPI|JUMPDEST)$/, "jumps"],
  [/^(PUSH\d*|DUP\d+|SWAP\d+|POP)$/, "stack (PUSH, DUP, SWAP, POP)"],
];

const groupOf = (op: string): OpcodeGroup =>
  GROUP_OF.find(([pattern]) => pattern.test(op))?.[1] ?? "arithmetic and comparison";

/**
 * Splits one mined transaction's gas by opcode group with the struct logger
 * (`debug_traceTransaction`): each top-frame instruction costs the gas it left the frame with
 * less what the frame's next instruction starts with, so a CALL carries its callee. The opcodes
 * run before the function reads its first argument (`CALLDATALOAD(4)`: selector, call value and
 * calldata size checks, the dispatcher's comparisons) are counted as "dispatch" whatever they are.
 */
export async function gasByOpcodeGroup(
  request: (args: { method: string; params: unknown[] }) => Promise<unknown>,
  hash: string,
  gasUsed: bigint,
): Promise<GasByGroup> {
  const trace = (await request({
    method: "debug_traceTransaction",
    params: [hash, { disableMemory: true, disableStorage: true }],
  })) as { structLogs: StructLog[] };
  const logs = trace.structLogs;
  const out = Object.fromEntries(
    [
      "intrinsic (21,000 + calldata)",
      "dispatch (to the function's first argument read)",
      ...new Set(GROUP_OF.map(([, g]) => g)),
      "arithmetic and comparison",
    ].map((g) => [g, 0]),
  ) as GasByGroup;
  let dispatching = true;
  let executed = 0;
  for (let i = 0; i < logs.length; i++) {
    const log = logs[i]!;
    if (log.depth !== 1) continue;
    let next = i + 1;
    while (next < logs.length && logs[next]!.depth !== 1) next++;
    const cost = next < logs.length ? log.gas - logs[next]!.gas : log.gasCost;
    if (dispatching && log.op === "CALLDATALOAD" && BigInt(log.stack!.at(-1)!) === 4n) dispatching = false;
    out[dispatching ? "dispatch (to the function's first argument read)" : groupOf(log.op)] += cost;
    executed += cost;
  }
  out["intrinsic (21,000 + calldata)"] = Number(gasUsed) - executed;
  return out;
}

/** The bench's own distributor (`bench/claim/MinimalDistributor.sol`), compiled as hardhat.config.ts compiles TokenSwapDistributor. */
export function compileMinimalDistributor(): { abi: InterfaceAbi; bytecode: string } {
  const solc = createRequire(import.meta.url)("solc") as { compile(input: string): string };
  const here = path.dirname(fileURLToPath(import.meta.url));
  const library = "contracts/libraries/MerkleCalldata.sol";
  const output = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: "Solidity",
        sources: {
          "MinimalDistributor.sol": { content: readFileSync(path.join(here, "MinimalDistributor.sol"), "utf8") },
          [library]: { content: readFileSync(path.join(here, "..", "..", library), "utf8") },
        },
        settings: {
          optimizer: { enabled: true, runs: 10_000 },
          evmVersion: "cancun",
          viaIR: true,
          outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
        },
      }),
    ),
  ) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: InterfaceAbi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const contract = output.contracts["MinimalDistributor.sol"]!["MinimalDistributor"]!;
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
}

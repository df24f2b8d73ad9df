import { HardhatPluginError } from "@nomicfoundation/hardhat-errors";

import { InputError, RpcError } from "../src/errors.js";
import { SnapshotError } from "../src/snapshot/errors.js";

/**
 * Runs a task body and turns the library's expected failures (bad input, an endpoint that is
 * down, a snapshot that does not add up) into Hardhat's plugin errors, which the CLI prints as one clear line without a stack
 * trace. Anything else is a bug and keeps its stack.
 */
export async function cli<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof InputError || error instanceof RpcError || error instanceof SnapshotError) {
      throw new HardhatPluginError("gpufog", error.message, error);
    }
    throw error;
  }
}

/** A `--magic` as typed: `\n` on a command line is a newline in the magic (the default ends with one). */
export function magicOption(text: string): string {
  return text.replace(/\\n/g, "\n").replace(/\\r/g, "\r").replace(/\\t/g, "\t");
}

import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";

import { InputError } from "./errors.js";

/** A text input file's content, or an `InputError` naming the file when it cannot be read. */
export async function readInputFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new InputError(file, undefined, undefined, `cannot be read: ${(error as Error).message}`);
  }
}

/**
 * Writes a file so that readers only ever see the old content or the whole new content: the
 * data goes to a temporary file in the same directory, which is then renamed over the target.
 * A crash or a kill mid-write leaves at most a stray `.tmp` file, never a partial output.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** JSON with bigints written as decimal strings, two-space indented, written atomically. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, toJson(value) + "\n");
}

/** `JSON.stringify` that writes bigints as decimal strings. */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v), indent);
}

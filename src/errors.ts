/**
 * The base of every error the library throws on purpose (bad input, a failing endpoint, a
 * snapshot that does not add up, a wrong old-chain address): `error instanceof GpufogError` tells
 * them from bugs. `name` is the subclass's name.
 */
export class GpufogError extends Error {
  override readonly name: string = "GpufogError";
}

/**
 * Bad input to the tooling: a file, a line in it, and a field on that line, with what is wrong.
 * Library functions throw it before writing anything, so a caller can show the message as is.
 */
export class InputError extends GpufogError {
  override readonly name: string = "InputError";

  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly field: string | undefined,
    readonly problem: string,
  ) {
    // Only the parts there are: no line for an option or a form field, no file for a value a
    // page's form passes with an empty source; with none at all, the problem alone.
    const where = [
      file === "" ? undefined : file,
      line === undefined ? undefined : `line ${line}`,
      field === undefined || field === "" ? undefined : `field "${field}"`,
    ]
      .filter((part) => part !== undefined)
      .join(", ");
    super(where === "" ? problem : `${where}: ${problem}`);
  }
}

/** A remote endpoint that failed after every retry. */
export class RpcError extends GpufogError {
  override readonly name: string = "RpcError";

  constructor(
    readonly endpoint: string,
    readonly attempts: number,
    readonly lastError: string,
  ) {
    super(`${endpoint} did not answer after ${attempts} attempts: ${lastError}`);
  }
}

/**
 * `error` and the errors it wraps, nearest first, depth-first: client libraries keep an
 * endpoint's answer under `error`, `info` or `cause` (ethers nests them, viem chains `cause`).
 * Bounded in depth, and safe against cycles.
 */
export function wrappedErrors(
  error: unknown,
  keys: readonly string[] = ["error", "info", "cause"],
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number) => {
    if (value === null || typeof value !== "object" || seen.has(value) || depth > 5) return;
    seen.add(value);
    const record = value as Record<string, unknown>;
    out.push(record);
    for (const key of keys) visit(record[key], depth + 1);
  };
  visit(error, 0);
  return out;
}

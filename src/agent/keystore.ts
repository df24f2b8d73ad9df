// The agent's key: an encrypted JSON keystore (the Web3 Secret Storage format geth, Foundry's
// `cast wallet` and ethers write) and a file holding its password. A key is never read from the
// command line or the environment, where `ps` and shell histories would show it.
import { existsSync, statSync, writeFileSync } from "node:fs";

import { SigningKey, Wallet, type HDNodeWallet } from "ethers";

import { InputError } from "../errors.js";
import { readInputFile } from "../io.js";
import type { CommonConfig } from "./config.js";

/** Decrypts the keystore of `config` with the first line of its password file. */
export async function loadKey(
  config: Pick<CommonConfig, "file" | "keystore" | "passwordFile">,
): Promise<Wallet | HDNodeWallet> {
  const json = await readInputFile(config.keystore);
  const password = (await readInputFile(config.passwordFile)).split(/\r?\n/)[0]!;
  refuseShared(config.passwordFile, config.file, "passwordFile");
  try {
    return await Wallet.fromEncryptedJson(json, password);
  } catch (error) {
    throw new InputError(
      config.file,
      undefined,
      "keystore",
      `${config.keystore} cannot be decrypted: ${(error as Error).message}`,
    );
  }
}

/**
 * A password file others can read is a key others can use: refused, as ssh refuses a key file, by
 * `keystore new` as by the agents that open the keystore later (`file` and `field` say where it
 * was named).
 */
export function refuseShared(passwordFile: string, file: string, field: string | undefined): void {
  if (process.platform !== "win32" && (statSync(passwordFile).mode & 0o077) !== 0) {
    throw new InputError(file, undefined, field, `${passwordFile} is readable by others; chmod 600 it`);
  }
}

/**
 * Writes a new random key to `out` as a keystore encrypted with the first line of `passwordFile`;
 * returns its address. Refuses to overwrite a file, which may hold a key with funds.
 */
export async function createKeystore(out: string, passwordFile: string): Promise<string> {
  const password = await newPassword(out, passwordFile);
  const wallet = Wallet.createRandom();
  writeFileSync(out, await wallet.encrypt(password), { mode: 0o600, flag: "wx" });
  return wallet.address;
}

/** The checks `keystore new` and `keystore import` share: no overwrite, a private password file of 8+ characters. */
async function newPassword(out: string, passwordFile: string): Promise<string> {
  if (existsSync(out)) throw new InputError(out, undefined, undefined, "exists; choose another --out");
  const password = (await readInputFile(passwordFile)).split(/\r?\n/)[0]!;
  refuseShared(passwordFile, "--password-file", undefined);
  if (password.length < 8)
    throw new InputError(passwordFile, undefined, undefined, "the password must be 8 characters or more");
  return password;
}

/**
 * Writes an existing private key to `out` as a keystore encrypted with the first line of
 * `passwordFile`; returns its address. The key is read from `keyFile` (which must be mode 600, as
 * a password file) or, with `keyFile` "-", from `stdin`: never from the command line. Its first
 * line is the key, 64 hex digits with or without 0x.
 */
export async function importKeystore(
  out: string,
  passwordFile: string,
  keyFile: string,
  stdin: () => Promise<string> = readStdin,
): Promise<string> {
  const password = await newPassword(out, passwordFile);
  let text: string;
  if (keyFile === "-") {
    text = await stdin();
  } else {
    text = await readInputFile(keyFile);
    refuseShared(keyFile, "--key-file", undefined);
  }
  const line = (text.split(/\r?\n/).find((l) => l.trim() !== "") ?? "").trim();
  const hex = line.startsWith("0x") || line.startsWith("0X") ? line.slice(2) : line;
  const where = keyFile === "-" ? "stdin" : keyFile;
  // The key itself is never echoed in an error.
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw new InputError(where, undefined, undefined, "does not hold a private key (64 hex digits, 0x optional)");
  let wallet: Wallet;
  try {
    wallet = new Wallet(new SigningKey(`0x${hex.toLowerCase()}`));
  } catch {
    throw new InputError(where, undefined, undefined, "holds a value that is not a valid secp256k1 private key");
  }
  writeFileSync(out, await wallet.encrypt(password), { mode: 0o600, flag: "wx" });
  return wallet.address;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("private key (hex), then Enter and Ctrl-D: ");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

import { InputError } from "../errors.js";
import { readInputFile } from "../io.js";
import { type HolderClaim } from "./format.js";
import { addressOfKey } from "./legacy/address.js";
import { decodeWif, hash160, publicKeyOf, toHex, type KeyForm } from "./legacy/keys.js";
import { claimMessage, DEFAULT_LEGACY_MAGIC, type ClaimTarget } from "./legacy/message.js";
import { signLegacyMessage } from "./legacy/sign.js";

/** What `airdrop:sign-legacy` needs; nothing here touches a network. */
export interface SignRequest extends ClaimTarget {
  /** The holder's private key in WIF, as the old chain's wallet exports it (`dumpprivkey`). */
  wif: string;
  /** The chain's P2PKH version byte, for the addresses shown. */
  version: number;
  magic?: string;
  /** The HASH160 the key should hash to (from `--address`), if the holder gave one. */
  expected?: string;
  /** Looks a HASH160 up in an airdrop directory, if the holder gave one. */
  lookup?: (hash160: string) => Promise<HolderClaim[]>;
  /** Where the request came from, for errors (a task name). */
  source?: string;
  /** The file and line the WIF was read from (`readWifFile`), so a bad key's error names them. */
  wifOrigin?: WifOrigin;
}

/** Where a WIF key was read from. */
export interface WifOrigin {
  file: string;
  line: number;
}

/**
 * Reads a WIF key file: one line holding the key, blank lines and surrounding spaces ignored.
 * Errors name the file and the line and never contain the key.
 */
export async function readWifFile(file: string): Promise<{ wif: string; origin: WifOrigin }> {
  const text = await readInputFile(file);
  const lines = text.split(/\r?\n/);
  const filled = lines.flatMap((line, i) => (line.trim() === "" ? [] : [i + 1]));
  if (filled.length === 0) {
    throw new InputError(
      file,
      undefined,
      undefined,
      "the file is empty; expected one line holding the WIF private key",
    );
  }
  if (filled.length > 1) {
    throw new InputError(
      file,
      filled[1],
      undefined,
      "a second non-blank line; the file must hold only the WIF private key",
    );
  }
  return { wif: lines[filled[0]! - 1]!.trim(), origin: { file, line: filled[0]! } };
}

/** A signed claim, ready to hand to whoever submits it. */
export interface SignedClaim {
  message: string;
  /** The compact signature, base64. */
  signature: string;
  /** The key in the form used, `0x` hex: `claimLegacy`'s `pubkey`. */
  pubkey: string;
  form: KeyForm;
  /** The P2PKH address of that key form, and its HASH160. */
  address: string;
  hash160: string;
  /** The leaves of that HASH160 when an airdrop directory was given. */
  claims?: HolderClaim[];
  /** Things the holder should know (for example that the other key form was used). */
  notes: string[];
}

/**
 * Signs the claim message from a WIF key. The key form defaults to the WIF's own flag; when an
 * address or an airdrop directory is given and only the other form of the same key matches it,
 * that form is used and a note says so. A key that matches neither is an `InputError` naming both
 * of its addresses.
 */
export async function signLegacyClaim(request: SignRequest): Promise<SignedClaim> {
  const source = request.source ?? "sign-legacy";
  const magic = request.magic ?? DEFAULT_LEGACY_MAGIC;
  let wif;
  try {
    wif = decodeWif(request.wif);
  } catch (error) {
    const { file, line } = request.wifOrigin ?? { file: source, line: undefined };
    throw new InputError(file, line, request.wifOrigin === undefined ? "--wif" : "WIF key", (error as Error).message);
  }
  const forms: KeyForm[] = wif.form === "compressed" ? ["compressed", "uncompressed"] : ["uncompressed", "compressed"];
  const keys = forms.map((form) => {
    const pubkey = publicKeyOf(wif.privateKey, form);
    return { form, pubkey, hash160: toHex(hash160(pubkey)), address: addressOfKey(pubkey, request.version) };
  });
  const both = () => keys.map((k) => `${k.address} (${k.form})`).join(" and ");
  const notes: string[] = [];
  let chosen = keys[0]!;
  if (request.expected !== undefined) {
    const match = keys.find((k) => k.hash160 === request.expected!.toLowerCase());
    if (match === undefined) {
      throw new InputError(
        source,
        undefined,
        "--address",
        `this key's addresses are ${both()}; neither is the address given. Use the WIF of that address (the old wallet's dumpprivkey <address>)`,
      );
    }
    chosen = match;
  }
  let claims: HolderClaim[] | undefined;
  if (request.lookup !== undefined) {
    const found = [];
    for (const k of request.expected === undefined ? keys : [chosen])
      found.push({ k, claims: await request.lookup(k.hash160) });
    const hit = found.find((f) => f.claims.length > 0);
    if (hit === undefined) {
      const which = request.expected === undefined ? `this key's addresses ${both()} are` : `${chosen.address} is`;
      throw new InputError(
        source,
        undefined,
        "--airdrop",
        `${which} not in this airdrop: nothing to claim with this key`,
      );
    }
    chosen = hit.k;
    claims = hit.claims;
  }
  if (chosen.form !== wif.form) {
    notes.push(
      `the WIF is marked ${wif.form}, but the snapshot address ${chosen.address} was made from the ${chosen.form} key: signing with the ${chosen.form} form`,
    );
  }
  const message = claimMessage(request);
  return {
    message,
    signature: signLegacyMessage(message, wif.privateKey, chosen.form, magic),
    pubkey: toHex(chosen.pubkey),
    form: chosen.form,
    address: chosen.address,
    hash160: chosen.hash160,
    claims,
    notes,
  };
}

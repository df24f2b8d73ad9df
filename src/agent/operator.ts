// What an operator does once, with the provider's own (cold) key, before the agent runs: name the
// agent's (hot) key the provider's operator in the registry (`gpufog operator set`), see who it is
// (`gpufog operator show`), and send the hot key gas money (`gpufog fund`). The cold keystore is
// named by the config's "providerKeystore" and "providerPasswordFile" or by flags; the agent
// itself never opens it.
import { getAddress, isAddress, parseEther, type HDNodeWallet, type Wallet } from "ethers";

import { getContracts } from "../deployments.js";
import { InputError } from "../errors.js";
import { formatToken } from "../format.js";
import type { ProviderConfig } from "./config.js";
import { loadKey } from "./keystore.js";
import { Metrics } from "./metrics.js";
import { connect, readBook } from "./runtime.js";
import { keystoreAddress } from "./status.js";

/** Where the provider's own keystore is: the flags, else the config's fields. */
export interface ColdKeyOptions {
  keystore?: string;
  passwordFile?: string;
}

/** A native amount for people: `0.9999 ETH` (cut, not rounded, to 4 decimals). */
export const eth = (wei: bigint): string => formatToken(wei, "ETH", 18, 4);

/** The provider the config runs: "provider", else the address of the agent's own keystore. */
function providerOf(config: ProviderConfig): string {
  return config.provider ?? keystoreAddress(config);
}

/** Opens the provider's cold key and refuses a key that is not the provider's. */
async function coldKey(config: ProviderConfig, o: ColdKeyOptions): Promise<Wallet | HDNodeWallet> {
  const keystore = o.keystore ?? config.providerKeystore;
  const passwordFile = o.passwordFile ?? config.providerPasswordFile;
  if (keystore === undefined || passwordFile === undefined) {
    throw new InputError(
      config.file,
      undefined,
      "providerKeystore",
      'the provider\'s own keystore is needed: set "providerKeystore" and "providerPasswordFile" or pass --keystore and --password-file',
    );
  }
  const key = await loadKey({ file: o.keystore !== undefined ? "--keystore" : config.file, keystore, passwordFile });
  const provider = providerOf(config);
  if (key.address !== provider) {
    throw new InputError(
      keystore,
      undefined,
      undefined,
      `holds ${key.address}, not the provider ${provider}: only the provider's own key can do this`,
    );
  }
  return key;
}

/** `gpufog operator set`: names `operator` (the config's keystore if omitted) the provider's operator. */
export async function setOperator(
  config: ProviderConfig,
  operator: string | undefined,
  o: ColdKeyOptions,
): Promise<string> {
  const target = operator === undefined ? keystoreAddress(config) : parseAddress(operator, "--operator");
  const key = await coldKey(config, o);
  const book = readBook(config);
  const rpc = connect(config, book, new Metrics());
  try {
    const { registry } = getContracts(book, key.connect(rpc));
    const before = await registry.operatorOf(key.address);
    if (before === target) return `${target} is already the operator of ${key.address}; nothing sent`;
    const receipt = await (await registry.setOperator(target)).wait();
    const after = await registry.operatorOf(key.address);
    return `operator of ${key.address} set to ${after} (was ${before === ZERO ? "none" : before}) in ${receipt!.hash}, block ${receipt!.blockNumber}`;
  } finally {
    rpc.destroy();
  }
}

/** `gpufog operator show`: the provider, its operator in the registry, and whether the agent's key is it. */
export async function showOperator(config: ProviderConfig): Promise<string> {
  const book = readBook(config);
  const rpc = connect(config, book, new Metrics());
  try {
    const { registry } = getContracts(book, rpc);
    const provider = providerOf(config);
    const agent = keystoreAddress(config);
    const operator = await registry.operatorOf(provider);
    const verdict =
      agent === provider
        ? "the agent runs with the provider's own key"
        : operator === agent
          ? "the agent's key is the operator"
          : `the agent's key ${agent} is NOT the operator: gpufog operator set --config ${config.file}`;
    return [
      `provider ${provider} on chain ${book.chainId}`,
      `operator ${operator === ZERO ? "none" : operator}`,
      `agent key ${agent}, balance ${eth(await rpc.getBalance(agent))}: ${verdict}`,
    ].join("\n");
  } finally {
    rpc.destroy();
  }
}

/** `gpufog fund`: sends `amount` ETH (decimal) from the provider's cold key to `to` ("operator": the agent's key). */
export async function fund(config: ProviderConfig, to: string, amount: string, o: ColdKeyOptions): Promise<string> {
  const target = to === "operator" || to === "agent" ? keystoreAddress(config) : parseAddress(to, "--to");
  if (!/^\d+(\.\d{1,18})?$/.test(amount.trim()))
    throw new InputError("--amount", undefined, undefined, `"${amount}" is not an amount of ETH such as 0.05`);
  const value = parseEther(amount.trim());
  if (value === 0n) throw new InputError("--amount", undefined, undefined, "must be more than 0");
  const key = await coldKey(config, o);
  if (target === key.address)
    throw new InputError("--to", undefined, undefined, "is the provider's own key: nothing to fund");
  const book = readBook(config);
  const rpc = connect(config, book, new Metrics());
  try {
    const signer = key.connect(rpc);
    const [fromBefore, toBefore] = await Promise.all([rpc.getBalance(key.address), rpc.getBalance(target)]);
    if (fromBefore < value)
      throw new InputError(
        "--amount",
        undefined,
        undefined,
        `${eth(value)} is more than the provider holds (${eth(fromBefore)})`,
      );
    const receipt = await (await signer.sendTransaction({ to: target, value })).wait();
    const [fromAfter, toAfter] = await Promise.all([rpc.getBalance(key.address), rpc.getBalance(target)]);
    return (
      `sent ${eth(value)} from ${key.address} to ${target} in ${receipt!.hash}, block ${receipt!.blockNumber}; ` +
      `provider ${eth(fromBefore)} → ${eth(fromAfter)}, ${to === "operator" || to === "agent" ? "operator" : "recipient"} ${eth(toBefore)} → ${eth(toAfter)}`
    );
  } finally {
    rpc.destroy();
  }
}

const ZERO = "0x0000000000000000000000000000000000000000";

function parseAddress(value: string, flag: string): string {
  if (!isAddress(value)) throw new InputError(flag, undefined, undefined, `"${value}" is not an address`);
  return getAddress(value);
}

import { createRequire } from "node:module";

import { Contract, ContractFactory, keccak256, type ContractRunner, type InterfaceAbi, type Signer } from "ethers";

const require = createRequire(import.meta.url);

interface Artifact {
  abi: InterfaceAbi;
  bytecode: string;
}

/** Uniswap's own compiled contracts, as published on npm (`@uniswap/v2-core`, `@uniswap/v2-periphery`). */
function artifact(path: string): Artifact {
  const json = require(path) as { abi: InterfaceAbi; bytecode: string };
  return { abi: json.abi, bytecode: json.bytecode.startsWith("0x") ? json.bytecode : `0x${json.bytecode}` };
}

export const uniswapArtifacts = {
  factory: () => artifact("@uniswap/v2-core/build/UniswapV2Factory.json"),
  pair: () => artifact("@uniswap/v2-core/build/UniswapV2Pair.json"),
  router: () => artifact("@uniswap/v2-periphery/build/UniswapV2Router02.json"),
  weth: () => artifact("@uniswap/v2-periphery/build/WETH9.json"),
};

/**
 * The pair init-code hash that Router02 (through UniswapV2Library.pairFor) hard-codes to compute
 * pair addresses without a call. It must equal keccak256 of the Pair creation code the factory
 * deploys, or every router call reaches a wrong address.
 */
export const ROUTER02_PAIR_INIT_CODE_HASH = "0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f";

/** keccak256 of the v2-core Pair creation code from npm, and whether Router02's bytecode embeds it. */
export function checkPairInitCodeHash(): { pairHash: string; routerEmbedsPairHash: boolean } {
  const pairHash = keccak256(uniswapArtifacts.pair().bytecode);
  const routerEmbedsPairHash = uniswapArtifacts.router().bytecode.toLowerCase().includes(pairHash.slice(2));
  return { pairHash, routerEmbedsPairHash };
}

export interface UniswapV2 {
  factory: Contract;
  router: Contract;
  weth: Contract;
}

/** Deploys WETH9, the V2 factory and Router02 from the npm artifacts. */
export async function deployUniswapV2(deployer: Signer): Promise<UniswapV2> {
  const { pairHash, routerEmbedsPairHash } = checkPairInitCodeHash();
  if (!routerEmbedsPairHash) throw new Error(`Router02 does not embed the Pair init-code hash ${pairHash}`);
  const deploy = async (a: Artifact, args: unknown[]) => {
    const contract = await new ContractFactory(a.abi, a.bytecode, deployer).deploy(...args);
    await contract.waitForDeployment();
    return new Contract(await contract.getAddress(), a.abi, deployer);
  };
  const weth = await deploy(uniswapArtifacts.weth(), []);
  const factory = await deploy(uniswapArtifacts.factory(), [await deployer.getAddress()]);
  const router = await deploy(uniswapArtifacts.router(), [await factory.getAddress(), await weth.getAddress()]);
  return { factory, router, weth };
}

/** Router02 at `router`, with the factory and WETH it was deployed with. */
export async function connectUniswapV2(router: string, runner: ContractRunner): Promise<UniswapV2> {
  const r = new Contract(router, uniswapArtifacts.router().abi, runner);
  const [factory, weth] = [(await r.getFunction("factory")()) as string, (await r.getFunction("WETH")()) as string];
  return {
    router: r,
    factory: new Contract(factory, uniswapArtifacts.factory().abi, runner),
    weth: new Contract(weth, uniswapArtifacts.weth().abi, runner),
  };
}

/** A pair contract with the v2-core ABI. */
export function pairAt(address: string, runner: ContractRunner): Contract {
  return new Contract(address, uniswapArtifacts.pair().abi, runner);
}

/** The pair of two tokens, or throws if the factory has none. */
export async function getPair(factory: Contract, tokenA: string, tokenB: string): Promise<string> {
  const pair = (await factory.getFunction("getPair")(tokenA, tokenB)) as string;
  if (/^0x0{40}$/.test(pair)) throw new Error(`no Uniswap V2 pair for ${tokenA} and ${tokenB}`);
  return pair;
}

interface Approvable {
  approve(spender: string, amount: bigint): Promise<unknown>;
  getAddress(): Promise<string>;
}

/** Approves the router and adds liquidity (creating the pair if needed); returns the pair address. */
export async function addLiquidity(
  uni: UniswapV2,
  provider: Signer,
  tokenA: Approvable,
  amountA: bigint,
  tokenB: Approvable,
  amountB: bigint,
): Promise<string> {
  const routerAddress = await uni.router.getAddress();
  await (await (tokenA.approve(routerAddress, amountA) as Promise<{ wait(): Promise<unknown> }>)).wait();
  await (await (tokenB.approve(routerAddress, amountB) as Promise<{ wait(): Promise<unknown> }>)).wait();
  const [a, b] = [await tokenA.getAddress(), await tokenB.getAddress()];
  const router = uni.router.connect(provider) as Contract;
  const tx = (await router.getFunction("addLiquidity")(
    a,
    b,
    amountA,
    amountB,
    0n,
    0n,
    await provider.getAddress(),
    2n ** 64n,
  )) as { wait(): Promise<unknown> };
  await tx.wait();
  return getPair(uni.factory, a, b);
}

/** Uniswap V2's `getAmountOut`: the output of a swap of `amountIn` against the reserves, 0.3 % fee. */
export function getAmountOut(amountIn: bigint, reserveIn: bigint, reserveOut: bigint): bigint {
  const withFee = amountIn * 997n;
  return (withFee * reserveOut) / (reserveIn * 1000n + withFee);
}

/** The least `minTftOut` the emission contract accepts for a TWAP quote: `quote × (1 − bps)`, rounded down. */
export function minTftOut(twapQuote: bigint, maxSlippageBps: bigint): bigint {
  if (maxSlippageBps < 0n || maxSlippageBps > 10_000n) throw new RangeError(`slippage ${maxSlippageBps} bps`);
  return (twapQuote * (10_000n - maxSlippageBps)) / 10_000n;
}

/** One cumulative-price observation, as the emission contract stores it. */
export interface CumulativeObservation {
  timestamp: bigint;
  price0Cumulative: bigint;
  price1Cumulative: bigint;
}

/** A pair's state as read in one block. */
export interface PairState {
  price0CumulativeLast: bigint;
  price1CumulativeLast: bigint;
  reserve0: bigint;
  reserve1: bigint;
  blockTimestampLast: bigint;
}

const U256 = 1n << 256n;

/** The pair's cumulative prices as if it were updated at `now` (UniswapV2OracleLibrary). */
export function currentCumulative(pair: PairState, now: bigint): [bigint, bigint] {
  const elapsed = (now - pair.blockTimestampLast) % (1n << 32n);
  let [c0, c1] = [pair.price0CumulativeLast, pair.price1CumulativeLast];
  if (elapsed > 0n && pair.reserve0 > 0n && pair.reserve1 > 0n) {
    c0 = (c0 + ((pair.reserve1 << 112n) / pair.reserve0) * elapsed) % U256;
    c1 = (c1 + ((pair.reserve0 << 112n) / pair.reserve1) * elapsed) % U256;
  }
  return [c0, c1];
}

/**
 * The TWAP quote the emission contract computes for one hop: from the newest observation at least
 * `window` old (refused when there is none, or when it is older than `2 × window`) to `now`.
 */
export function twapQuoteHop(
  observations: CumulativeObservation[],
  pair: PairState,
  now: bigint,
  window: bigint,
  tokenInIsToken0: boolean,
  amountIn: bigint,
): bigint {
  const aged = observations
    .filter((o) => o.timestamp > 0n && now - o.timestamp >= window)
    .sort((a, b) => (a.timestamp > b.timestamp ? -1 : 1));
  const best = aged[0];
  if (best === undefined) throw new Error(`no observation is ${window} s old yet: call observe and wait`);
  const age = now - best.timestamp;
  if (age > 2n * window) throw new Error(`the newest usable observation is stale (${age} s old): call observe`);
  const [c0, c1] = currentCumulative(pair, now);
  const diff = tokenInIsToken0 ? c0 - best.price0Cumulative : c1 - best.price1Cumulative;
  const average = (((diff % U256) + U256) % U256) / age;
  return (average * amountIn) >> 112n;
}

/** Reads a pair's state for {@link twapQuoteHop}. */
export async function readPairState(pair: Contract): Promise<PairState> {
  const [reserve0, reserve1, blockTimestampLast] = (await pair.getFunction("getReserves")()) as [
    bigint,
    bigint,
    bigint,
  ];
  return {
    price0CumulativeLast: (await pair.getFunction("price0CumulativeLast")()) as bigint,
    price1CumulativeLast: (await pair.getFunction("price1CumulativeLast")()) as bigint,
    reserve0,
    reserve1,
    blockTimestampLast,
  };
}

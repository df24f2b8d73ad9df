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

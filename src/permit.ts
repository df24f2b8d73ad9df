import { Signature, type Signer, type TypedDataDomain } from "ethers";

/** The part of an ERC-2612 token with ERC-5267 domain discovery that a permit signer needs. */
export interface PermitToken {
  getAddress(): Promise<string>;
  nonces(owner: string): Promise<bigint>;
  eip712Domain(): Promise<[string, string, string, bigint, string, string, bigint[]]>;
}

export interface SignedPermit {
  owner: string;
  spender: string;
  value: bigint;
  deadline: bigint;
  v: number;
  r: string;
  s: string;
}

const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export interface PermitTypedData {
  domain: TypedDataDomain;
  types: typeof PERMIT_TYPES;
  message: { owner: string; spender: string; value: bigint; nonce: bigint; deadline: bigint };
}

/**
 * The EIP-712 payload of an ERC-2612 permit. The domain is read from the token itself
 * (ERC-5267), so it cannot name a different token, version or chain by mistake.
 */
export async function permitTypedData(
  token: PermitToken,
  owner: string,
  spender: string,
  value: bigint,
  deadline: bigint,
): Promise<PermitTypedData> {
  const [, name, version, chainId, verifyingContract] = await token.eip712Domain();
  const nonce = await token.nonces(owner);
  return {
    domain: { name, version, chainId, verifyingContract },
    types: PERMIT_TYPES,
    message: { owner, spender, value, nonce, deadline },
  };
}

/** Signs an ERC-2612 permit off-chain with the owner's key. */
export async function signPermit(
  token: PermitToken,
  owner: Signer,
  spender: string,
  value: bigint,
  deadline: bigint,
): Promise<SignedPermit> {
  const ownerAddress = await owner.getAddress();
  const { domain, types, message } = await permitTypedData(token, ownerAddress, spender, value, deadline);
  const { v, r, s } = Signature.from(await owner.signTypedData(domain, types, message));
  return { owner: ownerAddress, spender, value, deadline, v, r, s };
}

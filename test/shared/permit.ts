import { expect } from "chai";
import { Signature } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import { permitTypedData, signPermit } from "../../src/permit.js";
import type { GUT, TFT } from "../../types/index.js";

export interface PermitFixture {
  token: GUT | TFT;
  owner: HardhatEthersSigner;
  spender: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  now: () => Promise<number>;
}

/** The ERC-2612 behaviour both tokens share: the happy path, expiry, a forged signer, replay. */
export function shouldBehaveLikePermit(load: () => Promise<PermitFixture>): void {
  describe("permit", function () {
    it("sets an allowance from an off-chain signature", async function () {
      const { token, owner, spender, now } = await load();
      const deadline = BigInt(await now()) + 3600n;
      const p = await signPermit(token, owner, spender.address, 7n, deadline);
      await token.connect(spender).permit(p.owner, p.spender, p.value, p.deadline, p.v, p.r, p.s);
      expect(await token.allowance(owner.address, spender.address)).to.equal(7n);
      expect(await token.nonces(owner.address)).to.equal(1n);
    });

    it("reverts when the permit has expired", async function () {
      const { token, owner, spender, now } = await load();
      const deadline = BigInt(await now()) - 1n;
      const p = await signPermit(token, owner, spender.address, 7n, deadline);
      await expect(token.permit(p.owner, p.spender, p.value, p.deadline, p.v, p.r, p.s))
        .to.be.revertedWithCustomError(token, "ERC2612ExpiredSignature")
        .withArgs(deadline);
    });

    it("reverts when the permit was signed by someone else", async function () {
      const { token, owner, spender, stranger, now } = await load();
      const deadline = BigInt(await now()) + 3600n;
      const { domain, types, message } = await permitTypedData(token, owner.address, spender.address, 7n, deadline);
      const forged = Signature.from(await stranger.signTypedData(domain, types, message));
      await expect(token.permit(owner.address, spender.address, 7n, deadline, forged.v, forged.r, forged.s))
        .to.be.revertedWithCustomError(token, "ERC2612InvalidSigner")
        .withArgs(stranger.address, owner.address);
    });

    it("reverts when a used permit is replayed", async function () {
      const { token, owner, spender, now } = await load();
      const deadline = BigInt(await now()) + 3600n;
      const p = await signPermit(token, owner, spender.address, 7n, deadline);
      await token.permit(p.owner, p.spender, p.value, p.deadline, p.v, p.r, p.s);
      await expect(token.permit(p.owner, p.spender, p.value, p.deadline, p.v, p.r, p.s)).to.be.revertedWithCustomError(
        token,
        "ERC2612InvalidSigner",
      );
    });
  });
}

import { GpufogError } from "../../errors.js";

/**
 * A snapshot that cannot be trusted: the logs do not add up (a balance would go negative, the
 * sum differs from `totalSupply()`, a sampled `balanceOf()` differs), or the endpoint returned
 * logs that do not fit the request. Nothing is written when one is thrown.
 */
export class SnapshotError extends GpufogError {
  override readonly name: string = "SnapshotError";
}

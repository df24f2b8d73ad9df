export { permitTypedData, signPermit, type PermitToken, type PermitTypedData, type SignedPermit } from "./permit.js";
export { formatToken } from "./format.js";

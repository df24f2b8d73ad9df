export * from "./errors.js";
export * from "./format.js";
export * from "./io.js";
export * from "./permit.js";
export * from "./registry.js";
export * from "./rpc/index.js";
export * from "./snapshot/index.js";

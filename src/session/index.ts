// The lease session's API messages, for a third party writing a client or a provider agent of its
// own. Browser-safe: no Node built-in and no client library.
export * from "./messages.js";

// The customer's side of the lease session while the page is open: for an open lease whose session
// key this browser keeps, a cumulative receipt (the package's typed data) signed with the key every
// receipt interval of the provider's agent and posted to it, each paying through the chain's now
// plus the chosen prepay horizon; and the lease's access (what the provider's start hook returned),
// asked of the agent with a request signed by the session key. The provider's agent stops serving
// a lease after two missed intervals and closes it with its best receipt, so the page says when
// receipts stop: a request that failed, or a gap longer than an interval (the tab or the computer
// slept, and the browser's timers with it).
import {
  accessMessage,
  accessRequestToJson,
  escrowDomain,
  parseAccessAnswer,
  parseReceiptAck,
  RECEIPT_TYPES,
  receiptToJson,
  SESSION_ROUTES,
} from "gpufog";
import { useEffect, useRef, useState } from "react";
import type { Address } from "viem";
import { useConfig } from "wagmi";

import { agentPost, nodeEndpoint } from "./agent.ts";
import type { AppConfig } from "./config.ts";
import { sessionAccount } from "./session.ts";

/** The prepay horizons offered, in seconds: how far ahead of the chain's now each receipt pays. */
export const HORIZONS = [120n, 600n, 3600n] as const;
const HORIZON_STORE = "gpufog.prepayHorizon";
/** The agent's receipt interval when its endpoint does not say (the agent's default). */
const DEFAULT_INTERVAL = 60;

/** The prepay horizon chosen in this browser (kept across visits), and its setter. */
export function useHorizon(): [bigint, (h: bigint) => void] {
  const [horizon, setHorizon] = useState<bigint>(() => {
    const kept = localStorage.getItem(HORIZON_STORE);
    return HORIZONS.find((h) => String(h) === kept) ?? 600n;
  });
  return [
    horizon,
    (h) => {
      localStorage.setItem(HORIZON_STORE, String(h));
      setHorizon(h);
    },
  ];
}

export interface LeaseSession {
  /** The agent's receipt interval, in seconds, once its endpoint answered. */
  interval?: number;
  /** Receipts the agent acknowledged since the page opened. */
  sent: number;
  /** The `paidThrough` of the receipt the agent holds, by its last acknowledgement. */
  paidThrough?: bigint;
  /** Why the last receipt was not acknowledged; cleared by the next one that is. */
  failure?: string;
  /** The longest gap between two receipts that passed the interval (the tab slept), in seconds. */
  gap?: number;
  /** The start hook's answer, once the agent gives it. */
  access?: Record<string, unknown>;
  /** Why the access is not shown yet (not ready, refused). */
  accessPending?: string;
}

/**
 * Runs the lease session of lease `leaseId` on node `nodeId` while the component is mounted and
 * `active` (the lease is open and this browser keeps `sessionKey`). `chainNow` gives the chain's
 * time now (read when each receipt is signed); `horizon` is the prepay horizon in seconds.
 */
export function useLeaseSession(
  app: AppConfig,
  lease: { id: bigint; nodeId: bigint; sessionKey: Address },
  active: boolean,
  horizon: bigint,
  chainNow: () => bigint,
): LeaseSession {
  const config = useConfig();
  const [session, setSession] = useState<LeaseSession>({ sent: 0 });
  // Read by the running loop at each receipt, so a new choice applies from the next receipt on.
  const horizonRef = useRef(horizon);
  horizonRef.current = horizon;
  const nowRef = useRef(chainNow);
  nowRef.current = chainNow;
  const { id, nodeId, sessionKey } = lease;

  useEffect(() => {
    if (!active) return;
    const account = sessionAccount(sessionKey);
    if (!account) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let endpoint: string | undefined;
    let interval = DEFAULT_INTERVAL;
    let lastSent: bigint | undefined;
    /** When the browser was asked to run the next receipt (undefined before the first). */
    let dueAtMs: number | undefined;
    const domain = escrowDomain(BigInt(app.chain.id), app.contracts.escrow);
    const update = (change: Partial<LeaseSession> | ((s: LeaseSession) => Partial<LeaseSession>)) =>
      !stopped && setSession((s) => ({ ...s, ...(typeof change === "function" ? change(s) : change) }));

    const sendReceipt = async (endpointUrl: string) => {
      // Cumulative and never lower than the last one sent: the agent refuses a receipt that pays less.
      // At least an interval ahead, so that the served time between two receipts is always paid.
      const ahead = horizonRef.current > BigInt(interval) ? horizonRef.current : BigInt(interval);
      let paidThrough = nowRef.current() + ahead;
      if (lastSent !== undefined && paidThrough < lastSent) paidThrough = lastSent;
      const receipt = { leaseId: id, paidThrough };
      const signature = await account.signTypedData({
        domain: { ...domain, verifyingContract: app.contracts.escrow },
        types: RECEIPT_TYPES,
        primaryType: "Receipt",
        message: receipt,
      });
      const body = receiptToJson({ chainId: domain.chainId, escrow: app.contracts.escrow, receipt, signature });
      const ack = parseReceiptAck(
        await agentPost(endpointUrl, SESSION_ROUTES.receipts, body),
        `the answer of ${endpointUrl}`,
      );
      lastSent = paidThrough;
      update((s) => ({ sent: s.sent + 1, paidThrough: ack.paidThrough, failure: undefined }));
    };

    // Asked after each receipt until the agent gives it: it has none before the start hook answered.
    let accessDone = false;
    const askAccess = async (endpointUrl: string) => {
      if (accessDone) return;
      try {
        const at = BigInt(Math.floor(Date.now() / 1000));
        const request = { chainId: domain.chainId, escrow: app.contracts.escrow, leaseId: id, at };
        const signature = await account.signMessage({ message: accessMessage(request) });
        const answer = parseAccessAnswer(
          await agentPost(endpointUrl, SESSION_ROUTES.access, accessRequestToJson({ request, signature })),
          `the access answer of ${endpointUrl}`,
        );
        accessDone = true;
        update({ access: answer.access, accessPending: undefined });
      } catch (error) {
        update({ accessPending: String((error as Error).message ?? error) });
      }
    };

    const tick = async () => {
      // A timer late by more than half an interval: the browser held it (a sleeping tab or computer).
      if (dueAtMs !== undefined && Date.now() - dueAtMs > interval * 500) {
        const gap = Math.round((Date.now() - dueAtMs) / 1000) + interval;
        update((s) => ({ gap: Math.max(s.gap ?? 0, gap) }));
      }
      try {
        if (endpoint === undefined) {
          const url = await nodeEndpoint(app, config, nodeId);
          const info = (await fetch(url, { signal: AbortSignal.timeout(15_000) })
            .then((r) => r.json())
            .catch(() => undefined)) as { receiptIntervalSeconds?: unknown } | undefined;
          const said = info?.receiptIntervalSeconds;
          if (typeof said === "number" && Number.isFinite(said) && said >= 1) interval = said;
          endpoint = url;
          update({ interval });
        }
        await sendReceipt(endpoint);
      } catch (error) {
        update({ failure: String((error as Error).message ?? error) });
      }
      if (endpoint !== undefined) await askAccess(endpoint);
      if (!stopped) {
        dueAtMs = Date.now() + interval * 1000;
        timer = setTimeout(() => void tick(), interval * 1000);
      }
    };

    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [app, config, id, nodeId, sessionKey, active]);

  return session;
}

// Sends the agent's transactions one at a time from one account, with one nonce counter kept in
// the state file. A transaction is recorded (signed, with its nonce) before it is broadcast, so a
// restart re-broadcasts it and waits for it instead of sending the job again at a new nonce.
// A transaction not mined after `stuckAfterMs` is re-signed at the same nonce with both fees
// raised by `feeBumpPercent`, never above the gas price cap.
// On stop, nothing new is signed, and the transaction in flight is waited for a little longer
// (`STOP_GRACE_MS`, inside systemd's stop timeout) so that a stop rarely leaves one behind.
import { setTimeout as delay } from "node:timers/promises";

import { Transaction, type Interface, type TransactionReceipt, type Wallet, type HDNodeWallet } from "ethers";

import { sleep } from "../registry.js";
import { decodeRevert } from "../revert.js";
import type { CommonConfig } from "./config.js";
import { reasonOf, type Logger } from "./log.js";
import type { Metrics } from "./metrics.js";
import type { FallbackRpcProvider } from "./rpc.js";
import { saveState, type AgentState, type PendingTx } from "./state.js";

/** A job the sender refused before signing: it would revert, or gas is above the cap. */
/** Two storage writes that found their slot zeroed since the estimate (2 × 17,100), and margin. */
const WRITE_HEADROOM = 50_000n;

export class JobSkipped extends Error {
  override readonly name = "JobSkipped";
}

export interface SendRequest {
  /** What the transaction does, for logs and metrics ("checkIn", "closeLease 7"). */
  label: string;
  to: string;
  data: string;
  /** The job's worth in wei of the native coin; a job whose gas costs more is skipped. */
  valueWei?: bigint;
}

export interface SenderOptions {
  config: Pick<
    CommonConfig,
    "maxFeePerGas" | "priorityFee" | "stuckAfterMs" | "feeBumpPercent" | "pollMs" | "stateFile"
  >;
  wallet: Wallet | HDNodeWallet;
  provider: FallbackRpcProvider;
  state: AgentState;
  log: Logger;
  metrics: Metrics;
  signal: AbortSignal;
  dryRun: boolean;
  /** The contracts' interfaces, to name a revert. */
  abis: Interface[];
}

const bump = (value: bigint, percent: number) => (value * BigInt(100 + percent) + 99n) / 100n;

/** How long a stopping agent still waits for its transaction in flight to be mined. */
export const STOP_GRACE_MS = 10_000;

export class TxSender {
  constructor(private readonly o: SenderOptions) {}

  get address(): string {
    return this.o.wallet.address;
  }

  /**
   * Finishes the transaction a previous run left in flight, if any: re-broadcasts its newest
   * version and waits for it (replacing it if stuck). Returns false if stopped meanwhile.
   */
  async settlePending(): Promise<boolean> {
    const pending = this.o.state.pending;
    // A dry run sends nothing, not even a transaction a previous run left in flight.
    if (pending === null || this.o.dryRun) return true;
    this.o.log("info", "tx_resume", { label: pending.label, nonce: pending.nonce, hash: pending.hashes.at(-1) });
    this.o.metrics.inc("gpufog_transactions_resumed_total", { job: jobOf(pending.label) });
    await this.broadcast(pending.raw);
    return (await this.wait(pending)) !== undefined;
  }

  /**
   * Sends one transaction and waits until it is mined. Throws `JobSkipped` when it would revert
   * (with the decoded reason), when gas is above the cap or costs more than `valueWei`. Resolves
   * with `null` in a dry run or when stopped before the receipt (the state keeps the transaction).
   */
  async send(req: SendRequest): Promise<TransactionReceipt | null> {
    if (!(await this.settlePending())) return null;
    const { provider, wallet, config } = this.o;
    let gas: bigint;
    try {
      gas = await provider.estimateGas({ from: wallet.address, to: req.to, data: req.data });
    } catch (error) {
      const revert = decodeRevert(error, this.o.abis);
      throw new JobSkipped(`would revert: ${revert === undefined ? reasonOf(error) : revert.message}`);
    }
    const block = await provider.getBlock("latest");
    const base = block?.baseFeePerGas ?? (await provider.getFeeData()).gasPrice ?? 0n;
    const tip = config.priorityFee < config.maxFeePerGas ? config.priorityFee : config.maxFeePerGas;
    if (base + tip > config.maxFeePerGas) {
      throw new JobSkipped(`gas price ${base + tip} wei is above the cap ${config.maxFeePerGas} wei`);
    }
    const maxFee = base * 2n + tip < config.maxFeePerGas ? base * 2n + tip : config.maxFeePerGas;
    // Price the job at the fee it will likely pay (base + tip). The limit is the estimate with 20 %
    // headroom plus a fixed 50,000: another party's transaction between the estimate and the block
    // can zero a slot this one writes (a withdrawal zeroes the earnings a collect adds to, a fee
    // forwarding the fees due), and writing a zero slot costs 17,100 gas more. Seen in CI: a
    // collect out of gas after the keeper's forwarding. Unused gas is not paid.
    const gasLimit = (gas * 12n) / 10n + WRITE_HEADROOM;
    const cost = gas * (base + tip);
    if (req.valueWei !== undefined && cost > req.valueWei) {
      throw new JobSkipped(`gas ${cost} wei exceeds the job's value ${req.valueWei} wei`);
    }
    if (this.o.dryRun) {
      this.o.log("info", "would_send", { label: req.label, to: req.to, gas, costWei: cost });
      return null;
    }
    if (this.o.signal.aborted) return null;
    const chainNonce = await provider.getTransactionCount(wallet.address, "latest");
    const nonce = Math.max(chainNonce, this.o.state.nonce);
    const tx = Transaction.from({
      type: 2,
      chainId: provider._network.chainId,
      nonce,
      to: req.to,
      data: req.data,
      gasLimit,
      maxFeePerGas: maxFee,
      maxPriorityFeePerGas: tip,
    });
    const raw = await wallet.signTransaction(tx);
    const pending: PendingTx = {
      label: req.label,
      nonce,
      to: req.to,
      data: req.data,
      gasLimit: gasLimit.toString(),
      maxFeePerGas: maxFee.toString(),
      maxPriorityFeePerGas: tip.toString(),
      hashes: [Transaction.from(raw).hash!],
      raw,
      sentAt: Date.now(),
    };
    this.o.state.pending = pending;
    this.o.state.nonce = nonce;
    saveState(config.stateFile, this.o.state);
    this.o.metrics.inc("gpufog_transactions_sent_total", { job: jobOf(req.label) });
    this.o.log("info", "tx_sent", { label: req.label, nonce, hash: pending.hashes[0], maxFeePerGas: maxFee });
    await this.broadcast(raw);
    return (await this.wait(pending)) ?? null;
  }

  /** Broadcasts a signed transaction; a node that already has it (or mined it) is no failure. */
  private async broadcast(raw: string): Promise<void> {
    try {
      await this.o.provider.send("eth_sendRawTransaction", [raw]);
    } catch (error) {
      const text = reasonOf(error);
      if (
        /already known|known transaction|nonce too low|already imported|replacement transaction underpriced/i.test(text)
      )
        return;
      // Not fatal: the wait re-broadcasts when the transaction stays unmined.
      this.o.log("warn", "broadcast_failed", { reason: text });
    }
  }

  /**
   * Waits for one version of `pending` to be mined, replacing it when stuck; undefined if stopped
   * and still unmined `STOP_GRACE_MS` after the stop.
   */
  private async wait(pending: PendingTx): Promise<TransactionReceipt | undefined> {
    const { provider, wallet, config, signal } = this.o;
    let since = Date.now();
    let stopAt: number | undefined;
    for (;;) {
      if (signal.aborted) {
        stopAt ??= Date.now() + STOP_GRACE_MS;
        if (Date.now() > stopAt) return undefined;
      }
      for (const hash of pending.hashes) {
        const receipt = await provider.getTransactionReceipt(hash).catch(() => null);
        if (receipt !== null) return this.mined(pending, receipt);
      }
      const mined = await provider.getTransactionCount(wallet.address, "latest").catch(() => undefined);
      if (mined !== undefined && mined > pending.nonce) {
        // Mined in a version whose receipt the endpoint did not have a moment ago: look again once.
        for (const hash of pending.hashes) {
          const receipt = await provider.getTransactionReceipt(hash).catch(() => null);
          if (receipt !== null) return this.mined(pending, receipt);
        }
        this.o.log("warn", "tx_replaced_elsewhere", { label: pending.label, nonce: pending.nonce });
        this.o.metrics.inc("gpufog_transactions_total", { job: jobOf(pending.label), outcome: "replaced_elsewhere" });
        this.finish(pending.nonce);
        return undefined;
      }
      if (stopAt === undefined && Date.now() - since >= config.stuckAfterMs) {
        await this.replace(pending);
        since = Date.now();
      }
      await (stopAt === undefined ? sleep(Math.min(config.pollMs, 1000), signal) : delay(250));
    }
  }

  private async replace(pending: PendingTx): Promise<void> {
    const { config, wallet, provider, state } = this.o;
    const cap = config.maxFeePerGas;
    const oldMax = BigInt(pending.maxFeePerGas);
    const oldTip = BigInt(pending.maxPriorityFeePerGas);
    const maxFee = bump(oldMax, config.feeBumpPercent) < cap ? bump(oldMax, config.feeBumpPercent) : cap;
    const tip = bump(oldTip, config.feeBumpPercent) < maxFee ? bump(oldTip, config.feeBumpPercent) : maxFee;
    if (maxFee < bump(oldMax, 10) || tip < bump(oldTip, 10)) {
      // Nodes take a replacement only with both fees 10 % up; at the cap, wait and re-broadcast.
      this.o.log("warn", "tx_stuck_at_cap", { label: pending.label, nonce: pending.nonce, maxFeePerGas: oldMax });
      await this.broadcast(pending.raw);
      return;
    }
    const raw = await wallet.signTransaction(
      Transaction.from({
        type: 2,
        chainId: provider._network.chainId,
        nonce: pending.nonce,
        to: pending.to,
        data: pending.data,
        gasLimit: BigInt(pending.gasLimit),
        maxFeePerGas: maxFee,
        maxPriorityFeePerGas: tip,
      }),
    );
    pending.raw = raw;
    pending.maxFeePerGas = maxFee.toString();
    pending.maxPriorityFeePerGas = tip.toString();
    pending.hashes.push(Transaction.from(raw).hash!);
    saveState(config.stateFile, state);
    this.o.metrics.inc("gpufog_transactions_replaced_total");
    this.o.log("warn", "tx_replaced", {
      label: pending.label,
      nonce: pending.nonce,
      hash: pending.hashes.at(-1),
      maxFeePerGas: maxFee,
    });
    await this.broadcast(raw);
  }

  private mined(pending: PendingTx, receipt: TransactionReceipt): TransactionReceipt {
    this.finish(pending.nonce);
    const ok = receipt.status === 1;
    this.o.metrics.inc("gpufog_transactions_total", { job: jobOf(pending.label), outcome: ok ? "mined" : "reverted" });
    this.o.log(ok ? "info" : "error", ok ? "tx_mined" : "tx_reverted", {
      label: pending.label,
      nonce: pending.nonce,
      hash: receipt.hash,
      block: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
    });
    if (!ok) throw new Error(`${pending.label} reverted in ${receipt.hash}`);
    return receipt;
  }

  private finish(nonce: number): void {
    this.o.state.pending = null;
    this.o.state.nonce = nonce + 1;
    saveState(this.o.config.stateFile, this.o.state);
  }
}

/** The job name of a label: its first word ("closeLease 7" → "closeLease"). */
export function jobOf(label: string): string {
  return label.split(" ")[0]!;
}

// The provider's dashboard, for the connected provider or for a provider that named the connected
// account its operator (found by `OperatorSet` events, checked against `operatorOf`). Its nodes
// with their heartbeat state by the chain's clock (age, stale or not, status), go offline,
// reconnect, deregister and the unbonding countdown, then the stake's withdrawal; its earnings per
// payment token, withdrawn in one `withdraw(leaseIds)` (an operator's `withdrawFor` pays the
// provider); its mining rewards by bucket (the package's `providerBuckets`): pending while the
// bucket's fees are unsold, claimable once bought back, claimed in one `claim(buckets)`; and the
// registration form, with the stake the registry will lock shown before signing. An operator may
// heartbeat, go offline and withdraw for its provider, and nothing else, as the registry says.
import { Contract } from "ethers";
import {
  connectEmission,
  formatToken,
  formatTu,
  modelId,
  modelName,
  type ProviderBucket,
  providerBuckets,
  providerLeases,
  statusName,
  type TokenInfo,
} from "gpufog";
import { BuybackEmission, LeaseEscrow, ProviderRegistry } from "gpufog/abi";
import type { LeaseEscrow as EscrowContract, ProviderRegistry as RegistryContract } from "gpufog/types";
import { useCallback, useEffect, useRef, useState } from "react";
import { type Address, erc20Abi, getAbiItem, type Hex, isAddressEqual, parseUnits } from "viem";
import { useConfig, useConnection } from "wagmi";

import { type Call, chainNow, client, logsSince, send, type TxState } from "./chain.ts";
import type { AppConfig } from "./config.ts";
import { ethersReader } from "./reader.ts";
import { duration, useChainNow, when } from "./time.ts";
import { TxStatus } from "./TxStatus.tsx";

type WagmiConfig = ReturnType<typeof useConfig>;

/** The stake token: GUT, 18 decimals. */
const GUT: TokenInfo = { symbol: "GUT", decimals: 18 };
const gut = (amount: bigint) => formatToken(amount, GUT.symbol, GUT.decimals, 4);
/** What the emission's rewards pay. */
const TFT: TokenInfo = { symbol: "TFT", decimals: 18 };

interface Token {
  symbol: string;
  decimals: number;
}

const STATUS = { None: 0, Idle: 1, Sharing: 2, Reserved: 3, Disconnect: 4 } as const;

/** The accounts the connected one acts for: itself and each provider that names it operator now. */
async function actingFor(app: AppConfig, config: WagmiConfig, me: Address): Promise<Address[]> {
  const c = client(config);
  const logs = await logsSince(config, app.book.blocks.registry, (range) =>
    c.getLogs({
      address: app.contracts.registry,
      event: getAbiItem({ abi: ProviderRegistry, name: "OperatorSet" }),
      args: { operator: me },
      ...range,
    }),
  );
  const named: Address[] = [];
  for (const provider of new Set(logs.map((l) => l.args.provider!))) {
    const current = await c.readContract({
      address: app.contracts.registry,
      abi: ProviderRegistry,
      functionName: "operatorOf",
      args: [provider],
    });
    if (isAddressEqual(current, me)) named.push(provider);
  }
  // An operator's own account usually has no nodes: its provider comes first then.
  const [, own] = await c.readContract({
    address: app.contracts.registry,
    abi: ProviderRegistry,
    functionName: "nodesOf",
    args: [me, 0n, 1n],
  });
  return own === 0n && named.length > 0 ? [...named, me] : [me, ...named];
}

async function readProvider(app: AppConfig, config: WagmiConfig, provider: Address) {
  const c = client(config);
  const registry = { address: app.contracts.registry, abi: ProviderRegistry } as const;
  const escrow = { address: app.contracts.escrow, abi: LeaseEscrow } as const;
  const [[mine], [models, entries], timeout, readAt] = await Promise.all([
    c.readContract({ ...registry, functionName: "nodesOf", args: [provider, 0n, 1000n] }),
    c.readContract({ ...registry, functionName: "catalog" }),
    c.readContract({ ...registry, functionName: "heartbeatTimeout" }),
    chainNow(config),
  ]);
  const readAtMs = Date.now();
  // Deregistered nodes stay listed while their stake is unbonding or waiting to be withdrawn.
  const nodes = mine.filter((n) => n.status !== STATUS.None || n.stake > 0n);
  const tokens = new Map<Address, Token>();
  const token = async (address: Address) => {
    if (!tokens.has(address)) {
      const [symbol, decimals] = await Promise.all([
        c.readContract({ address, abi: erc20Abi, functionName: "symbol" }),
        c.readContract({ address, abi: erc20Abi, functionName: "decimals" }),
      ]);
      tokens.set(address, { symbol, decimals });
    }
    return tokens.get(address)!;
  };
  // Earnings, per payment token: the leases of this provider whose accrued amount is above what it
  // withdrew, found from its own nodes' events (the package's providerLeases), not by reading every lease.
  // Bound to the ABIs this page already loads: the typechain factories would bring the contracts'
  // bytecode into the page, and the package's connectEscrow the whole escrow module into the first load.
  const reader = ethersReader(config);
  const handle = {
    escrow: new Contract(app.contracts.escrow, LeaseEscrow, reader) as unknown as EscrowContract,
    registry: new Contract(app.contracts.registry, ProviderRegistry, reader) as unknown as RegistryContract,
  };
  const leaseIds = await providerLeases(handle, provider, { fromBlock: app.book.blocks.escrow });
  const earnings = new Map<Address, { ids: bigint[]; amount: bigint }>();
  for (const id of leaseIds) {
    const lease = await c.readContract({ ...escrow, functionName: "lease", args: [id] });
    await token(lease.token);
    const [accrued] = await c.readContract({ ...escrow, functionName: "accrued", args: [id] });
    const row = earnings.get(lease.token) ?? { ids: [], amount: 0n };
    if (accrued > lease.withdrawn) (row.ids.push(id), (row.amount += accrued - lease.withdrawn));
    earnings.set(lease.token, row);
  }
  const emission = await connectEmission(app.contracts.emission, ethersReader(config));
  const buckets = await providerBuckets(emission, provider, { fromBlock: Number(app.book.blocks.emission) });
  for (const b of buckets) await token(b.token as Address);
  const catalog = models
    .map((m, i) => ({ model: modelName(m), milliTu: BigInt(entries[i]!.milliTu), retired: entries[i]!.retired }))
    .filter((m) => !m.retired);
  return { nodes, earnings, buckets, tokens, catalog, timeout: BigInt(timeout), readAt, readAtMs };
}
type ProviderData = Awaited<ReturnType<typeof readProvider>>;

export function Provider({ app }: { app: AppConfig }) {
  const config = useConfig();
  const { address } = useConnection();
  const [accounts, setAccounts] = useState<Address[]>();
  const [provider, setProvider] = useState<Address>();
  const [data, setData] = useState<ProviderData>();
  const [error, setError] = useState<string>();
  // Only the latest read is shown: wagmi restores the last session's account before the wallet
  // answers with its own, and the first read may answer last.
  const latestAccounts = useRef(0);
  const latest = useRef(0);
  useEffect(() => {
    const n = ++latestAccounts.current;
    setAccounts(undefined);
    setProvider(undefined);
    setData(undefined);
    if (!address) return;
    actingFor(app, config, address).then(
      (list) => {
        if (n !== latestAccounts.current) return;
        setAccounts(list);
        setProvider(list[0]);
      },
      (e: unknown) => n === latestAccounts.current && setError(String((e as Error).message ?? e)),
    );
  }, [app, config, address]);
  const refresh = useCallback(() => {
    const n = ++latest.current;
    if (provider) {
      readProvider(app, config, provider).then(
        (d) => n === latest.current && setData(d),
        (e: unknown) => n === latest.current && setError(String((e as Error).message ?? e)),
      );
    }
  }, [app, config, provider]);
  useEffect(refresh, [refresh]);

  if (!address) return <p className="muted">Connect a wallet to see its nodes, earnings and rewards.</p>;
  if (error) return <p className="error">Cannot read the registry: {error}</p>;
  if (!accounts || !provider || !data) return <p>Reading the registry…</p>;
  const operator = !isAddressEqual(provider, address);
  return (
    <>
      {accounts.length > 1 && (
        <section className="card" id="acting-for">
          <label>
            Acting for{" "}
            <select
              aria-label="acting for"
              value={provider}
              onChange={(e) => {
                if (e.target.value === provider) return;
                setData(undefined);
                setProvider(e.target.value as Address);
              }}
            >
              {accounts.map((a) => (
                <option key={a} value={a}>
                  {isAddressEqual(a, address) ? `${a} (this account)` : `${a} (as its operator)`}
                </option>
              ))}
            </select>
          </label>
          {operator && (
            <p className="muted" data-testid="operator-note">
              As the operator you may heartbeat, take nodes offline and withdraw earnings, which are paid to the
              provider; deregistering, the stake and rewards are the provider&apos;s.
            </p>
          )}
        </section>
      )}
      <Nodes app={app} provider={provider} operator={operator} data={data} onDone={refresh} />
      <Earnings app={app} provider={provider} operator={operator} data={data} onDone={refresh} />
      <Rewards app={app} operator={operator} data={data} onDone={refresh} />
      {!operator && <Register app={app} catalog={data.catalog} onDone={refresh} />}
    </>
  );
}

interface SectionProps {
  app: AppConfig;
  provider: Address;
  operator: boolean;
  data: ProviderData;
  onDone: () => void;
}

function Nodes({ app, operator, data, onDone }: SectionProps) {
  const config = useConfig();
  const { address } = useConnection();
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const now = useChainNow(data);
  const act = async (label: string, functionName: string, nodeId: bigint) => {
    const call: Call = {
      label: `${label} of node ${nodeId}`,
      address: app.contracts.registry,
      abi: ProviderRegistry,
      functionName,
      args: [nodeId],
      token: GUT,
    };
    if (!address) return;
    // Refreshed failed or not: a refused action usually means the page was behind the chain.
    await send(config, address, [call], setTx);
    onDone();
  };
  return (
    <section className="card" id="nodes">
      <h2>{operator ? "The provider's nodes" : "My nodes"}</h2>
      {data.nodes.length === 0 ? (
        <p className="muted">No nodes yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>node</th>
              <th>model</th>
              <th>GPUs</th>
              <th>TU</th>
              <th>status</th>
              <th>heartbeat</th>
              <th>stake</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.nodes.map((n) => {
              const status = statusName(n.status);
              const staleAt = BigInt(n.lastHeartbeat) + data.timeout;
              const stale = now > staleAt;
              const unbondingEnds = BigInt(n.unbondingEnds);
              return (
                <tr key={String(n.id)} data-node={String(n.id)}>
                  <td>{String(n.id)}</td>
                  <td>{modelName(n.model)}</td>
                  <td>{n.gpuCount}</td>
                  <td>{formatTu(BigInt(n.milliTu))}</td>
                  <td className={`status-${status}`} data-testid="status">
                    {n.status === STATUS.None ? "Deregistered" : status}
                  </td>
                  <td data-testid="heartbeat">
                    {n.status === STATUS.None ? (
                      "–"
                    ) : (
                      <>
                        {duration(now - BigInt(n.lastHeartbeat))} ago,{" "}
                        {n.status === STATUS.Disconnect ? (
                          <span data-stale="offline">offline</span>
                        ) : stale ? (
                          <span className="error" data-stale="yes">
                            stale
                          </span>
                        ) : (
                          <span data-stale="no">stale in {duration(staleAt - now)}</span>
                        )}
                      </>
                    )}
                  </td>
                  <td>{gut(n.stake)}</td>
                  <td>
                    {(n.status === STATUS.Idle || n.status === STATUS.Reserved) && (
                      <button onClick={() => void act("Going offline", "goOffline", n.id)}>Go offline</button>
                    )}
                    {n.status !== STATUS.None && n.status !== STATUS.Disconnect && (
                      <button onClick={() => void act("Heartbeat", "heartbeat", n.id)}>Heartbeat</button>
                    )}
                    {n.status === STATUS.Disconnect &&
                      (n.engaged ? (
                        <span className="muted">held by the escrow until its lease or reservation ends</span>
                      ) : (
                        <>
                          <button onClick={() => void act("Reconnection", "heartbeat", n.id)}>Reconnect</button>
                          {!operator && (
                            <button onClick={() => void act("Deregistration", "deregister", n.id)}>Deregister</button>
                          )}
                        </>
                      ))}
                    {n.status === STATUS.None &&
                      (now < unbondingEnds ? (
                        <span data-testid="unbonding">
                          unbonding: withdrawable in {duration(unbondingEnds - now)} ({when(unbondingEnds)})
                        </span>
                      ) : operator ? (
                        <span className="muted">unbonded: the provider may withdraw it</span>
                      ) : (
                        <button onClick={() => void act("Stake withdrawal", "withdrawStake", n.id)}>
                          Withdraw stake
                        </button>
                      ))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p className="muted">
        A node is stale once its last heartbeat is {duration(data.timeout)} old: anyone may then mark it Disconnect, and
        a lease on it is paid up to the last heartbeat only.
      </p>
      <TxStatus state={tx} />
    </section>
  );
}

function Earnings({ app, provider, operator, data, onDone }: SectionProps) {
  const config = useConfig();
  const { address } = useConnection();
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const withdraw = async (token: Address, ids: bigint[]) => {
    const { symbol, decimals } = data.tokens.get(token)!;
    const call: Call = {
      label: `Withdrawal of ${symbol}`,
      address: app.contracts.escrow,
      abi: LeaseEscrow,
      functionName: operator ? "withdrawFor" : "withdraw",
      args: operator ? [provider, ids] : [ids],
      token: { symbol, decimals },
    };
    if (address && (await send(config, address, [call], setTx))) onDone();
  };
  return (
    <section className="card" id="earnings">
      <h2>Earnings</h2>
      {data.earnings.size === 0 ? (
        <p className="muted">No leases yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>token</th>
              <th>accrued, not withdrawn</th>
              <th>leases</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {[...data.earnings].map(([token, e]) => {
              const { symbol, decimals } = data.tokens.get(token)!;
              return (
                <tr key={token} data-token={symbol}>
                  <td>{symbol}</td>
                  <td data-testid="earned">{formatToken(e.amount, symbol, decimals, 4)}</td>
                  <td>{e.ids.map(String).join(", ") || "–"}</td>
                  <td>
                    <button disabled={e.amount === 0n} onClick={() => void withdraw(token, e.ids)}>
                      Withdraw {symbol}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p className="muted">
        The escrow keeps its protocol fee on withdrawal{operator ? "; the provider is paid, not the operator" : ""}.
      </p>
      <TxStatus state={tx} />
    </section>
  );
}

/** What a bucket still owes the provider once its unsold fees are bought back: its fee's unsold part. */
const unsoldFee = (b: ProviderBucket) => (b.fees === 0n ? 0n : (b.fee * b.unsold) / b.fees);

function Rewards({ app, operator, data, onDone }: Omit<SectionProps, "provider">) {
  const config = useConfig();
  const { address } = useConnection();
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const tft = (amount: bigint) => formatToken(amount, TFT.symbol, TFT.decimals, 4);
  const claimable = data.buckets.filter((b) => b.claimable > 0n);
  const total = claimable.reduce((sum, b) => sum + b.claimable, 0n);
  const pending = new Map<string, bigint>();
  for (const b of data.buckets) pending.set(b.token, (pending.get(b.token) ?? 0n) + unsoldFee(b));
  const fmt = (token: string, amount: bigint) => {
    const t = data.tokens.get(token as Address)!;
    return formatToken(amount, t.symbol, t.decimals, 4);
  };
  const claim = async () => {
    const call: Call = {
      label: "Reward claim",
      address: app.contracts.emission,
      abi: BuybackEmission,
      functionName: "claim",
      args: [claimable.map((b) => ({ epoch: b.epoch, token: b.token as Address }))],
      token: TFT,
    };
    if (address && (await send(config, address, [call], setTx))) onDone();
  };
  const pendingText = [...pending].filter(([, a]) => a > 0n).map(([t, a]) => fmt(t, a));
  return (
    <section className="card" id="rewards">
      <h2>Mining rewards (TFT)</h2>
      <p>
        Claimable: <strong data-testid="claimable">{tft(total)}</strong>{" "}
        {!operator && (
          <button disabled={total === 0n} onClick={() => void claim()}>
            Claim
          </button>
        )}
      </p>
      <p data-testid="pending">
        Pending:{" "}
        {pendingText.length === 0
          ? "no fees waiting for a buyback."
          : `fees of ${pendingText.join(" and ")} not bought back yet; the TFT they buy, and so the reward, is known at the buyback.`}
      </p>
      {data.buckets.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>epoch</th>
              <th>your fee</th>
              <th>unsold</th>
              <th>TFT your fee bought</th>
              <th>claimed</th>
              <th>claimable</th>
            </tr>
          </thead>
          <tbody>
            {data.buckets.map((b) => (
              <tr key={`${b.epoch}:${b.token}`} data-bucket={String(b.epoch)}>
                <td>{String(b.epoch)}</td>
                <td>{fmt(b.token, b.fee)}</td>
                <td>{b.ended ? fmt(b.token, unsoldFee(b)) : "epoch running"}</td>
                <td>{tft(b.boughtByFee)}</td>
                <td>{tft(b.claimed)}</td>
                <td>{tft(b.claimable)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted">
        Each protocol fee is booked into the bucket of its epoch and token; a buyback of the bucket releases TFT, and
        the miners&apos; share of it goes to the bucket&apos;s providers pro rata to their fees.
      </p>
      <TxStatus state={tx} />
    </section>
  );
}

function Register({
  app,
  catalog,
  onDone,
}: {
  app: AppConfig;
  catalog: { model: string; milliTu: bigint }[];
  onDone: () => void;
}) {
  const config = useConfig();
  const { address } = useConnection();
  const [model, setModel] = useState(catalog[0]?.model ?? "");
  const [gpus, setGpus] = useState("1");
  const [price, setPrice] = useState("1.0");
  const [uri, setUri] = useState("https://");
  const [stake, setStake] = useState<bigint>();
  const [tx, setTx] = useState<TxState>({ phase: "idle" });
  const count = /^[1-9][0-9]{0,4}$/.test(gpus.trim()) ? BigInt(gpus.trim()) : undefined;
  let priceWei: bigint | undefined;
  try {
    priceWei = parseUnits(price.trim(), 18);
  } catch {
    priceWei = undefined;
  }
  useEffect(() => {
    setStake(undefined);
    if (count === undefined || !model) return;
    client(config)
      .readContract({
        address: app.contracts.registry,
        abi: ProviderRegistry,
        functionName: "requiredStake",
        args: [modelId(model, "model") as Hex, count],
      })
      .then(setStake, () => setStake(undefined));
  }, [app, config, model, count]);

  const register = async () => {
    if (!address || stake === undefined || count === undefined || priceWei === undefined) return;
    const allowance = await client(config).readContract({
      address: app.contracts.gut,
      abi: erc20Abi,
      functionName: "allowance",
      args: [address, app.contracts.registry],
    });
    const calls: Call[] = [];
    if (allowance < stake) {
      calls.push({
        label: `Approve the stake of ${gut(stake)}`,
        address: app.contracts.gut,
        abi: erc20Abi,
        functionName: "approve",
        args: [app.contracts.registry, stake],
        token: GUT,
      });
    }
    calls.push({
      label: "Registration",
      address: app.contracts.registry,
      abi: ProviderRegistry,
      functionName: "register",
      args: [modelId(model, "model") as Hex, count, priceWei, app.contracts.gut, uri.trim()],
      token: GUT,
    });
    if (await send(config, address, calls, setTx)) onDone();
  };
  return (
    <section className="card" id="register">
      <h2>Register a node</h2>
      <div className="row">
        <label>
          GPU model{" "}
          <select aria-label="model" value={model} onChange={(e) => setModel(e.target.value)}>
            {catalog.map((m) => (
              <option key={m.model} value={m.model}>
                {m.model} ({formatTu(m.milliTu)} TU)
              </option>
            ))}
          </select>
        </label>
        <label>
          GPUs <input aria-label="GPU count" value={gpus} onChange={(e) => setGpus(e.target.value)} />
        </label>
        <label>
          GUT per TU-hour <input aria-label="price" value={price} onChange={(e) => setPrice(e.target.value)} />
        </label>
        <label>
          Endpoint <input aria-label="endpoint" value={uri} onChange={(e) => setUri(e.target.value)} />
        </label>
      </div>
      <p data-testid="stake">
        {count === undefined
          ? `"${gpus}" is not a GPU count`
          : priceWei === undefined
            ? `"${price}" is not a price in GUT`
            : stake === undefined
              ? "Reading the stake…"
              : `Registering locks a stake of ${gut(stake)} until the node is deregistered and its unbonding ends.`}
      </p>
      <button
        disabled={!address || stake === undefined || count === undefined || priceWei === undefined}
        onClick={() => void register()}
      >
        Register
      </button>
      <TxStatus state={tx} />
    </section>
  );
}

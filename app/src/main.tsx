// Start-up: the configuration first (chain, address book, airdrop URL), then wagmi over it. A
// wallet is any injected EIP-1193 provider; without one the pages read through the configured RPC.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createRoot } from "react-dom/client";
import { createConfig, http, injected, WagmiProvider } from "wagmi";

import { App } from "./App.tsx";
import { loadConfig } from "./config.ts";

const root = createRoot(document.getElementById("root")!);

loadConfig().then(
  (app) => {
    const wagmi = createConfig({
      chains: [app.chain],
      connectors: [injected()],
      transports: { [app.chain.id]: http(app.chain.rpcUrls.default.http[0]) },
      // EIP-6963 discovery would list every announced wallet; the injected connector is enough here.
      multiInjectedProviderDiscovery: false,
    });
    root.render(
      <WagmiProvider config={wagmi}>
        <QueryClientProvider client={new QueryClient()}>
          <App app={app} />
        </QueryClientProvider>
      </WagmiProvider>,
    );
  },
  (error: unknown) => {
    root.render(<p className="error">Cannot start: {String((error as Error).message ?? error)}</p>);
  },
);

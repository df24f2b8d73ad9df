import { expect } from "chai";

import { formatSpan, formatTime, formatToken } from "../../src/format.js";

describe("format", function () {
  describe("formatToken", function () {
    it("groups thousands and keeps the token's decimals", function () {
      expect(formatToken(50_100_000n * 10n ** 18n, "GUT")).to.equal("50,100,000.0 GUT");
      expect(formatToken(1_234_567n, "USDC", 6)).to.equal("1.234567 USDC");
      expect(formatToken(2_000_000n, "GUT")).to.equal("0.000000000002 GUT");
    });
  });

  describe("formatSpan", function () {
    it("names a span in its two largest units, dropping a zero second one", function () {
      expect(formatSpan(0n)).to.equal("0 s");
      expect(formatSpan(45n)).to.equal("45 s");
      expect(formatSpan(1_800n)).to.equal("30 min");
      expect(formatSpan(1_805n)).to.equal("30 min 5 s");
      expect(formatSpan(12_000n)).to.equal("3 h 20 min");
      expect(formatSpan(3_600n)).to.equal("1 h");
      expect(formatSpan(187_200n)).to.equal("2 d 4 h");
    });
  });

  describe("formatTime", function () {
    const t = 1_796_300_000n; // 2026-12-03 12:13:20 UTC
    it("prints a UTC date and how far it is from the chain's now", function () {
      expect(formatTime(t, t - 1_500n)).to.equal("2026-12-03 12:13:20 UTC (in 25 min)");
      expect(formatTime(t, t + 11_100n)).to.equal("2026-12-03 12:13:20 UTC (3 h 5 min ago)");
      expect(formatTime(t, t)).to.equal("2026-12-03 12:13:20 UTC (now)");
    });
  });
});

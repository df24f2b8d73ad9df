import { expect } from "chai";

import { InputError } from "../../src/errors.js";
import { parseAmount } from "../../src/parse.js";

describe("InputError", function () {
  it("says where when there is a where, and nothing when there is not", function () {
    const message = (file: string, line: number | undefined, field: string | undefined) =>
      new InputError(file, line, field, "is wrong").message;
    expect(message("holders.csv", 3, "amount")).to.equal('holders.csv, line 3, field "amount": is wrong');
    expect(message("lease:open", undefined, "deposit")).to.equal('lease:open, field "deposit": is wrong');
    expect(message("quote.json", undefined, undefined)).to.equal("quote.json: is wrong");
    // A page's form has no file: a value it parses names its field, or nothing.
    expect(message("", undefined, "deposit")).to.equal('field "deposit": is wrong');
    expect(message("", undefined, undefined)).to.equal("is wrong");
    expect(() => parseAmount("", "deposit", "1e5", 18)).to.throw(
      InputError,
      /^field "deposit": "1e5" is not a decimal amount like 12\.5$/,
    );
  });
});

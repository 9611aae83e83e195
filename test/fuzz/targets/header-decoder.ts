/**
 * The pqhc/1 header block decoder (SPEC §Header compression): a run of
 * blocks against one dynamic table, with a table capacity and a list bound
 * from the input. The table never exceeds its capacity, every decoded name
 * is a valid header name, and a list within the bound is reported whole.
 */
import { MAX_HEADER_NAME_BYTES } from "../../../src/protocol/frames/constants.ts";
import { FrameError } from "../../../src/protocol/frames/error-codes.ts";
import { HeaderDecoder } from "../../../src/protocol/frames/header-decoder.ts";
import { isValidHeaderName } from "../../../src/protocol/frames/header-field.ts";
import { FuzzInput, lengthPrefixedItems } from "../harness/input.ts";
import { check, type FuzzTarget, jazzerEntry } from "../harness/target.ts";

export const target: FuzzTarget = {
  name: "header-decoder",
  description: "header blocks: [capacity, list bound] then length-prefixed blocks",
  typed: [FrameError],
  run(data) {
    const input = new FuzzInput(data);
    const capacity = input.u16() % 8193;
    const maxListBytes = 64 + input.u16();
    const decoder = new HeaderDecoder(capacity);
    for (const block of lengthPrefixedItems(input.rest(), 64)) {
      const decoded = decoder.decode(block, maxListBytes);
      check(decoder.tableSize <= capacity, `dynamic table of ${decoder.tableSize} bytes over ${capacity}`);
      check(
        decoded.oversize === decoded.listBytes > maxListBytes,
        "oversize flag disagrees with the list size",
      );
      check(!decoded.oversize || decoded.fields.length === 0, "an oversize list still returned fields");
      for (const [name] of decoded.fields) {
        check(isValidHeaderName(name, MAX_HEADER_NAME_BYTES), `decoded invalid name ${JSON.stringify(name)}`);
      }
    }
  },
};

export const fuzz = jazzerEntry(target);

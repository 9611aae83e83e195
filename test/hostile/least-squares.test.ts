import assert from "node:assert/strict";
import { test } from "node:test";
import { leastSquaresSlope } from "../../bench/soak/least-squares.ts";

test("least-squares slope: exact on a line, 0 when flat or underdetermined, robust to noise around a line", () => {
  assert.equal(
    leastSquaresSlope([
      [0, 1],
      [1, 3],
      [2, 5],
    ]),
    2,
  );
  assert.equal(
    leastSquaresSlope([
      [0, 7],
      [5, 7],
      [9, 7],
    ]),
    0,
  );
  assert.equal(leastSquaresSlope([[3, 1]]), 0);
  assert.equal(
    leastSquaresSlope([
      [3, 1],
      [3, 9],
    ]),
    0,
  );
  const noisy = Array.from({ length: 101 }, (_, i) => [i, -0.5 * i + (i % 2 === 0 ? 1 : -1)] as const);
  assert.ok(Math.abs(leastSquaresSlope(noisy) + 0.5) < 0.01);
});

import { expect, test } from "bun:test";
import { TurnScheduler } from "../../../src/jetstream/push.ts";

/** Resolves after the event loop has run what setImmediate queued before it. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

test("wake-ups before a turn runs share it: one turn however many ask", async () => {
  let turns = 0;
  const s = new TurnScheduler(() => turns++);
  s.ensure();
  s.ensure();
  s.ensure();
  expect(turns).toBe(0);
  await nextTurn();
  expect(turns).toBe(1);
  await nextTurn();
  expect(turns).toBe(1);
});

test("a wake-up during a turn schedules the next one, so none is lost", async () => {
  let turns = 0;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const s = new TurnScheduler(() => {
    turns++;
    // A turn that stops at its cap asks for the next, as #pushTurn does.
    if (turns < 3) s.ensure();
    else finished();
  });
  s.ensure();
  await done;
  expect(turns).toBe(3);
});

test("cancel drops the scheduled turn; a later wake-up schedules again", async () => {
  let turns = 0;
  const s = new TurnScheduler(() => turns++);
  s.ensure();
  s.cancel();
  await nextTurn();
  expect(turns).toBe(0);
  s.ensure();
  await nextTurn();
  expect(turns).toBe(1);
});

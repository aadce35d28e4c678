// spareDialer: the second take gets the spare dialled by the first; an unused spare is closed
// after idleMs and by release(); a failed dial reaches the caller that takes it.
import assert from "node:assert/strict";
import { spareDialer } from "./spare_dialer.ts";

function counter() {
  const made: { n: number; closed: boolean; close(): void }[] = [];
  const dial = () => {
    const c = {
      n: made.length + 1,
      closed: false,
      close() {
        this.closed = true;
      },
    };
    made.push(c);
    return Promise.resolve(c);
  };
  return { made, dial };
}

Deno.test("spareDialer hands out the spare and dials the next one", async () => {
  const { made, dial } = counter();
  const spare = spareDialer(dial, 60_000);
  assert.equal((await spare.take()).n, 1);
  assert.equal(made.length, 2, "a spare dialled ahead");
  assert.equal((await spare.take()).n, 2, "the spare is handed out");
  assert.equal(made.length, 3);
  spare.release();
  await Promise.resolve();
  assert.ok(made[2]!.closed, "release closes the spare");
  assert.ok(!made[0]!.closed && !made[1]!.closed, "handed-out connections are the caller's");
});

Deno.test("an unused spare is closed after idleMs", async () => {
  const { made, dial } = counter();
  const spare = spareDialer(dial, 20);
  await spare.take();
  const closed = new Promise<void>((resolve) => {
    const c = made[1]!;
    c.close = () => {
      c.closed = true;
      resolve();
    };
  });
  const keep = setTimeout(() => {}, 5_000); // the spare's timer is unref'd
  await closed;
  clearTimeout(keep);
  assert.ok(made[1]!.closed);
});

Deno.test("a spare whose dial failed reports to whoever takes it", async () => {
  let n = 0;
  const spare = spareDialer(
    () => ++n === 2 ? Promise.reject(new Error("no login")) : Promise.resolve({ close() {} }),
    60_000,
  );
  await spare.take();
  await assert.rejects(spare.take(), /no login/);
  spare.release();
});

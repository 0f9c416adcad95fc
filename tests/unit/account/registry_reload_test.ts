// Accounts.reload on its own: accounts that stay keep their Account (clients and links hold it), new ones are
// added and announced, removed ones dropped, and a config whose accounts do not link changes nothing.
import { expect, test } from "bun:test";
import { Accounts, AccountError } from "../../../src/account/registry.ts";
import type { AccountOptions, ServerOptions } from "../../../src/config/options.ts";
import type { Endpoint } from "../../../src/routing/endpoint.ts";
import { Router } from "../../../src/routing/router.ts";
import { Subscription } from "../../../src/routing/subscription.ts";

const options = (accounts: AccountOptions[]) => ({ accounts }) as unknown as ServerOptions;
const registry = (accounts: AccountOptions[]) => new Accounts(options(accounts), new Router(true, 1 << 20), () => new Router(true, 1 << 20), () => {});

test("Accounts.reload keeps the accounts that stay, adds the new ones and drops the removed ones", () => {
  const accs = registry([{ name: "A" }, { name: "B" }]);
  const a = accs.get("A");
  const added: string[] = [];
  accs.onAdded((acc) => added.push(acc.name));
  expect(accs.reload(options([{ name: "A" }, { name: "C" }]))).toEqual(["B"]);
  expect(accs.get("A")).toBe(a);
  expect(accs.get("B")).toBeUndefined();
  expect(added).toEqual(["C"]);
  expect(accs.list().map((x) => x.name)).toEqual(["$G", "A", "$SYS", "C"]);
  accs.close();
});

/** A client subscribed in the importer: each stream import it takes from puts one shadow of it in the exporter. */
const client: Endpoint = {
  cid: 1, closed: false, opts: { echo: true, noResponders: false }, checksDelivery: false, link: null,
  admitDelivery: () => true, deliver: () => {}, deliverAt: () => {}, deliverNoResponders: () => {}, removeSub: () => {},
};

test("Accounts.reload links exports, imports and mappings again, replacing the old ones", () => {
  const exporter: AccountOptions = { name: "A", exports: [{ stream: "s.>" }] };
  const accs = registry([exporter, { name: "B", imports: [{ stream: { account: "A", subject: "s.>" } }] }]);
  accs.get("B")!.addSub(new Subscription(client, "s.>", null, "1"));
  const subs = () => accs.get("A")!.router.sublist.count();
  expect(subs()).toBe(1);
  accs.reload(options([exporter, { name: "B" }]));
  expect(subs()).toBe(0);
  accs.reload(options([exporter, { name: "B", imports: [{ stream: { account: "A", subject: "s.x" } }, { stream: { account: "A", subject: "s.y" } }] }]));
  expect(subs()).toBe(2);
  accs.close();
});

test("Accounts.reload refuses accounts that do not link with the start-up error, and changes nothing", () => {
  const accs = registry([{ name: "A", exports: [{ stream: "s.>" }] }, { name: "B" }]);
  const bad = options([{ name: "A" }, { name: "B", imports: [{ stream: { account: "A", subject: "s.>" } }] }, { name: "C" }]);
  expect(() => accs.reload(bad)).toThrow(AccountError);
  expect(() => accs.reload(bad)).toThrow('Error adding stream import "s.>": stream import not authorized');
  expect(accs.get("C")).toBeUndefined();
  expect(accs.get("A")!.exports.streams.map((e) => e.subject)).toEqual(["s.>"]);
  accs.close();
});

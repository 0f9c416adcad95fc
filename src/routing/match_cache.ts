/**
 * A publisher's last sublist match. A publisher usually repeats one subject, and its last result stays valid
 * until the sublist changes (its generation moves on). Publishers hold one each but only the router reads it,
 * so the `Endpoint` contract carries none of the router's bookkeeping.
 */
import type { Sublist, SublistResult } from "../subject/sublist.ts";
import type { Subscription } from "./subscription.ts";

export class MatchCache {
  private result: SublistResult<Subscription> | null = null;
  private subject = "";
  private gen = -1;

  match(sl: Sublist<Subscription>, subject: string): SublistResult<Subscription> {
    let r = this.result;
    if (this.subject !== subject || this.gen !== sl.genId || r === null) {
      r = sl.match(subject);
      this.result = r;
      this.subject = subject;
      this.gen = sl.genId;
    }
    return r;
  }
}

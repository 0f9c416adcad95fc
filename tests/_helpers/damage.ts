/**
 * Damage a stopped file store the way disks and power cuts do, for the recovery tests. Knows just enough of
 * the segment layout (src/store/file/frame.ts) to find frames: a 32-byte segment header, then frames with a
 * 32-byte header (body length u32 at +8, first and last sequence u64 at +12 and +20, cipher at +3), the nonce
 * (none in plaintext, 24 bytes for XChaCha, 12 otherwise) and the body.
 */
import { readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface FrameAt {
  readonly off: number;
  readonly len: number;
  readonly first: number;
  readonly last: number;
}

export const DamageKind = {
  TornTail: "torn tail",
  BodyBitFlip: "bit flip in a frame body",
  HeaderBitFlip: "bit flip in a frame header",
  ZeroedPage: "zeroed 4 KiB page",
  LostSummary: "lost summary files",
} as const;
export type DamageKind = typeof DamageKind[keyof typeof DamageKind];

const PAGE = 4096;

/** The segment files of a stream directory (`<store>/jetstream/$G/streams/<name>`), oldest first. */
export function segmentFiles(streamDir: string): string[] {
  const msgs = join(streamDir, "msgs");
  return readdirSync(msgs).filter((f) => f.endsWith(".seg")).sort().map((f) => join(msgs, f));
}

export function framesOf(seg: string): FrameAt[] {
  const b = readFileSync(seg);
  const out: FrameAt[] = [];
  for (let p = 32; p + 32 <= b.length;) {
    const cipher = b[p + 3];
    const nlen = cipher === 0 ? 0 : cipher === 3 ? 24 : 12;
    const len = 32 + nlen + b.readUInt32LE(p + 8);
    out.push({ off: p, len, first: Number(b.readBigUInt64LE(p + 12)), last: Number(b.readBigUInt64LE(p + 20)) });
    p += len;
  }
  return out;
}

/**
 * Damages the segment holding `seq` (the last segment for a torn tail) and returns the sequences whose
 * messages are gone: every frame the damage touches.
 */
export function damage(streamDir: string, kind: DamageKind, seq: number): Set<number> {
  const lost = new Set<number>();
  const hit = (f: FrameAt) => {
    for (let q = f.first; q > 0 && q <= f.last; q++) lost.add(q);
  };
  if (kind === DamageKind.LostSummary) {
    for (const f of readdirSync(join(streamDir, "msgs"))) if (f.endsWith(".sum")) rmSync(join(streamDir, "msgs", f));
    return lost;
  }
  const segs = segmentFiles(streamDir);
  if (kind === DamageKind.TornTail) {
    const holds = (s: string) => framesOf(s).filter((f) => f.first > 0);
    const seg = segs.filter((s) => holds(s).length > 0).at(-1)!;
    const last = holds(seg).at(-1)!;
    // A power cut mid-write: the header made it to the disk, the body only partly.
    truncateSync(seg, last.off + Math.floor(last.len / 2));
    hit(last);
    return lost;
  }
  const seg = segs.find((s) => framesOf(s).some((f) => f.first <= seq && seq <= f.last))!;
  const frames = framesOf(seg);
  const target = frames.find((f) => f.first <= seq && seq <= f.last)!;
  const b = readFileSync(seg);
  if (kind === DamageKind.BodyBitFlip) {
    b[target.off + Math.floor(target.len / 2)] ^= 0x10;
    hit(target);
  } else if (kind === DamageKind.HeaderBitFlip) {
    b[target.off + 9] ^= 0x01; // the body length: the header CRC fails and the frame's extent is unknown
    hit(target);
  } else {
    const page = Math.floor((target.off + target.len / 2) / PAGE) * PAGE;
    b.fill(0, page, Math.min(page + PAGE, b.length));
    for (const f of frames) if (f.off < page + PAGE && f.off + f.len > page) hit(f);
  }
  writeFileSync(seg, b);
  if (statSync(seg).size !== b.length) throw new Error(`rewriting ${seg} changed its size`);
  return lost;
}

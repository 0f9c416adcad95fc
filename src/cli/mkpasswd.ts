/**
 * `natsedge mkpasswd`: nats-server's mkpasswd utility. Without flags it makes a random password and prints
 * it with its bcrypt hash; `-p` reads a password instead (without echo on a terminal, or a line from a pipe);
 * `--cost` sets bcrypt's cost (default 11, as nats-server).
 */
import process from "node:process";
import fs from "node:fs";
import bcrypt from "bcryptjs";

const PASSWORD_LENGTH = 22;
const DEFAULT_COST = 11;
/** nats-server's mkpasswd alphabet. */
const CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%^&*()-_=+[]{}|;:,.<>?";

function randomPassword(): string {
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % CHARS.length);
  let out = "";
  while (out.length < PASSWORD_LENGTH) {
    for (const b of crypto.getRandomValues(new Uint8Array(PASSWORD_LENGTH * 2))) {
      if (b < limit && out.length < PASSWORD_LENGTH) out += CHARS[b % CHARS.length];
    }
  }
  return out;
}

/** Reads one line; on a terminal the typed characters are not echoed. */
async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  fs.writeSync(2, prompt);
  const tty = stdin.isTTY === true;
  if (tty) stdin.setRawMode(true);
  stdin.resume();
  let line = "";
  try {
    for await (const chunk of stdin) {
      const text = typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk as Uint8Array);
      for (const ch of text) {
        if (ch === "\u0003") throw new Error("interrupted");
        if (ch === "\r" || ch === "\n") return line;
        if (ch === "\u007f" || ch === "\b") line = line.slice(0, -1);
        else line += ch;
      }
    }
    return line;
  } finally {
    if (tty) stdin.setRawMode(false);
    stdin.pause();
    fs.writeSync(2, "\n");
  }
}

export async function mkpasswd(args: string[]): Promise<number> {
  let prompt = false;
  let cost = DEFAULT_COST;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!.replace(/^--?/, "");
    const [name, inline] = a.split("=", 2) as [string, string | undefined];
    if (name === "p") prompt = true;
    else if (name === "cost") {
      const v = inline ?? args[++i];
      cost = Number(v);
      if (!Number.isInteger(cost) || cost < 4 || cost > 31) {
        fs.writeSync(2, `invalid value ${JSON.stringify(v ?? "")} for flag -cost: must be an integer from 4 to 31\n`);
        return 2;
      }
    } else {
      fs.writeSync(2, `flag provided but not defined: -${name}\nUsage: natsedge mkpasswd [-p] [--cost 11]\n`);
      return 2;
    }
  }
  let pass: string;
  if (prompt) {
    pass = await readPassword("Enter Password: ");
    if (process.stdin.isTTY) {
      const again = await readPassword("Reenter Password: ");
      if (again !== pass) {
        fs.writeSync(2, "Error: Passwords do not match\n");
        return 1;
      }
    }
  } else {
    pass = randomPassword();
    fs.writeSync(1, `pass: ${pass}\n`);
  }
  // bcryptjs writes $2b$; $2a$ is the same hash for passwords under 255 bytes, what nats-server's mkpasswd
  // prints, and the only variant a NATS config accepts unquoted.
  fs.writeSync(1, `bcrypt hash: ${bcrypt.hashSync(pass, cost).replace(/^\$2b\$/, "$2a$")}\n`);
  return 0;
}

/**
 * `natsedge mkpasswd`: nats-server's mkpasswd utility. Without flags it makes a random password and prints
 * it with its bcrypt hash; `-p` reads a password instead (without echo on a terminal, or a line from a pipe);
 * `--cost` (or Go mkpasswd's `-c`) sets bcrypt's cost (default 11, as nats-server).
 */
import process from "node:process";
import fs from "node:fs";
import bcrypt from "bcryptjs";

const PASSWORD_LENGTH = 22;
const DEFAULT_COST = 11;
/** nats-server's mkpasswd alphabet (util/mkpasswd.go). */
const CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@$#%^&*()";

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

/**
 * Reads one line; on a terminal echo is switched off before the prompt appears. A data listener (not an
 * async iterator, whose early exit would destroy stdin) so that a second prompt can read again.
 */
function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  if (tty) stdin.setRawMode(true);
  fs.writeSync(2, prompt);
  return new Promise((resolve, reject) => {
    let line = "";
    const finish = (err: Error | null) => {
      stdin.off("data", onData);
      stdin.off("end", onEnd);
      if (tty) stdin.setRawMode(false);
      stdin.pause();
      fs.writeSync(2, "\n");
      if (err) reject(err);
      else resolve(line);
    };
    const onEnd = () => finish(null);
    const onData = (chunk: string | Uint8Array) => {
      const text = typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
      for (const ch of text) {
        if (ch === "\u0003") return finish(new Error("interrupted"));
        if (ch === "\r" || ch === "\n") return finish(null);
        if (ch === "\u007f" || ch === "\b") line = line.slice(0, -1);
        else line += ch;
      }
    };
    stdin.on("data", onData);
    stdin.on("end", onEnd);
    stdin.resume();
  });
}

export async function mkpasswd(args: string[]): Promise<number> {
  let prompt = false;
  let cost = DEFAULT_COST;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!.replace(/^--?/, "");
    const [name, inline] = a.split("=", 2) as [string, string | undefined];
    if (name === "p") prompt = true;
    else if (name === "cost" || name === "c") {
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
        fs.writeSync(2, "Error, passwords do not match\n");
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

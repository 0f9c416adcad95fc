/** nats-streaming-server's error strings (server/server.go): clients and their tests compare them as text. */
export const ERR = {
  invalidSubject: "stan: invalid subject",
  invalidStart: "stan: invalid start position",
  invalidSub: "stan: invalid subscription",
  dupClientID: "stan: clientID already registered",
  missingClientID: "stan: clientID missing",
  invalidClientID: "stan: invalid clientID: only alphanumeric and `-` or `_` characters allowed",
  invalidAckWait: "stan: invalid ack wait time, should be >= 1s",
  invalidMaxInflight: "stan: invalid MaxInflight, should be >= 1",
  invalidConnReq: "stan: invalid connection request",
  invalidPubReq: "stan: invalid publish request",
  invalidSubReq: "stan: invalid subscription request",
  invalidUnsubReq: "stan: invalid unsubscribe request",
  invalidCloseReq: "stan: invalid close request",
  dupDurable: "stan: duplicate durable registration",
  invalidDurName: "stan: durable name of a durable queue subscriber can't contain the character ':'",
  unknownClient: "stan: unknown clientID",
  unknownChannel: "stan: unknown channel",
  clientReplaced: "client has been replaced or is no longer registered",
} as const;

const CLIENT_ID = /^[a-zA-Z0-9_-]+$/;

export const isValidClientID = (id: string): boolean => CLIENT_ID.test(id);

/** A channel is a literal subject without `/`: its name once named a directory in nats-streaming-server's store. */
export function isValidChannel(name: string): boolean {
  if (name === "" || name.includes("/")) return false;
  for (const tok of name.split(".")) {
    if (tok === "" || tok === "*" || tok === ">" || /\s/.test(tok)) return false;
  }
  return true;
}

/**
 * MQTT topics and filters ↔ NATS subjects, as nats-server 2.9.10 converts them (mqttToNATSSubjectConversion
 * and natsSubjectToMQTTTopic): `/` → `.`, an empty level keeps a `/` beside its `.` so the mapping can be
 * reversed, `+` → `*`, `#` → `>`. `.` and space have no MQTT spelling in 2.9 and are refused.
 */

export class TopicError extends Error {}

const SEP = "/";
const DOT = ".";

/** A PUBLISH topic (`wildcards` false) or a SUBSCRIBE filter (`wildcards` true) as a NATS subject. */
export function topicToSubject(topic: string, wildcards: boolean): string {
  let res = "";
  const end = topic.length - 1;
  for (let i = 0; i < topic.length; i++) {
    const c = topic[i]!;
    switch (c) {
      case SEP:
        if (i === 0 || res[res.length - 1] === DOT) res += "/.";
        else if (i === end || topic[i + 1] === SEP) res += "./";
        else res += DOT;
        break;
      case " ":
      case DOT:
        throw new TopicError("characters ' ' and '.' not supported for MQTT topics");
      case "+":
      case "#":
        // [MQTT-3.3.2-2]: a topic name carries no wildcards.
        if (!wildcards) throw new TopicError(`wildcards not allowed in publish's topic: ${JSON.stringify(topic)}`);
        res += c === "+" ? "*" : ">";
        break;
      default:
        res += c;
    }
  }
  if (res[res.length - 1] === DOT) res += SEP;
  return res;
}

/** A NATS subject as the MQTT topic a subscriber is sent (the reverse of topicToSubject). */
export function subjectToTopic(subject: string): string {
  let res = "";
  const end = subject.length - 1;
  for (let i = 0; i < subject.length; i++) {
    const c = subject[i]!;
    if (c === SEP) {
      if (!(i === 0 && i < end && subject[i + 1] === DOT)) res += SEP;
    } else if (c === DOT) {
      res += SEP;
      if (i < end && subject[i + 1] === SEP) i++;
    } else {
      res += c;
    }
  }
  return res;
}

/**
 * MQTT `foo/#` also matches `foo`, which NATS `foo.>` does not: the parent subject that needs a subscription
 * of its own (nats-server's "fwc" sub), or null.
 */
export function parentLevelSubject(subject: string): string | null {
  return subject.length >= 3 && subject.endsWith(".>") ? subject.slice(0, -2) : null;
}

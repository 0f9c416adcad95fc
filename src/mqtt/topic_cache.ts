/**
 * The conversions a busy MQTT publisher or subscriber repeats for every message, remembered: a PUBLISH
 * topic's NATS subject (and its bytes, for the router), a subject's MQTT topic bytes (for the PUBLISH
 * sent). Devices publish to a handful of topics over and over; a bounded map forgets everything when full
 * rather than tracking recency, which costs more than converting again.
 */
import { subjectToTopic, topicToSubject } from "./topic.ts";

const MAX_ENTRIES = 4096;
const encoder = new TextEncoder();

export interface PublishSubject {
  subject: string;
  bytes: Uint8Array;
}

const subjects = new Map<string, PublishSubject>();
const topics = new Map<string, Uint8Array>();

/** topicToSubject(topic, false) with its UTF-8 bytes; throws TopicError as it does (nothing is cached then). */
export function publishSubject(topic: string): PublishSubject {
  let s = subjects.get(topic);
  if (s === undefined) {
    const subject = topicToSubject(topic, false);
    s = { subject, bytes: encoder.encode(subject) };
    if (subjects.size >= MAX_ENTRIES) subjects.clear();
    subjects.set(topic, s);
  }
  return s;
}

/** The UTF-8 bytes of subjectToTopic(subject). */
export function topicBytes(subject: string): Uint8Array {
  let t = topics.get(subject);
  if (t === undefined) {
    t = encoder.encode(subjectToTopic(subject));
    if (topics.size >= MAX_ENTRIES) topics.clear();
    topics.set(subject, t);
  }
  return t;
}

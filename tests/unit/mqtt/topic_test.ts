// nats-server 2.9.10's TestMQTTTopicAndSubjectConversion and TestMQTTFilterConversion, verbatim.
import { describe, expect, test } from "bun:test";
import { parentLevelSubject, subjectToTopic, topicToSubject } from "../../../src/mqtt/topic.ts";

const TOPICS: [string, string][] = [
  ["/", "/./"],
  ["//", "/././"],
  ["///", "/./././"],
  ["////", "/././././"],
  ["foo", "foo"],
  ["/foo", "/.foo"],
  ["//foo", "/./.foo"],
  ["///foo", "/././.foo"],
  ["///foo/", "/././.foo./"],
  ["///foo//", "/././.foo././"],
  ["///foo///", "/././.foo./././"],
  ["foo/bar", "foo.bar"],
  ["/foo/bar", "/.foo.bar"],
  ["/foo/bar/", "/.foo.bar./"],
  ["foo/bar/baz", "foo.bar.baz"],
  ["/foo/bar/baz", "/.foo.bar.baz"],
  ["/foo/bar/baz/", "/.foo.bar.baz./"],
  ["bar/", "bar./"],
  ["bar//", "bar././"],
  ["bar///", "bar./././"],
  ["foo//bar", "foo./.bar"],
  ["foo///bar", "foo././.bar"],
  ["foo////bar", "foo./././.bar"],
];

const FILTERS: [string, string][] = [
  ["+", "*"],
  ["/+", "/.*"],
  ["+/", "*./"],
  ["/+/", "/.*./"],
  ["foo/+", "foo.*"],
  ["foo/+/", "foo.*./"],
  ["foo/+/bar", "foo.*.bar"],
  ["foo/+/+", "foo.*.*"],
  ["foo/+/+/", "foo.*.*./"],
  ["foo/+/+/bar", "foo.*.*.bar"],
  ["foo//+", "foo./.*"],
  ["foo//+/", "foo./.*./"],
  ["foo//+//", "foo./.*././"],
  ["foo//+//bar", "foo./.*./.bar"],
  ["foo///+///bar", "foo././.*././.bar"],
  ["#", ">"],
  ["/#", "/.>"],
  ["/foo/#", "/.foo.>"],
  ["foo/#", "foo.>"],
  ["foo//#", "foo./.>"],
  ["foo///#", "foo././.>"],
  ["foo/bar/#", "foo.bar.>"],
];

describe("MQTT topics and NATS subjects", () => {
  for (const [topic, subject] of TOPICS) {
    test(`${JSON.stringify(topic)} is ${JSON.stringify(subject)} and back`, () => {
      expect(topicToSubject(topic, false)).toBe(subject);
      expect(subjectToTopic(subject)).toBe(topic);
    });
  }

  for (const [topic, error] of [
    ["foo/+", "wildcards not allowed in publish"],
    ["foo/#", "wildcards not allowed in publish"],
    ["foo bar", "not supported"],
    ["foo.bar", "not supported"],
  ]) {
    test(`a publish to ${JSON.stringify(topic)} is refused`, () => {
      expect(() => topicToSubject(topic!, false)).toThrow(error!);
    });
  }

  for (const [filter, subject] of FILTERS) {
    test(`filter ${JSON.stringify(filter)} is ${JSON.stringify(subject)}`, () => {
      expect(topicToSubject(filter, true)).toBe(subject);
    });
  }

  test("a filter ending in /# also needs its parent level; # alone does not", () => {
    expect(parentLevelSubject("foo.>")).toBe("foo");
    expect(parentLevelSubject("/.foo.>")).toBe("/.foo");
    expect(parentLevelSubject(">")).toBeNull();
    expect(parentLevelSubject("foo.*")).toBeNull();
  });
});

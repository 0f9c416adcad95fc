// Command natsgo_operator drives nats.go (the version Debian packages) against a server in operator mode
// (tests/compat/operator_clients_test.ts): users of JWT accounts A and B connect with nats.UserCredentials,
// B imports A's stream (prefix fromA) and service (as svc), and a user of an unknown account is refused.
// It prints a JSON line per check: {"check": name, "ok": bool, "err": string}, and exits 1 when any failed.
//
// Usage: natsgo_operator nats://127.0.0.1:4222 a.creds b.creds stranger.creds
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// bound is the longest any single wait may take before the check fails.
const bound = 5 * time.Second

type result struct {
	Check string `json:"check"`
	OK    bool   `json:"ok"`
	Err   string `json:"err"`
}

var (
	out    = json.NewEncoder(os.Stdout)
	failed = 0
)

func run(name string, fn func() error) {
	err := fn()
	r := result{Check: name, OK: err == nil}
	if err != nil {
		r.Err = err.Error()
		failed++
	}
	_ = out.Encode(r)
}

func connect(server, creds string) (*nats.Conn, error) {
	return nats.Connect(server, nats.UserCredentials(creds), nats.NoReconnect())
}

func main() {
	server := os.Args[1]
	a, errA := connect(server, os.Args[2])
	b, errB := connect(server, os.Args[3])
	if errA != nil || errB != nil {
		run("connect", func() error { return fmt.Errorf("a: %v, b: %v", errA, errB) })
		os.Exit(1)
	}
	defer a.Close()
	defer b.Close()

	run("isolation", func() error {
		sub, err := b.SubscribeSync("iso.x")
		if err != nil {
			return err
		}
		defer sub.Unsubscribe()
		if err := b.Flush(); err != nil {
			return err
		}
		if err := a.Publish("iso.x", []byte("a")); err != nil {
			return err
		}
		if err := b.Publish("iso.x", []byte("b")); err != nil {
			return err
		}
		m, err := sub.NextMsg(bound)
		if err != nil {
			return err
		}
		if string(m.Data) != "b" {
			return fmt.Errorf("B got %q from another account", m.Data)
		}
		return nil
	})

	run("stream_import_prefix", func() error {
		sub, err := b.SubscribeSync("fromA.>")
		if err != nil {
			return err
		}
		defer sub.Unsubscribe()
		if err := b.Flush(); err != nil {
			return err
		}
		if err := a.Publish("a.events.go", []byte("e")); err != nil {
			return err
		}
		m, err := sub.NextMsg(bound)
		if err != nil {
			return err
		}
		if m.Subject != "fromA.a.events.go" {
			return fmt.Errorf("subject %q", m.Subject)
		}
		return nil
	})

	run("service_import_request", func() error {
		svc, err := a.Subscribe("a.svc", func(m *nats.Msg) { _ = m.Respond(append([]byte("re:"), m.Data...)) })
		if err != nil {
			return err
		}
		defer svc.Unsubscribe()
		if err := a.Flush(); err != nil {
			return err
		}
		r, err := b.Request("svc", []byte("go"), bound)
		if err != nil {
			return err
		}
		if string(r.Data) != "re:go" {
			return fmt.Errorf("reply %q", r.Data)
		}
		return nil
	})

	run("unknown_account_refused", func() error {
		nc, err := connect(server, os.Args[4])
		if err == nil {
			nc.Close()
			return fmt.Errorf("a user of an unknown account connected")
		}
		if !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
			return fmt.Errorf("refused with %v", err)
		}
		return nil
	})

	run("done", func() error { return nil })
	if failed > 0 {
		os.Exit(1)
	}
}

// Command natsgo_accounts drives nats.go (the version Debian packages) against a server running
// tests/compat/accounts_clients_test.ts's config: accounts A and B, B importing A's stream and service.
// It prints a JSON line per check: {"check": name, "ok": bool, "err": string}, and exits 1 when any failed.
//
// Usage: natsgo_accounts nats://127.0.0.1:4222
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
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

func connectAs(server, user string) (*nats.Conn, error) {
	u, err := url.Parse(server)
	if err != nil {
		return nil, err
	}
	u.User = url.UserPassword(user, user)
	return nats.Connect(u.String(), nats.NoReconnect())
}

func main() {
	server := os.Args[1]
	a, errA := connectAs(server, "a")
	b, errB := connectAs(server, "b")
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

	run("service_import_request_with_headers", func() error {
		svc, err := a.Subscribe("a.svc", func(m *nats.Msg) {
			r := nats.NewMsg(m.Reply)
			r.Header.Set("Echo", m.Header.Get("Ask"))
			_ = m.RespondMsg(r)
		})
		if err != nil {
			return err
		}
		defer svc.Unsubscribe()
		if err := a.Flush(); err != nil {
			return err
		}
		req := nats.NewMsg("svc")
		req.Header.Set("Ask", "h1")
		r, err := b.RequestMsg(req, bound)
		if err != nil {
			return err
		}
		if r.Header.Get("Echo") != "h1" {
			return errors.New("header lost across accounts")
		}
		return nil
	})

	run("mapping", func() error {
		sub, err := a.SubscribeSync("mapped.>")
		if err != nil {
			return err
		}
		defer sub.Unsubscribe()
		if err := a.Flush(); err != nil {
			return err
		}
		if err := a.Publish("map.go", nil); err != nil {
			return err
		}
		m, err := sub.NextMsg(bound)
		if err != nil {
			return err
		}
		if m.Subject != "mapped.go" {
			return fmt.Errorf("subject %q", m.Subject)
		}
		return nil
	})

	run("done", func() error { return nil })
	if failed > 0 {
		os.Exit(1)
	}
}

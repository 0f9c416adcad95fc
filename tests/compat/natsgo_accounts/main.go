// Command natsgo_accounts drives nats.go (the version Debian packages) against a server running
// tests/compat/accounts_clients_test.ts's config: accounts A and B, B importing A's stream and service.
// With -creds the same checks run in operator mode (tests/compat/operator_clients_test.ts): A and B are
// JWT accounts whose users connect with nats.UserCredentials, and a user of an unknown account is refused.
// It prints a JSON line per check: {"check": name, "ok": bool, "err": string}, and exits 1 when any failed.
//
// Usage: natsgo_accounts nats://127.0.0.1:4222
//
//	natsgo_accounts -creds nats://127.0.0.1:4222 a.creds b.creds stranger.creds
package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"../gocheck"
)

// bound is the longest any single wait may take before the check fails.
const bound = 5 * time.Second

func connectAs(server, user string) (*nats.Conn, error) {
	u, err := url.Parse(server)
	if err != nil {
		return nil, err
	}
	u.User = url.UserPassword(user, user)
	return nats.Connect(u.String(), nats.NoReconnect())
}

func withCreds(server, creds string) (*nats.Conn, error) {
	return nats.Connect(server, nats.UserCredentials(creds), nats.NoReconnect())
}

func main() {
	operator := os.Args[1] == "-creds"
	var a, b *nats.Conn
	var errA, errB error
	server := os.Args[1]
	if operator {
		server = os.Args[2]
		a, errA = withCreds(server, os.Args[3])
		b, errB = withCreds(server, os.Args[4])
	} else {
		a, errA = connectAs(server, "a")
		b, errB = connectAs(server, "b")
	}
	if errA != nil || errB != nil {
		gocheck.Run("connect", func() error { return fmt.Errorf("a: %v, b: %v", errA, errB) })
		os.Exit(1)
	}
	defer a.Close()
	defer b.Close()

	gocheck.Run("isolation", func() error {
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

	gocheck.Run("stream_import_prefix", func() error {
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

	gocheck.Run("service_import_request", func() error {
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

	gocheck.Run("service_import_request_with_headers", func() error {
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

	gocheck.Run("mapping", func() error {
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

	if operator {
		gocheck.Run("unknown_account_refused", func() error {
			nc, err := withCreds(server, os.Args[5])
			if err == nil {
				nc.Close()
				return errors.New("a user of an unknown account connected")
			}
			if !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
				return fmt.Errorf("refused with %v", err)
			}
			return nil
		})
	}

	gocheck.Run("done", func() error { return nil })
	gocheck.Exit()
}

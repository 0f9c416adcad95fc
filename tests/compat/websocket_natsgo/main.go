// websocket_natsgo: nats.go's own WebSocket transport (ws:// URLs, optionally permessage-deflate) against a
// server, run by tests/compat/websocket_natsgo_test.ts against natsedge and nats-server 2.9.10 alike. Each
// check prints one JSON line {check, ok, err} (tests/compat/gocheck); the exit status is 1 when any failed.
//
// usage: websocket_natsgo ws://127.0.0.1:PORT compress|plain
package main

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"../gocheck"
	"github.com/nats-io/nats.go"
)

func main() {
	url, mode := os.Args[1], os.Args[2]
	opts := []nats.Option{nats.Timeout(5 * time.Second), nats.NoReconnect()}
	if mode == "compress" {
		opts = append(opts, nats.Compression(true))
	}
	var nc *nats.Conn
	gocheck.Run("connect", func() (err error) { nc, err = nats.Connect(url, opts...); return err })
	if nc == nil {
		gocheck.Exit()
	}
	gocheck.Run("pubsub_sizes", func() error { return pubsubSizes(nc) })
	gocheck.Run("request_reply", func() error { return requestReply(nc) })
	gocheck.Run("headers", func() error { return headers(nc) })
	gocheck.Run("flush_rtt", func() error { _, err := nc.RTT(); return err })
	nc.Close()
	gocheck.Run("done", func() error { return nil })
	gocheck.Exit()
}

// pubsubSizes publishes payloads from empty to 512 KiB (more than one frame, compressible and not) and
// expects each back, in order and intact.
func pubsubSizes(nc *nats.Conn) error {
	sub, err := nc.SubscribeSync("sizes")
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	var want [][]byte
	for _, n := range []int{0, 1, 63, 64, 65, 125, 126, 4095, 4097, 65535, 65536, 200_000, 512 * 1024} {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte('a' + (i*7+n)%26)
		}
		want = append(want, p)
		if err := nc.Publish("sizes", p); err != nil {
			return err
		}
	}
	for i, w := range want {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil {
			return fmt.Errorf("message %d (%d bytes): %v", i, len(w), err)
		}
		if !bytes.Equal(m.Data, w) {
			return fmt.Errorf("message %d: got %d bytes, want %d", i, len(m.Data), len(w))
		}
	}
	return nil
}

func requestReply(nc *nats.Conn) error {
	sub, err := nc.Subscribe("svc", func(m *nats.Msg) { m.Respond(append([]byte("re:"), m.Data...)) })
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	for i := 0; i < 50; i++ {
		m, err := nc.Request("svc", []byte(fmt.Sprint(i)), 5*time.Second)
		if err != nil {
			return err
		}
		if string(m.Data) != fmt.Sprintf("re:%d", i) {
			return fmt.Errorf("reply %q", m.Data)
		}
	}
	return nil
}

func headers(nc *nats.Conn) error {
	sub, err := nc.SubscribeSync("hdr")
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	msg := nats.NewMsg("hdr")
	msg.Header.Set("X-Test", "over websocket")
	msg.Data = []byte("body")
	if err := nc.PublishMsg(msg); err != nil {
		return err
	}
	m, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		return err
	}
	if m.Header.Get("X-Test") != "over websocket" || string(m.Data) != "body" {
		return fmt.Errorf("got header %q, body %q", m.Header.Get("X-Test"), m.Data)
	}
	return nil
}

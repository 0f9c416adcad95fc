// wsbench: NATS pub/sub over WebSocket, one publishing and one subscribing connection, measured at the
// subscriber: a native load generator, so the figure is the server's and not a JS client's. Built offline in
// GOPATH mode from Debian's golang-github-gorilla-websocket-dev (see bench/ws_compare.sh).
//
// usage: wsbench -url ws://127.0.0.1:PORT -size 128 -n 2000000
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
)

// How many PUB ops go in one WebSocket message, and how many messages may be in flight before the
// publisher waits for a PONG (flow control, so a fast publisher measures delivery, not slow-consumer drops).
const (
	batchBytes = 64 * 1024
	window     = 32
)

func dial(url string) *websocket.Conn {
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		os.Exit(1)
	}
	if _, _, err := c.ReadMessage(); err != nil { // INFO
		fmt.Fprintln(os.Stderr, "info:", err)
		os.Exit(1)
	}
	return c
}

func send(c *websocket.Conn, s string) {
	if err := c.WriteMessage(websocket.BinaryMessage, []byte(s)); err != nil {
		fmt.Fprintln(os.Stderr, "write:", err)
		os.Exit(1)
	}
}

// awaitPong reads until a PONG has been seen.
func awaitPong(c *websocket.Conn) {
	for {
		_, m, err := c.ReadMessage()
		if err != nil {
			fmt.Fprintln(os.Stderr, "read:", err)
			os.Exit(1)
		}
		if bytes.Contains(m, []byte("PONG\r\n")) {
			return
		}
	}
}

func main() {
	url := flag.String("url", "ws://127.0.0.1:8080", "server WebSocket URL")
	size := flag.Int("size", 128, "payload bytes")
	n := flag.Int("n", 1000000, "messages")
	flag.Parse()

	sub := dial(*url)
	send(sub, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB bench 1\r\nPING\r\n")
	awaitPong(sub)
	pub := dial(*url)
	send(pub, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n")
	awaitPong(pub)

	perMsg := len("MSG bench 1 "+strconv.Itoa(*size)+"\r\n") + *size + 2
	want := int64(perMsg) * int64(*n)
	done := make(chan time.Time)
	go func() {
		var got int64
		for got < want {
			_, m, err := sub.ReadMessage()
			if err != nil {
				fmt.Fprintln(os.Stderr, "subscriber:", err)
				os.Exit(1)
			}
			got += int64(len(m))
		}
		done <- time.Now()
	}()

	op := []byte("PUB bench " + strconv.Itoa(*size) + "\r\n" + string(bytes.Repeat([]byte("x"), *size)) + "\r\n")
	perBatch := batchBytes / len(op)
	if perBatch < 1 {
		perBatch = 1
	}
	batch := bytes.Repeat(op, perBatch)
	pongs := make(chan struct{}, window*2)
	go func() {
		for {
			_, m, err := pub.ReadMessage()
			if err != nil {
				return
			}
			for i := bytes.Count(m, []byte("PONG\r\n")); i > 0; i-- {
				pongs <- struct{}{}
			}
		}
	}()
	start := time.Now()
	inflight := 0
	for sent := 0; sent < *n; {
		k := perBatch
		if *n-sent < k {
			k = *n - sent
		}
		msg := append(batch[:k*len(op):k*len(op)], "PING\r\n"...)
		if err := pub.WriteMessage(websocket.BinaryMessage, msg); err != nil {
			fmt.Fprintln(os.Stderr, "publisher:", err)
			os.Exit(1)
		}
		sent += k
		inflight++
		if inflight >= window {
			<-pongs
			inflight--
		}
	}
	select {
	case end := <-done:
		secs := end.Sub(start).Seconds()
		fmt.Printf("{\"size\":%d,\"msgs\":%d,\"seconds\":%.3f,\"msgs_per_sec\":%.0f,\"mb_per_sec\":%.1f}\n", *size, *n, secs, float64(*n)/secs, float64(*n)*float64(*size)/secs/1e6)
	case <-time.After(60 * time.Second):
		fmt.Fprintln(os.Stderr, "timed out waiting for deliveries")
		os.Exit(1)
	}
}

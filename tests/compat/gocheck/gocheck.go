// Package gocheck is what the nats.go compatibility programs under tests/compat/ share: each check prints a
// JSON line {"check": name, "ok": bool, "err": string} on standard output, and the program exits 1 when any
// failed. The programs import it by the local path "../gocheck" (GOPATH mode, as compat_programs.ts builds).
package gocheck

import (
	"encoding/json"
	"fmt"
	"os"
)

type result struct {
	Check string `json:"check"`
	OK    bool   `json:"ok"`
	Err   string `json:"err"`
}

var (
	out    = json.NewEncoder(os.Stdout)
	failed = 0
)

// Run runs one check and prints its line; a panic in it fails that check instead of ending the run.
func Run(name string, fn func() error) {
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return fn()
	}()
	r := result{Check: name, OK: err == nil}
	if err != nil {
		r.Err = err.Error()
		failed++
	}
	_ = out.Encode(r)
}

// Exit ends the program, with status 1 when any check failed.
func Exit() {
	if failed > 0 {
		os.Exit(1)
	}
	os.Exit(0)
}

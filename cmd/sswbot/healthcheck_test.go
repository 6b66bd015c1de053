package main

import (
	"bytes"
	"context"
	"net"
	"testing"
)

func TestHealthcheckAsksTheLocalServe(t *testing.T) {
	addr := startServe(t, serveOpts{}).addr
	_, port, _ := net.SplitHostPort(addr)
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want int
	}{
		{"alive, the port from SSWBOT_ADDR", []string{"healthcheck"}, map[string]string{"SSWBOT_ADDR": ":" + port}, 0},
		{"ready, an explicit address", []string{"healthcheck", "--ready", "--addr", "0.0.0.0:" + port}, nil, 0},
		{"nobody listening", []string{"healthcheck", "--addr", "127.0.0.1:1", "--timeout", "1s"}, nil, 1},
		{"a bad address", []string{"healthcheck", "--addr", "8080"}, nil, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if got := run(context.Background(), tt.args, envOf(tt.env), nil, &out, &errb); got != tt.want {
				t.Errorf("exit = %d, want %d; stderr: %s", got, tt.want, errb.String())
			}
		})
	}
}

func TestLocalURL(t *testing.T) {
	for in, want := range map[string]string{
		":8080":         "http://127.0.0.1:8080",
		"0.0.0.0:8080":  "http://127.0.0.1:8080",
		"[::]:8080":     "http://127.0.0.1:8080",
		"10.0.0.5:9000": "http://10.0.0.5:9000",
		"[::1]:8080":    "http://[::1]:8080",
	} {
		if got, err := localURL(in); err != nil || got != want {
			t.Errorf("localURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// Command jetlog runs any jetlog role from one binary.
//
//	jetlog [-target all|gateway|chunker|querier] [flags]   run the server
//	jetlog inspect [-index] FILE|KEY ...                   describe stored objects
//
// With no -nats.url, jetlog embeds a single-node NATS JetStream server; with
// -storage.backend=filesystem (the default) it stores objects under -data-dir.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	m := NewMain()
	m.MemoryLimit = true
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "jetlog:", err)
		os.Exit(1)
	}
}

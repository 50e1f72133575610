// Command whistlectl is the command-line client of the Whistle REST API.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/chuishao/whistle/cli/whistlectl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := whistlectl.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

package ctl

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
)

func watchCmd(e *env) *cobra.Command {
	return authed(&cobra.Command{
		Use:   "watch",
		Short: "Follow the live event stream of your scope (Ctrl-C stops)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return watch(cmd.Context(), e)
		},
	})
}

// watch prints one line per event of GET /v1/stream; with -o json each
// event's data on a line of its own (JSON Lines), with -o yaml each event's
// data as a YAML document.
func watch(ctx context.Context, e *env) error {
	resp, err := e.client().Stream(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the stream answered HTTP %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var id, name string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data := strings.TrimPrefix(line, "data: ")
			var err error
			switch e.output {
			case OutputJSON:
				_, err = fmt.Fprintln(e.out, data)
			case OutputYAML:
				if _, err = fmt.Fprintln(e.out, "---"); err == nil {
					err = printYAML(e.out, []byte(data))
				}
			default:
				_, err = fmt.Fprintf(e.out, "%s\t%s\t%s\n", id, name, data)
			}
			if err != nil {
				return err
			}
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return sc.Err()
}

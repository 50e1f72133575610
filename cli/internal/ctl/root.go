// Package ctl is whistlectl's command layer: one cobra command per user
// action, each a REST call to the gateway printed as a table, JSON or YAML.
package ctl

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/chuishao/whistle/cli/internal/client"
	"github.com/chuishao/whistle/cli/internal/drill"
)

// DefaultURL is the gateway of `make run`.
const DefaultURL = "http://127.0.0.1:8080"

// env carries the global options and where to print.
type env struct {
	url, token, output string
	out                io.Writer
	getenv             func(string) string
	http               *http.Client
	// drillClock paces `drill run`: the wall clock, or a test's.
	drillClock drill.Clock
}

// client returns a client for the resolved URL and token.
func (e *env) client() *client.Client {
	return &client.Client{BaseURL: e.url, Token: e.token, HTTP: e.http}
}

// needsToken marks commands that cannot work without --token.
const needsToken = "needs-token"

// NewRootCommand builds whistlectl. getenv supplies WHISTLE_URL and WHISTLE_TOKEN.
func NewRootCommand(out io.Writer, getenv func(string) string) *cobra.Command {
	return newRootCommand(out, getenv, drill.WallClock{})
}

func newRootCommand(out io.Writer, getenv func(string) string, drillClock drill.Clock) *cobra.Command {
	e := &env{out: out, getenv: getenv, http: &http.Client{Timeout: 60 * time.Second}, drillClock: drillClock}
	root := &cobra.Command{
		Use:   "whistlectl",
		Short: "Raise and follow whistles (吹哨), work a duty desk's queue (报到), rate the response",
		Long: "whistlectl talks to the Whistle gateway's REST API.\n\n" +
			"Sign in with `whistlectl login` (the deployment's identity provider), or get a dev token with\n" +
			"`whistlectl token` (`make run`) and export it as WHISTLE_TOKEN.\n\n" +
			"Settings come from flags, then the environment (WHISTLE_URL, WHISTLE_TOKEN), then a YAML config file\n" +
			"(WHISTLE_CONFIG, default ~/.config/whistle/config.yaml) with the keys url, token and output.\n\n" +
			"Shell completion: `source <(whistlectl completion bash)`; see `whistlectl completion --help` for zsh and fish.",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if isCompletion(cmd) {
				return nil // completion reads no settings: a broken config file must not break the shell
			}
			// Flags beat the environment, which beats the config file.
			file, err := loadConfigFile(getenv)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("url") {
				if v := firstOf(getenv("WHISTLE_URL"), file.URL); v != "" {
					e.url = v
				}
			}
			if !cmd.Flags().Changed("token") {
				e.token = firstOf(getenv("WHISTLE_TOKEN"), file.Token)
			}
			if e.token == "" && cmd.Annotations[needsToken] != "" {
				// The sign-in of `whistlectl login`, renewed when due.
				if e.token, err = e.signedInToken(cmd.Context()); err != nil {
					return err
				}
			}
			if !cmd.Flags().Changed("output") && file.Output != "" {
				e.output = file.Output
			}
			if !slices.Contains(outputFormats, e.output) {
				return fmt.Errorf("-o must be %s, got %q", strings.Join(outputFormats, ", "), e.output)
			}
			if cmd.Annotations[needsToken] != "" && e.token == "" {
				return errors.New("not signed in: run `whistlectl login`, or pass --token or set WHISTLE_TOKEN " +
					"(`whistlectl token --role street --street 110101001` prints one when the gateway has dev sign-in)")
			}
			return nil
		},
	}
	root.SetOut(out)
	pf := root.PersistentFlags()
	pf.StringVar(&e.url, "url", DefaultURL, "gateway base URL (env WHISTLE_URL)")
	pf.StringVar(&e.token, "token", "", "bearer token (env WHISTLE_TOKEN)")
	pf.StringVarP(&e.output, "output", "o", OutputTable, "output format: table, json or yaml (json and yaml print the API's objects as they came)")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp))

	root.AddCommand(
		loginCmd(e), logoutCmd(e), tokenCmd(e),
		raiseCmd(e), listCmd(e), whistlesCmd(e), showCmd(e), timelineCmd(e), feedbackCmd(e), cancelCmd(e), reopenCmd(e),
		queueCmd(e), dispatchCmd(e), ackCmd(e), arriveCmd(e), resolveCmd(e), returnCmd(e),
		categoriesCmd(e), districtsCmd(e), streetsCmd(e), departmentsCmd(e),
		escalateCmd(e), arbitrationsCmd(e), arbitrateCmd(e), reportCmd(e), auditCmd(e), slaCmd(e), catalogueCmd(e),
		mergeCmd(e), keepCmd(e), confirmLocationCmd(e), addDepartmentCmd(e), routingCmd(e), attachCmd(e),
		extensionCmd(e), appealCmd(e), boardCmd(e), riskCmd(e), formCmd(e), etaCmd(e),
		seedCmd(e), watchCmd(e),
		rosterCmd(e), endpointsCmd(e), channelsCmd(e), grantsCmd(e), serviceAccountsCmd(e), deadLettersCmd(e), deliveriesCmd(e),
		reportsCmd(e), ticketsCmd(e), geoCmd(e), outboxCmd(e), versionCmd(e), drillCmd(e),
	)
	return root
}

// isCompletion says whether cmd is cobra's `completion` command (or one of
// its shells) or the hidden __complete the scripts call.
func isCompletion(cmd *cobra.Command) bool {
	for c := cmd; c != nil; c = c.Parent() {
		if n := c.Name(); n == "completion" || n == cobra.ShellCompRequestCmd || n == cobra.ShellCompNoDescRequestCmd {
			return true
		}
	}
	return false
}

// Execute runs whistlectl with args and returns the process exit code,
// printing any error readably to errOut.
func Execute(ctx context.Context, args []string, out, errOut io.Writer, getenv func(string) string) int {
	return ExecuteWithClock(ctx, drill.WallClock{}, args, out, errOut, getenv)
}

// ExecuteWithClock is Execute with `drill run` paced by clock (a test's fake
// clock: a replay then takes no real time).
func ExecuteWithClock(ctx context.Context, clock drill.Clock, args []string, out, errOut io.Writer, getenv func(string) string) int {
	root := newRootCommand(out, getenv, clock)
	root.SetErr(errOut)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		PrintError(errOut, err)
		return 1
	}
	return 0
}

// PrintError writes err for a person: an API error with its code and each
// field's reason, or the plain message.
func PrintError(w io.Writer, err error) {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		fmt.Fprintf(w, "error: %s (HTTP %d): %s\n", apiErr.Code, apiErr.Status, apiErr.Message)
		for _, d := range apiErr.Details {
			fmt.Fprintf(w, "  %s: %s\n", d.Field, d.Reason)
		}
		switch apiErr.Status {
		case http.StatusUnauthorized:
			fmt.Fprintln(w, "  (the token is missing, expired or not signed by this deployment's key)")
		case http.StatusForbidden:
			fmt.Fprintln(w, "  (this token's role may not do that)")
		}
		return
	}
	var tErr *client.TransportError
	if errors.As(err, &tErr) {
		fmt.Fprintf(w, "error: %v\n  (is the gateway running? `make run` starts it; --url or WHISTLE_URL points elsewhere)\n", tErr)
		return
	}
	fmt.Fprintf(w, "error: %v\n", err)
}

// newIdempotencyKey makes a fresh key so that a retried raise is one whistle.
func newIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tokenClaim reads one claim of a JWT without verifying it: only to fill in
// defaults (the caller's own street); the server verifies the token.
// writeOut writes a document to the file out (readable by its owner only),
// or to the command's output when out is empty.
func writeOut(e *env, out string, doc []byte) error {
	if out == "" {
		_, err := e.out.Write(doc)
		return err
	}
	return os.WriteFile(out, doc, 0o600)
}

// streetOf is the street a command acts in: flag (--street) when given, else
// the street the token names (a street acts for itself); an error when neither.
func streetOf(e *env, flag string) (string, error) {
	if flag == "" {
		flag = tokenClaim(e.token, "street")
	}
	if flag == "" {
		return "", fmt.Errorf("--street is required (the token names no street)")
	}
	return flag, nil
}

func tokenClaim(token, claim string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	s, _ := claims[claim].(string)
	return s
}

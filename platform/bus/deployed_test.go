package bus_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/bus"
)

var update = flag.Bool("update", false, "rewrite the deployed NATS users from bus.PermissionsOf")

// The compose cluster and the Helm chart configure the same NATS users as the
// embedded server; they are generated from bus.PermissionsOf:
//
//	go test ./platform/bus -run TestDeployedNATSUsers -update
var (
	composeUsers = filepath.Join("..", "..", "deploy", "nats", "users.conf")
	chartValues  = filepath.Join("..", "..", "charts", "whistle", "values.yaml")
)

const (
	beginMark = "# BEGIN NATS users (generated: go test ./platform/bus -run TestDeployedNATSUsers -update)"
	endMark   = "# END NATS users"
)

// passwordVar is the environment variable holding a user's password on the NATS servers.
func passwordVar(user string) string { return "NATS_" + strings.ToUpper(user) + "_PASSWORD" }

func quoted(subjects []string) string {
	q := make([]string, len(subjects))
	for i, s := range subjects {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func users() []string { return append([]string{bus.UserAdmin}, bus.ServiceUsers...) }

// permissions are a service user's; the admin has none (it is unrestricted).
func permissions(t *testing.T, user string) (bus.Permissions, bool) {
	if user == bus.UserAdmin {
		return bus.Permissions{}, false
	}
	p, err := bus.PermissionsOf(user)
	require.NoError(t, err)
	return p, true
}

// denyList is the ", deny: [...]" part of a publish permission, if it has one.
func denyList(p bus.Permissions) string {
	if len(p.PublishDeny) == 0 {
		return ""
	}
	return ", deny: " + quoted(p.PublishDeny)
}

func renderConf(t *testing.T) string {
	var b strings.Builder
	b.WriteString("# Generated from proto/topology (bus.PermissionsOf): go test ./platform/bus -run TestDeployedNATSUsers -update\n")
	b.WriteString("# One user per service, limited to its own subjects; passwords come from the environment.\n")
	b.WriteString("authorization {\n  users = [\n")
	for _, u := range users() {
		fmt.Fprintf(&b, "    {user: %s, password: $%s", u, passwordVar(u))
		if p, ok := permissions(t, u); ok {
			fmt.Fprintf(&b, ", permissions: {\n      publish: {allow: %s%s}\n      subscribe: {allow: %s}\n    }",
				quoted(p.Publish), denyList(p), quoted(p.Subscribe))
		}
		b.WriteString("}\n")
	}
	b.WriteString("  ]\n}\n")
	return b.String()
}

// renderValues is the block of charts/whistle/values.yaml under nats: (two spaces in).
func renderValues(t *testing.T) string {
	var b strings.Builder
	b.WriteString("  " + beginMark + "\n")
	b.WriteString("  container:\n    env:\n")
	for _, u := range users() {
		fmt.Fprintf(&b, "      %s:\n        valueFrom:\n          secretKeyRef: {name: whistle-nats-users, key: %s}\n", passwordVar(u), u)
	}
	b.WriteString("  config:\n    merge:\n      authorization:\n        users:\n")
	for _, u := range users() {
		fmt.Fprintf(&b, "          - user: %s\n            password: << $%s >>\n", u, passwordVar(u))
		if p, ok := permissions(t, u); ok {
			fmt.Fprintf(&b, "            permissions:\n              publish: {allow: %s%s}\n              subscribe: {allow: %s}\n",
				quoted(p.Publish), denyList(p), quoted(p.Subscribe))
		}
	}
	b.WriteString("  " + endMark + "\n")
	return b.String()
}

func TestDeployedNATSUsers(t *testing.T) {
	conf := renderConf(t)
	values, err := os.ReadFile(chartValues)
	require.NoError(t, err)
	begin := strings.Index(string(values), "  "+beginMark)
	end := strings.Index(string(values), "  "+endMark+"\n")
	require.True(t, begin >= 0 && end > begin, "%s has no generated NATS users block", chartValues)
	block := renderValues(t)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(composeUsers), 0o755))
		require.NoError(t, os.WriteFile(composeUsers, []byte(conf), 0o644))
		out := string(values[:begin]) + block + string(values[end+len("  "+endMark+"\n"):])
		require.NoError(t, os.WriteFile(chartValues, []byte(out), 0o644))
		return
	}
	got, err := os.ReadFile(composeUsers)
	require.NoError(t, err)
	require.Equal(t, conf, string(got), "%s is out of date: run the -update command above", composeUsers)
	require.Equal(t, block, string(values[begin:end+len("  "+endMark+"\n")]),
		"%s NATS users are out of date: run the -update command above", chartValues)

	// The generated file is a valid server configuration.
	for _, u := range users() {
		t.Setenv(passwordVar(u), "pw-"+u)
	}
	opts, err := server.ProcessConfigFile(composeUsers)
	require.NoError(t, err)
	require.Len(t, opts.Users, len(users()))
	for _, u := range opts.Users {
		require.Equal(t, "pw-"+u.Username, u.Password)
	}
}

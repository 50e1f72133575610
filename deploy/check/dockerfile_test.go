package check

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/require"
)

var dockerfile = filepath.Join("..", "Dockerfile")

// TestDockerfilePassesBuildChecks runs BuildKit's build checks — what
// `docker build --check` runs — without an engine or the network: the base
// images are not resolved, every rule that reads the Dockerfile itself runs.
// hadolint is not a Go module, so this is the offline linter.
func TestDockerfilePassesBuildChecks(t *testing.T) {
	t.Parallel()
	dt, err := os.ReadFile(dockerfile)
	require.NoError(t, err)
	for _, svc := range []string{"intake", "discovery", "routing", "response", "feedback", "gateway"} {
		for _, w := range buildChecks(t, dt, svc) {
			t.Errorf("%s: %s", svc, w)
		}
	}
}

// TestBuildChecksCatchProblems shows the checks above are live: a Dockerfile
// with known mistakes gets their rules' warnings.
func TestBuildChecksCatchProblems(t *testing.T) {
	t.Parallel()
	bad := []byte("FROM golang:1.26 as build\nENV A=$UNDEFINED_THING\nFROM scratch\nCMD /app\n")
	got := strings.Join(buildChecks(t, bad, "intake"), "\n")
	for _, rule := range []string{"FromAsCasing", "UndefinedVar", "JSONArgsRecommended"} {
		require.Contains(t, got, rule)
	}
}

// offlineImages answers every base image with an empty Linux image config, so
// the checks never reach a registry (CI is offline) and do not depend on what
// the registry holds today.
type offlineImages struct{}

func (offlineImages) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	cfg := []byte(`{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},"rootfs":{"type":"layers","diff_ids":[]}}`)
	return ref, digest.FromBytes(cfg), cfg, nil
}

func buildChecks(t *testing.T, dt []byte, service string) []string {
	t.Helper()
	def, err := llb.Scratch().Marshal(context.Background())
	require.NoError(t, err)
	sm := llb.NewSourceMap(nil, "deploy/Dockerfile", "Dockerfile", dt)
	sm.Definition = def
	res, err := dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{
		Config:       dockerui.Config{BuildArgs: map[string]string{"SERVICE": service}},
		SourceMap:    sm,
		MetaResolver: offlineImages{},
	})
	require.NoError(t, err)
	var out []string
	for _, w := range res.Warnings {
		out = append(out, w.RuleName+": "+w.Detail+" ("+w.URL+")")
	}
	return out
}

// TestDockerfileHouseRules are the rules the build checks do not know: a
// static binary on a minimal base, a non-root user, a healthcheck that works
// without a shell, pinned base images given as build arguments.
func TestDockerfileHouseRules(t *testing.T) {
	t.Parallel()
	f, err := os.Open(dockerfile)
	require.NoError(t, err)
	defer f.Close()
	ast, err := parser.Parse(f)
	require.NoError(t, err)
	stages, metaArgs, err := instructions.Parse(ast.AST, nil)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(stages), 2, "multi-stage: build, then a minimal runtime image")

	defaults := map[string]string{}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				defaults[kv.Key] = *kv.Value
			}
		}
	}
	// Defaults may refer to earlier ones (BUILD_IMAGE to GO_VERSION): expand until nothing changes.
	expand := func(s string) string {
		for range len(defaults) + 1 {
			for k, v := range defaults {
				s = strings.ReplaceAll(s, "${"+k+"}", v)
			}
		}
		return s
	}
	for _, s := range stages {
		base := expand(s.BaseName)
		if slices.ContainsFunc(stages, func(o instructions.Stage) bool { return o.Name == base }) || base == "scratch" {
			continue
		}
		require.True(t, strings.HasPrefix(s.BaseName, "${"), "stage %q: the base image is a build argument, so a mirror can stand in (%s)", s.Name, s.BaseName)
		require.Contains(t, base, ":", "stage %q: base image %s has no tag", s.Name, base)
		require.NotContains(t, base, ":latest", "stage %q: base image %s is not pinned", s.Name, base)
	}

	build := stages[0]
	var static bool
	for _, c := range build.Commands {
		if r, ok := c.(*instructions.RunCommand); ok && strings.Contains(strings.Join(r.CmdLine, " "), "CGO_ENABLED=0") {
			static = true
		}
	}
	require.True(t, static, "the build stage builds with CGO_ENABLED=0 (a static binary)")

	final := stages[len(stages)-1]
	runtimeImage := expand(final.BaseName)
	require.True(t, strings.HasPrefix(runtimeImage, "gcr.io/distroless/static") || runtimeImage == "scratch",
		"runtime image is distroless/static or scratch, not %s", runtimeImage)
	var user string
	var health *instructions.HealthCheckCommand
	var entrypoint []string
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.HealthCheckCommand:
			health = c
		case *instructions.EntrypointCommand:
			entrypoint = c.CmdLine
		case *instructions.RunCommand:
			t.Errorf("RUN in the runtime stage: it has no shell (%v)", c.CmdLine)
		}
	}
	require.NotEmpty(t, user, "the runtime stage sets USER")
	require.NotContains(t, []string{"root", "0", "0:0", "root:root"}, user, "USER is not root")
	require.NotNil(t, health, "HEALTHCHECK")
	require.Equal(t, "CMD", health.Health.Test[0], "exec-form healthcheck: distroless has no shell")
	require.Equal(t, []string{"/whistle", "-healthcheck"}, health.Health.Test[1:])
	require.Equal(t, []string{"/whistle"}, entrypoint)
}

// TestTheImageWorkspaceHoldsOnlyModulesInTheContext: Go refuses a workspace
// that lists a module it cannot find, and the repository's go.work lists the
// tools' and tests' modules, which the build context leaves out. The image
// builds in a workspace of its own whose every module has its go.mod copied
// first and is not ignored, and the repository's go.work stays out.
func TestTheImageWorkspaceHoldsOnlyModulesInTheContext(t *testing.T) {
	t.Parallel()
	text, err := os.ReadFile(dockerfile)
	require.NoError(t, err)
	ignore, err := os.ReadFile(dockerfile + ".dockerignore")
	require.NoError(t, err)
	ignored := strings.Fields(string(ignore))
	require.Contains(t, ignored, "go.work", "the repository's workspace stays out of the context")

	copied := map[string]bool{}
	var workspace []string
	for _, line := range strings.Split(string(text), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "COPY" && strings.HasSuffix(f[1], "/go.mod"):
			copied["./"+strings.TrimSuffix(f[1], "/go.mod")] = true
		case len(f) > 3 && f[0] == "RUN" && f[1] == "go" && f[2] == "work" && f[3] == "init":
			workspace = f[4:]
		}
	}
	require.NotEmpty(t, workspace, "the build stage makes its own workspace (RUN go work init …)")
	for _, m := range workspace {
		require.True(t, copied[m], "module %s of the image's workspace has its go.mod copied before go mod download", m)
		for _, pattern := range ignored {
			require.False(t, strings.HasPrefix(strings.TrimPrefix(m, "./")+"/", strings.TrimSuffix(pattern, "/")+"/"),
				"module %s is excluded from the build context by %q", m, pattern)
		}
	}
	for _, svc := range []string{"intake", "discovery", "routing", "response", "feedback", "gateway"} {
		require.Contains(t, workspace, "./services/"+svc)
	}
}

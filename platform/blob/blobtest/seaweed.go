package blobtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/chuishao/whistle/platform/blob"
)

// SeaweedModule and SeaweedVersion are the SeaweedFS release the tests build
// (the Go module proxy carries it). The same command builds it by hand:
//
//	d=$(go mod download -json github.com/seaweedfs/seaweedfs@<SeaweedVersion> | jq -r .Dir)
//	(cd $d && GOWORK=off GOFLAGS=-mod=mod go build -o ~/.cache/whistle/weed-<SeaweedVersion> ./weed)
//
// (go install refuses it: its go.mod has replace directives.)
const (
	SeaweedModule  = "github.com/seaweedfs/seaweedfs"
	SeaweedVersion = "v0.0.0-20261109003541-7506e5f91cd6"
)

// WeedEnv names a weed binary to use instead of building one.
const WeedEnv = "WHISTLE_WEED"

// Weed returns the path of the weed binary (EnsureWeed). The test is
// skipped, saying why, only when the build itself fails.
func Weed(t testing.TB) string {
	t.Helper()
	bin, err := EnsureWeed()
	if err != nil {
		t.Skipf("SeaweedFS S3 tests skipped: %v (set %s to a weed binary)", err, WeedEnv)
	}
	return bin
}

// EnsureWeed returns the path of the weed binary: $WHISTLE_WEED, else the
// cached build in the user cache directory, building it from the module proxy
// the first time (minutes on two cores; one build at a time across
// processes). `make weed` runs it before the tests, so the build never counts
// against a test's timeout.
func EnsureWeed() (string, error) {
	if p := os.Getenv(WeedEnv); p != "" {
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory to build weed into: %w", err)
	}
	dir := filepath.Join(cache, "whistle")
	bin := filepath.Join(dir, "weed-"+SeaweedVersion)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(bin+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer func() { _ = lock.Close() }()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	if _, err := os.Stat(bin); err == nil { // another process built it while we waited
		return bin, nil
	}
	if err := buildWeed(bin); err != nil {
		return "", fmt.Errorf("building weed %s from the Go module proxy failed: %w", SeaweedVersion, err)
	}
	return bin, nil
}

func buildWeed(bin string) error {
	var out bytes.Buffer
	dl := exec.Command("go", "mod", "download", "-json", SeaweedModule+"@"+SeaweedVersion)
	dl.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	dl.Stdout, dl.Stderr = &out, &out
	if err := dl.Run(); err != nil {
		return fmt.Errorf("go mod download: %v: %s", err, out.String())
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out.Bytes(), &mod); err != nil || mod.Dir == "" {
		return fmt.Errorf("go mod download: no directory in %s", out.String())
	}
	out.Reset()
	build := exec.Command("go", "build", "-o", bin+".tmp", "./weed")
	build.Dir = mod.Dir
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	build.Stdout, build.Stderr = &out, &out
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build: %v: %s", err, out.String())
	}
	return os.Rename(bin+".tmp", bin)
}

// Seaweed starts a SeaweedFS server with its S3 API on free ports, with
// its data in a temporary directory, for the life of the test, and returns
// the settings of a bucket on it (created by blob.NewS3).
func Seaweed(t testing.TB) blob.S3Config {
	t.Helper()
	weed := Weed(t)
	dir := t.TempDir()
	const access, secret = "whistle-test", "whistle-test-secret"
	conf, err := json.Marshal(map[string]any{"identities": []any{map[string]any{
		"name":        "whistle",
		"credentials": []any{map[string]string{"accessKey": access, "secretKey": secret}},
		"actions":     []string{"Admin", "Read", "Write", "List", "Tagging"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	confPath := filepath.Join(dir, "s3.json")
	if err := os.WriteFile(confPath, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	p := freePorts(t, 10)
	s3Port := p[0]
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, weed, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-dir="+data,
		"-master.port="+p[1], "-master.port.grpc="+p[2], "-volume.port="+p[3], "-volume.port.grpc="+p[4],
		"-filer", "-filer.port="+p[5], "-filer.port.grpc="+p[6],
		"-s3", "-s3.port="+s3Port, "-s3.port.grpc="+p[7], "-s3.port.iceberg="+p[8], "-s3.port.lance="+p[9],
		"-s3.config="+confPath,
		"-master.volumeSizeLimitMB=64", "-volume.max=8")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start weed: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-exited
		if t.Failed() {
			t.Logf("weed output:\n%s", logs.String())
		}
	})
	cfg := blob.S3Config{
		Endpoint: "http://127.0.0.1:" + s3Port, Region: "us-east-1", Bucket: "whistle-test",
		AccessKey: access, SecretKey: secret, CreateBucket: true,
	}
	waitS3(t, cfg, exited, &logs)
	return cfg
}

// waitS3 waits until the S3 API answers a signed request (the master,
// volume and filer start first), or the server exits, or a minute passes.
func waitS3(t testing.TB, cfg blob.S3Config, exited <-chan error, logs *bytes.Buffer) {
	t.Helper()
	client, err := minio.New(cfg.Endpoint[len("http://"):], &minio.Options{
		Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""), Region: cfg.Region, BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := client.ListBuckets(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case e := <-exited:
			t.Fatalf("weed exited: %v\n%s", e, logs.String())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			t.Fatalf("weed S3 did not answer within a minute: %v\n%s", err, logs.String())
		}
	}
}

// freePorts reserves n distinct free TCP ports on 127.0.0.1 (released just
// before the server binds them). Each gRPC port is also kept clear of
// port+10000, SeaweedFS's default.
func freePorts(t testing.TB, n int) []string {
	t.Helper()
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	out := make([]string, 0, n)
	for len(out) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
	}
	return out
}

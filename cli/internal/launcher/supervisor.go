package launcher

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"time"
)

// Exit reports that a child process ended.
type Exit struct {
	Name string
	Err  error // nil for exit status 0
}

// Supervisor runs child processes, prefixes their output with their name, and
// stops them together.
type Supervisor struct {
	out   io.Writer
	outMu sync.Mutex
	mu    sync.Mutex
	kids  []*child
	exits chan Exit
	width int
}

type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

// NewSupervisor writes the children's output lines to out, each prefixed with
// the child's name padded to width.
func NewSupervisor(out io.Writer, width int) *Supervisor {
	return &Supervisor{out: out, width: width, exits: make(chan Exit, 16)}
}

// Exits delivers every child's exit, expected or not.
func (s *Supervisor) Exits() <-chan Exit { return s.exits }

// Start runs path as a child named name with exactly env as its environment.
// A child started again under a name takes the place of the one that ended,
// so Stop still stops the children in the order they were first started.
func (s *Supervisor) Start(name, path string, env []string) error {
	cmd := exec.Command(path)
	cmd.Env = env
	cmd.Stdout = &prefixWriter{sup: s, prefix: s.prefix(name)}
	cmd.Stderr = &prefixWriter{sup: s, prefix: s.prefix(name)}
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, done: make(chan struct{})}
	s.mu.Lock()
	if i := slices.IndexFunc(s.kids, func(k *child) bool { return k.name == name }); i >= 0 {
		s.kids[i] = c
	} else {
		s.kids = append(s.kids, c)
	}
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		for _, w := range []io.Writer{cmd.Stdout, cmd.Stderr} {
			w.(*prefixWriter).flush()
		}
		close(c.done)
		s.exits <- Exit{Name: name, Err: err}
	}()
	return nil
}

// Stop sends SIGTERM to every running child (newest first, so the gateway goes
// before the services it calls), waits up to grace, then kills what is left.
func (s *Supervisor) Stop(grace time.Duration) {
	s.mu.Lock()
	kids := append([]*child(nil), s.kids...)
	s.mu.Unlock()
	for i := len(kids) - 1; i >= 0; i-- {
		_ = kids[i].cmd.Process.Signal(syscall.SIGTERM)
	}
	deadline := time.After(grace)
	for _, c := range kids {
		select {
		case <-c.done:
			continue
		case <-deadline:
		}
		// Out of patience: kill this one and everything still running.
		for _, k := range kids {
			select {
			case <-k.done:
			default:
				s.Printf("%s did not stop within %v; killing it", k.name, grace)
				_ = k.cmd.Process.Kill()
			}
		}
		for _, k := range kids {
			<-k.done
		}
		return
	}
}

// Printf writes a launcher line between the children's lines.
func (s *Supervisor) Printf(format string, args ...any) {
	s.writeLine(s.prefix("whistle-dev"), []byte(fmt.Sprintf(format, args...)))
}

// Write writes raw launcher output (a banner) without a prefix.
func (s *Supervisor) Write(p []byte) (int, error) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	return s.out.Write(p)
}

func (s *Supervisor) prefix(name string) string {
	return fmt.Sprintf("%-*s | ", s.width, name)
}

func (s *Supervisor) writeLine(prefix string, line []byte) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	buf := make([]byte, 0, len(prefix)+len(line)+1)
	buf = append(append(append(buf, prefix...), line...), '\n')
	_, _ = s.out.Write(buf)
}

// prefixWriter turns a child's output stream into whole prefixed lines, so
// lines of different children never interleave mid-line.
type prefixWriter struct {
	sup    *Supervisor
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.sup.writeLine(w.prefix, w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *prefixWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.sup.writeLine(w.prefix, w.buf)
		w.buf = nil
	}
}

// exitReason says how a child ended: "signal: killed", "exit status 2".
func exitReason(e Exit) string {
	if e.Err == nil {
		return "exit status 0"
	}
	var ee *exec.ExitError
	if errors.As(e.Err, &ee) {
		return ee.String()
	}
	return e.Err.Error()
}

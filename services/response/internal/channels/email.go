package channels

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"
)

// SMTP is the mail server e-mails are handed to.
type SMTP struct {
	// Addr is host:port; empty means e-mail is not configured.
	Addr string
	// From is the sender address.
	From string
	// Username and Password authenticate (PLAIN; only over TLS or to localhost).
	Username, Password string
	// StartTLS is "auto" (when the server offers it; the default), "require" or "off".
	StartTLS string
	// TLS is the client configuration for STARTTLS (nil: system roots, the host's name).
	TLS *tls.Config
	// Timeout bounds one send (default 30 s).
	Timeout time.Duration
}

// Configured reports whether e-mail can be sent.
func (s SMTP) Configured() bool { return s.Addr != "" && s.From != "" }

func (s SMTP) send(ctx context.Context, m Message, at time.Time) error {
	if !s.Configured() {
		return fmt.Errorf("%w: e-mail is not configured (WHISTLE_SMTP_ADDR, WHISTLE_SMTP_FROM)", ErrPermanent)
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	host, _, _ := net.SplitHostPort(s.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if err := s.startTLS(c, host); err != nil {
		return err
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return fmt.Errorf("smtp MAIL FROM: %w", err)
	}
	for _, to := range m.To {
		if err := c.Rcpt(to.Email); err != nil {
			return fmt.Errorf("smtp RCPT TO: %w", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if _, err := w.Write(s.compose(m, at)); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp DATA: %w", err)
	}
	return c.Quit()
}

func (s SMTP) startTLS(c *smtp.Client, host string) error {
	mode := s.StartTLS
	if mode == "off" {
		return nil
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		if mode == "require" {
			return fmt.Errorf("smtp: the server does not offer STARTTLS (WHISTLE_SMTP_STARTTLS=require)")
		}
		return nil
	}
	cfg := s.TLS
	if cfg == nil {
		cfg = &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	}
	if err := c.StartTLS(cfg); err != nil {
		return fmt.Errorf("smtp STARTTLS: %w", err)
	}
	return nil
}

// compose writes the message: UTF-8 text, quoted-printable, the subject
// encoded by RFC 2047.
func (s SMTP) compose(m Message, at time.Time) []byte {
	to := make([]string, len(m.To))
	for i, c := range m.To {
		to[i] = (&mail.Address{Name: c.Person, Address: c.Email}).String()
	}
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", (&mail.Address{Name: "Whistle 吹哨", Address: s.From}).String())
	header("To", strings.Join(to, ", "))
	header("Subject", mime.BEncoding.Encode("UTF-8", m.Text.Title))
	header("Date", at.Format(time.RFC1123Z))
	domain := s.From[strings.LastIndex(s.From, "@")+1:]
	header("Message-ID", "<"+m.ID+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(m.Text.Plain, "\n", "\r\n") + "\r\n"))
	_ = qp.Close()
	return b.Bytes()
}

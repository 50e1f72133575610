// Package limits bounds every field of a request message: the length of each
// string and bytes field and the number of elements of each repeated or map
// field, at any depth. A field's bounds are declared once, next to the field
// in its .proto, with the whistle.options.v1.limits option; a field without
// it gets the defaults below, which suit identifiers, codes and names, so
// only free text, documents and long lists declare their own. Every gRPC
// server checks each request with Check before its handler runs.
package limits

import (
	"fmt"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/chuishao/whistle/platform/rpcerr"
	optionsv1 "github.com/chuishao/whistle/proto/gen/whistle/options/v1"
)

// Defaults for a field that declares no limits of its own.
const (
	// DefaultMaxChars bounds a string: ids, codes, names, tokens, dates.
	DefaultMaxChars = 256
	// DefaultMaxBytes bounds a bytes field (a string is bounded by characters).
	DefaultMaxBytes = 1 << 10
	// DefaultMaxItems bounds a repeated or map field.
	DefaultMaxItems = 100
	// UnknownMaxBytes bounds the unknown fields a message may carry.
	UnknownMaxBytes = 1 << 10
)

// MaxMessageBytes is the largest request message a gRPC server receives. The
// largest declared field (a 12345 CSV, 3 MiB) fits with room for the rest of
// its message; the REST edge's body limits stay below it.
const MaxMessageBytes = 4 << 20

// maxViolations is how many problems one answer names: the error travels in
// gRPC trailers, which must stay small.
const maxViolations = 10

// Limit is the effective bounds of one field; zero means unbounded.
type Limit struct {
	// MaxChars bounds a string's length in characters (code points).
	MaxChars int
	// MaxBytes bounds a string's or bytes field's length in bytes.
	MaxBytes int
	// MaxItems bounds the elements of a repeated or map field.
	MaxItems int
}

var cache sync.Map // protoreflect.FieldDescriptor -> Limit

// Of is the limit of field fd: its declared option over the defaults.
func Of(fd protoreflect.FieldDescriptor) Limit {
	if l, ok := cache.Load(fd); ok {
		return l.(Limit)
	}
	l := Limit{MaxChars: DefaultMaxChars, MaxItems: DefaultMaxItems}
	if fd.Kind() == protoreflect.BytesKind {
		l = Limit{MaxBytes: DefaultMaxBytes, MaxItems: DefaultMaxItems}
	}
	if opts := fd.Options(); opts != nil {
		if o, ok := proto.GetExtension(opts, optionsv1.E_Limits).(*optionsv1.Limits); ok && o != nil {
			if o.GetMaxChars() > 0 {
				l.MaxChars = int(o.GetMaxChars())
			}
			if o.GetMaxBytes() > 0 {
				l.MaxBytes = int(o.GetMaxBytes())
			}
			if o.GetMaxItems() > 0 {
				l.MaxItems = int(o.GetMaxItems())
			}
		}
	}
	cache.Store(fd, l)
	return l
}

// Check returns an InvalidArgument error naming each field of m (as a path
// like "location.address" or "rules[3].category") that exceeds its limit, or
// nil when m is within bounds.
func Check(m proto.Message) error {
	if m == nil {
		return nil
	}
	c := checker{}
	c.message(m.ProtoReflect(), "")
	return c.v.Err()
}

type checker struct {
	v rpcerr.Violations
	n int
}

func (c *checker) add(field, reason string, args ...any) {
	if c.n < maxViolations {
		c.v.Add(field, reason, args...)
	}
	c.n++
}

func (c *checker) message(m protoreflect.Message, prefix string) {
	if n := len(m.GetUnknown()); n > UnknownMaxBytes {
		c.add(prefix+"(unknown fields)", "must be at most %d bytes", UnknownMaxBytes)
	}
	m.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
		path := prefix + string(fd.Name())
		lim := Of(fd)
		switch {
		case fd.IsList():
			l := val.List()
			if lim.MaxItems > 0 && l.Len() > lim.MaxItems {
				c.add(path, "must have at most %d items", lim.MaxItems)
				break
			}
			for i := range l.Len() {
				c.value(fd, lim, l.Get(i), fmt.Sprintf("%s[%d]", path, i))
			}
		case fd.IsMap():
			mp := val.Map()
			if lim.MaxItems > 0 && mp.Len() > lim.MaxItems {
				c.add(path, "must have at most %d items", lim.MaxItems)
				break
			}
			mp.Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				c.value(fd.MapKey(), Of(fd.MapKey()), k.Value(), path)
				c.value(fd.MapValue(), lim, mv, path)
				return c.n < maxViolations
			})
		default:
			c.value(fd, lim, val, path)
		}
		return c.n < maxViolations
	})
}

func (c *checker) value(fd protoreflect.FieldDescriptor, lim Limit, val protoreflect.Value, path string) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		s := val.String()
		switch {
		case lim.MaxBytes > 0 && len(s) > lim.MaxBytes:
			c.add(path, "must be at most %d bytes", lim.MaxBytes)
		case lim.MaxChars > 0 && len(s) > lim.MaxChars && tooManyChars(s, lim.MaxChars):
			c.add(path, "must be at most %d characters", lim.MaxChars)
		}
	case protoreflect.BytesKind:
		if lim.MaxBytes > 0 && len(val.Bytes()) > lim.MaxBytes {
			c.add(path, "must be at most %d bytes", lim.MaxBytes)
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		c.message(val.Message(), path+".")
	}
}

// tooManyChars reports whether s has more than max code points without
// counting all of a huge string: a code point takes at most 4 bytes.
func tooManyChars(s string, max int) bool {
	if len(s) > 4*max {
		return true
	}
	return utf8.RuneCountInString(s) > max
}

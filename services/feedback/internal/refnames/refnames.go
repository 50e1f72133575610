// Package refnames names the street and category codes a printed report
// shows: routing owns the streets and categories, and their names change
// with its reference data.
package refnames

import (
	"cmp"
	"context"
	"log/slog"

	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// Names names streets and categories.
type Names interface {
	Street(ctx context.Context, id string) (string, error)
	Category(ctx context.Context, code string) (string, error)
}

// Routing asks routing, with the caller's identity (every role may read the
// reference data).
type Routing struct {
	Client routingv1.RoutingServiceClient
}

// Street is the street's name.
func (n Routing) Street(ctx context.Context, id string) (string, error) {
	st, err := n.Client.GetStreet(ctx, &routingv1.GetStreetRequest{Id: id})
	return st.GetName(), err
}

// Category is the category's name.
func (n Routing) Category(ctx context.Context, code string) (string, error) {
	c, err := n.Client.GetCategory(ctx, &routingv1.GetCategoryRequest{Code: code})
	return c.GetName(), err
}

// Lookup is names (nil for none) with failures logged rather than returned.
type Lookup struct {
	Names Names
	Log   *slog.Logger
}

// Of are the names of a street and a category, "" for a name that cannot
// be had (no routing configured, or it failed: the report then prints the
// code rather than fail, and the failure is logged).
func (l Lookup) Of(ctx context.Context, street, category string) (streetName, categoryName string) {
	if l.Names == nil {
		return "", ""
	}
	var err error
	if street != "" {
		if streetName, err = l.Names.Street(ctx, street); err != nil {
			l.Log.WarnContext(ctx, "street name for a report", "street_id", street, "error", err)
		}
	}
	if category != "" {
		if categoryName, err = l.Names.Category(ctx, category); err != nil {
			l.Log.WarnContext(ctx, "category name for a report", "category", category, "error", err)
		}
	}
	return streetName, categoryName
}

// Book names codes for one answer, asking once per code; a name that cannot
// be had is the code itself.
type Book struct {
	lookup Lookup
	// Streets and Categories are the names asked so far, by code.
	Streets, Categories map[string]string
}

// Book is a new, empty Book.
func (l Lookup) Book() *Book {
	return &Book{lookup: l, Streets: map[string]string{}, Categories: map[string]string{}}
}

// Street is the street's name, or its id.
func (b *Book) Street(ctx context.Context, id string) string {
	if n, ok := b.Streets[id]; ok {
		return n
	}
	n, _ := b.lookup.Of(ctx, id, "")
	b.Streets[id] = cmp.Or(n, id)
	return b.Streets[id]
}

// Category is the category's name, or its code.
func (b *Book) Category(ctx context.Context, code string) string {
	if n, ok := b.Categories[code]; ok {
		return n
	}
	_, n := b.lookup.Of(ctx, "", code)
	b.Categories[code] = cmp.Or(n, code)
	return b.Categories[code]
}

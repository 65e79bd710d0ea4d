package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"

	"github.com/keyhold/keyhold/wire"
)

// ListOptions narrow and bound a list.
type ListOptions struct {
	// Query holds filters in Konnect's deepObject form, such as
	// filter[name][contains]=ci; build it with Where.
	Query url.Values
	// Limit stops after this many items; 0 means all of them.
	Limit int
	// PageSize is the page[size] asked for; 0 means 100 (or Limit if smaller).
	PageSize int
}

// Where adds the filter filter[field][op]=value (op "" is the bare form)
// and returns o, for chaining.
func (o ListOptions) Where(field, op, value string) ListOptions {
	q := url.Values{}
	for k, v := range o.Query {
		q[k] = v
	}
	key := "filter[" + field + "]"
	if op != "" {
		key += "[" + op + "]"
	}
	q.Add(key, value)
	o.Query = q
	return o
}

// page is the body of one page of a list. meta.page is Konnect's usual
// form; the personal access token list puts number, size and total
// directly under meta.
type page[T any] struct {
	Meta struct {
		Page wire.PageMeta `json:"page"`
		wire.PageMeta
	} `json:"meta"`
	Data []T `json:"data"`
}

func (p *page[T]) total() int { return max(p.Meta.Page.Total, p.Meta.Total) }

// Pages yields the items of the list at path, asking for page after page
// until the list or the limit ends, or the consumer stops.
func Pages[T any](ctx context.Context, c *Client, path string, o ListOptions) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		size := o.PageSize
		if size <= 0 {
			size = 100
		}
		if o.Limit > 0 && o.Limit < size {
			size = o.Limit
		}
		seen := 0
		for number := 1; ; number++ {
			q := url.Values{}
			for k, v := range o.Query {
				q[k] = v
			}
			q.Set("page[size]", strconv.Itoa(size))
			q.Set("page[number]", strconv.Itoa(number))
			var p page[T]
			if err := c.do(ctx, "GET", path, q, nil, &p); err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range p.Data {
				if !yield(it, nil) {
					return
				}
				if seen++; o.Limit > 0 && seen >= o.Limit {
					return
				}
			}
			if len(p.Data) < size || seen >= p.total() {
				return
			}
		}
	}
}

// collect gathers Pages into a slice.
func collect[T any](ctx context.Context, c *Client, path string, o ListOptions) ([]T, error) {
	out := []T{}
	for it, err := range Pages[T](ctx, c, path, o) {
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// with sets a plain query parameter.
func (o ListOptions) with(key string, value int) ListOptions {
	q := url.Values{}
	for k, v := range o.Query {
		q[k] = v
	}
	q.Set(key, strconv.Itoa(value))
	o.Query = q
	return o
}

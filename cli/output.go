package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"go.yaml.in/yaml/v4"
)

// view is what a command prints: the API object(s) for -o json|yaml, the
// ids for -q, and the rows of the table.
type view struct {
	data   any
	ids    []string
	header []string
	rows   [][]string
}

// print writes v in the chosen output format.
func (a *app) print(v view) error {
	switch {
	case a.output == "json":
		return writeJSON(a.Out, v.data)
	case a.output == "yaml":
		return writeYAML(a.Out, v.data)
	case a.quiet:
		for _, id := range v.ids {
			if _, err := fmt.Fprintln(a.Out, clean(id)); err != nil {
				return err
			}
		}
		return nil
	}
	return writeTable(a.Out, v.header, v.rows)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeYAML writes v with its JSON field names, by way of JSON.
func writeYAML(w io.Writer, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return err
	}
	var doc yaml.Node
	if err := doc.Encode(generic); err != nil {
		return err
	}
	quoteUnsafe(&doc)
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

func writeTable(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if _, err := fmt.Fprintln(tw, strings.Join(header, "\t")); err != nil {
		return err
	}
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = clean(c)
		}
		if _, err := fmt.Fprintln(tw, strings.Join(cells, "\t")); err != nil {
			return err
		}
	}
	return tw.Flush()
}

// ago renders a past time relative to now: "3 h ago", "just now".
func (a *app) ago(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	d := a.Now().Sub(*t)
	if d < 0 {
		return "in " + span(-d)
	}
	if d < time.Second {
		return "just now"
	}
	return span(d) + " ago"
}

// until renders a future time relative to now: "in 29 days", "3 h ago"
// once past, "never" for nil.
func (a *app) until(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	d := t.Sub(a.Now())
	if d < 0 {
		return span(-d) + " ago"
	}
	return "in " + span(d)
}

// span renders a duration in its largest sensible unit, rounded down.
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func writeJSONLine(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

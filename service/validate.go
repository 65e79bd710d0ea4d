package service

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/keyhold/keyhold"
)

// Length limits where Konnect's contract is silent (docs/api.md).
const (
	maxNameLen        = 250
	maxDescriptionLen = 250
	maxPATNameLen     = 256
	maxLabels         = 50
	maxLabelLen       = 63
	minPasswordLen    = 12
)

var (
	patNamePattern    = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N} _\-\.']*[\p{L}\p{N}]$`)
	labelValuePattern = regexp.MustCompile(`^[a-z0-9A-Z]([a-z0-9A-Z\-._]*[a-z0-9A-Z]+)?$`)
	reservedLabelKeys = []string{"kong", "konnect", "mesh", "kic", "_"}
)

// checker collects field errors so that one answer names every bad input.
type checker struct{ fields []keyhold.FieldError }

func (c *checker) add(f keyhold.FieldError) { c.fields = append(c.fields, f) }

func (c *checker) err() error {
	if len(c.fields) == 0 {
		return nil
	}
	return keyhold.Invalid(c.fields...)
}

// text checks a required or optional string's length in characters; it
// reports whether v passed.
func (c *checker) text(field, v string, min, max int) bool {
	n := utf8.RuneCountInString(v)
	switch {
	case !utf8.ValidString(v):
		c.add(keyhold.FieldError{Field: field, Reason: "must be valid UTF-8", Rule: "type"})
	case strings.ContainsRune(v, 0):
		// PostgreSQL cannot store U+0000 in text; SQLite can, so without this
		// the two backends would disagree, one of them with a 500.
		c.add(errNUL(field))
	case min > 0 && strings.TrimSpace(v) == "":
		c.add(keyhold.FieldError{Field: field, Reason: "cannot be blank", Rule: "required"})
	case n < min:
		c.add(keyhold.FieldError{Field: field, Reason: "is too short", Rule: "min_length", Minimum: keyhold.Int64(int64(min))})
	case n > max:
		c.add(keyhold.FieldError{Field: field, Reason: "is too long", Rule: "max_length", Maximum: keyhold.Int64(int64(max))})
	default:
		return true
	}
	return false
}

// name checks a name: text of min to maxNameLen characters, without
// control characters or the invisible characters of keyhold.Hidden, which
// would reach terminals and pages.
func (c *checker) name(field, v string, min int) {
	if c.text(field, v, min, maxNameLen) {
		c.chars(field, v, false)
	}
}

// description is name for the field "description", free text of min to
// maxDescriptionLen characters, which may hold tabs and line breaks.
func (c *checker) description(v string, min int) {
	if c.text("description", v, min, maxDescriptionLen) {
		c.chars("description", v, true)
	}
}

// chars refuses the first control character (but tabs and line feeds in
// multi-line text) or invisible character of v, naming it.
func (c *checker) chars(field, v string, multiline bool) {
	for _, r := range v {
		switch {
		case multiline && (r == '\t' || r == '\n'):
		case keyhold.Control(r):
			c.add(keyhold.FieldError{Field: field, Reason: fmt.Sprintf("must not contain control characters (U+%04X)", r), Rule: "invalid"})
			return
		case keyhold.Hidden(r):
			c.add(keyhold.FieldError{Field: field, Reason: fmt.Sprintf("must not contain invisible formatting characters (U+%04X)", r), Rule: "invalid"})
			return
		}
	}
}

func (c *checker) email(field, v string) {
	if !c.text(field, v, 1, maxNameLen) {
		return
	}
	c.chars(field, v, false)
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || a.Name != "" {
		c.add(keyhold.FieldError{Field: field, Reason: "must be an email address", Rule: "invalid"})
	}
}

func (c *checker) patName(field, v string) {
	c.text(field, v, 1, maxPATNameLen)
	if v != "" && !patNamePattern.MatchString(v) {
		c.add(keyhold.FieldError{Field: field, Reason: "must start and end with a letter or digit, and contain only letters, digits, spaces and _ - . '", Rule: "matches_regex"})
	}
}

func (c *checker) labels(field string, labels map[string]*string) {
	if len(labels) > maxLabels {
		c.add(keyhold.FieldError{Field: field, Reason: "has too many labels", Rule: "max_items", Maximum: keyhold.Int64(maxLabels)})
	}
	for k, v := range labels {
		if strings.ContainsRune(k, 0) {
			c.add(errNUL(field + "." + k))
		}
		if n := utf8.RuneCountInString(k); n < 1 || n > maxLabelLen {
			c.add(keyhold.FieldError{Field: field + "." + k, Reason: "label keys must be 1 to 63 characters", Rule: "is_label"})
		}
		for _, p := range reservedLabelKeys {
			if strings.HasPrefix(k, p) {
				c.add(keyhold.FieldError{Field: field + "." + k, Reason: "label keys must not start with kong, konnect, mesh, kic or _", Rule: "is_label"})
				break
			}
		}
		if v != nil && (len(*v) > maxLabelLen || !labelValuePattern.MatchString(*v)) {
			c.add(keyhold.FieldError{Field: field + "." + k, Reason: "label values must be 1 to 63 letters, digits, '-', '.' or '_', starting and ending with a letter or digit", Rule: "is_label"})
		}
	}
}

func errNUL(field string) keyhold.FieldError {
	return keyhold.FieldError{Field: field, Reason: "must not contain NUL characters", Rule: "invalid"}
}

// validID checks that a path id is a UUID.
func validID(field, id string) error {
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return keyhold.Invalid(keyhold.FieldError{Field: field, Reason: "invalid ID format", Rule: "is_uuid", Source: "path"})
	}
	return nil
}

func validIDs(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := validID(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func notFound(what string) error {
	return keyhold.Errorf(keyhold.ENOTFOUND, "The requested %s was not found", what)
}

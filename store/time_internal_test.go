package store

import (
	"testing"
	"time"
)

// TestParseUTC checks the fast path of parseTime against time.Parse, and
// that it leaves to time.Parse whatever is not the store's own layout.
func TestParseUTC(t *testing.T) {
	for _, s := range []string{
		"2025-03-04 05:06:07+00:00",
		"2025-03-04 05:06:07.1+00:00",
		"2025-03-04 05:06:07.123456+00:00",
		"2025-12-31 23:59:59.999999999+00:00",
		"2024-02-29 00:00:00.000001+00:00",
	} {
		want, err := time.Parse("2006-01-02 15:04:05.999999999-07:00", s)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := parseUTC(s)
		if !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseUTC(%q) = %v, %v; want %v", s, got, ok, want)
		}
		if got, ok, err := parseTime(s); err != nil || !ok || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v, %v", s, got, ok, err)
		}
	}
	for _, s := range []string{
		"2025-03-04 05:06:07.123456+01:00", // not UTC: time.Parse's job
		"2025-03-04T05:06:07+00:00",
		"2025-03-04 05:06:07.+00:00",
		"2025-03-04 05:06:07.1234567890+00:00",
		"2025-02-30 05:06:07+00:00",
		"2025-13-04 05:06:07+00:00",
		"2025-03-04 24:06:07+00:00",
		"2025-03-04 05:06:0x+00:00",
		"2025-03-04 05:06:07",
	} {
		if got, ok := parseUTC(s); ok {
			t.Errorf("parseUTC(%q) = %v, want not ok", s, got)
		}
	}
	// What the fast path refuses, time.Parse still reads.
	got, ok, err := parseTime("2025-03-04 06:06:07.5+01:00")
	if want := time.Date(2025, 3, 4, 5, 6, 7, 5e8, time.UTC); err != nil || !ok || got != want {
		t.Errorf("parseTime with an offset = %v, %v, %v; want %v", got, ok, err, want)
	}
}

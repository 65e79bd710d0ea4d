package main

import "testing"

// CEF entries name keyhold by --public-url's host name, never by anything
// that would break a CEF line's prefix.
func TestExportHost(t *testing.T) {
	for in, want := range map[string]string{
		"":                                  "",
		"https://keyhold.example.com":       "keyhold.example.com",
		"https://keyhold.example.com:8443/": "keyhold.example.com",
		"http://[::1]:8080":                 "::1",
		"not a url":                         "",
		"https://a b.example.com":           "",
	} {
		if got := exportHost(in); got != want {
			t.Errorf("exportHost(%q) = %q, want %q", in, got, want)
		}
	}
}

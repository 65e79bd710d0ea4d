package apitest_test

import (
	"net/http"
	"testing"

	"github.com/keyhold/keyhold/internal/apitest"
)

// The validator must catch what it is there to catch, or every HTTP test
// that relies on it proves nothing.
func TestValidateCatchesDrift(t *testing.T) {
	e := apitest.New(t, "sqlite", apitest.Options{})
	req, _ := http.NewRequest("GET", e.Server.URL+"/v3/system-accounts/0d9f2f0e-8b7e-4b43-9c61-6a3b8a9a1f11", nil)
	json := http.Header{"Content-Type": {"application/json"}}
	cases := map[string]*apitest.Response{
		"missing required field": {Status: 200, Header: json, Body: []byte(`{"meta":1}`)},
		"wrong type":             {Status: 200, Header: json, Body: []byte(`{"id":"0d9f2f0e-8b7e-4b43-9c61-6a3b8a9a1f11","name":5,"description":"","konnect_managed":false,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`)},
		"undocumented status":    {Status: 418, Header: json, Body: []byte(`{}`)},
		"error as plain json":    {Status: 404, Header: json, Body: []byte(`{"status":404}`)},
	}
	for name, resp := range cases {
		if err := e.Validate(req, resp); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	unknown, _ := http.NewRequest("GET", e.Server.URL+"/v3/nothing-here", nil)
	if err := e.Validate(unknown, &apitest.Response{Status: 200, Header: json, Body: []byte(`{}`)}); err == nil {
		t.Error("an undocumented route was accepted")
	}
	good := &apitest.Response{Status: 200, Header: json, Body: []byte(`{"id":"0d9f2f0e-8b7e-4b43-9c61-6a3b8a9a1f11","name":"a","description":"","konnect_managed":false,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`)}
	if err := e.Validate(req, good); err != nil {
		t.Errorf("a valid response was refused: %v", err)
	}
}

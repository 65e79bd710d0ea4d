package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// Static files are served, directories never: http.FileServer would list
// them.
func TestStaticNoListing(t *testing.T) {
	files := fstest.MapFS{"app.css": {Data: []byte("body{}")}, "fonts/a.woff2": {Data: []byte("font")}}
	h := http.StripPrefix("/ui/static/", staticHandler(files))
	for path, want := range map[string]int{
		"/ui/static/app.css":         http.StatusOK,
		"/ui/static/fonts/a.woff2":   http.StatusOK,
		"/ui/static/":                http.StatusNotFound,
		"/ui/static/fonts/":          http.StatusNotFound,
		"/ui/static/fonts":           http.StatusNotFound,
		"/ui/static/missing.css":     http.StatusNotFound,
		"/ui/static/fonts/index.txt": http.StatusNotFound,
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		if w.Code != want {
			t.Errorf("GET %s: %d, want %d", path, w.Code, want)
		}
		if body := w.Body.String(); w.Code != http.StatusOK && (strings.Contains(body, "app.css") || strings.Contains(body, "<a href")) {
			t.Errorf("GET %s lists files: %s", path, body)
		}
	}
}

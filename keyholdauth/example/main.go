// Command example is a tiny service protected by keyhold. It serves
// GET /control-planes/{id}/reports to principals that hold Viewer on the
// control plane {id} in the region given by -region, and answers with the
// principal's name.
//
//	KEYHOLD_URL=http://127.0.0.1:8080 go run ./keyholdauth/example -addr :9090 -region eu
//	curl -H "Authorization: Bearer spat_…" http://127.0.0.1:9090/control-planes/42/reports
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/keyhold/keyhold/keyholdauth"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9090", "address to listen on")
	region := flag.String("region", "eu", "region of the control planes")
	staleness := flag.Duration("max-staleness", 10*time.Second, "how long a verdict may be reused (how long a revoked token keeps working here)")
	flag.Parse()

	auth, err := keyholdauth.New(keyholdauth.Config{
		URL:          os.Getenv("KEYHOLD_URL"),
		MaxStaleness: *staleness,
		Permission: func(r *http.Request) *keyholdauth.Permission {
			return &keyholdauth.Permission{
				RoleName:       "Viewer",
				EntityTypeName: "Control Planes",
				EntityID:       r.PathValue("id"), // set: the mux matched before the middleware runs
				EntityRegion:   *region,
			}
		},
		OnError: func(w http.ResponseWriter, r *http.Request, err error) {
			if !errors.Is(err, keyholdauth.ErrUnauthenticated) && !errors.Is(err, keyholdauth.ErrForbidden) {
				log.Printf("%s %s: %v", r.Method, r.URL.Path, err)
			}
			keyholdauth.WriteError(w, r, err)
		},
	})
	if err != nil {
		log.Fatalf("KEYHOLD_URL: %v", err)
	}

	mux := http.NewServeMux()
	mux.Handle("GET /control-planes/{id}/reports", auth.Middleware(http.HandlerFunc(reports)))
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Printf("listening on %s, asking %s", *addr, os.Getenv("KEYHOLD_URL"))
	log.Fatal(srv.ListenAndServe())
}

func reports(w http.ResponseWriter, r *http.Request) {
	p, _ := keyholdauth.FromContext(r.Context())
	log.Printf("reports of control plane %s for %s %s", r.PathValue("id"), p.Type, p.Name)
	_, _ = fmt.Fprintf(w, "Reports of control plane %s, for %s\n", r.PathValue("id"), p.Name)
}

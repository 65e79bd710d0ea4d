package keyholdauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/keyhold/keyhold/keyholdauth"
)

// Protect one route with Viewer on the control plane named in its path.
// Verdicts are reused for up to 30 seconds: a revoked token keeps working
// here for at most that long.
func Example() {
	auth, err := keyholdauth.New(keyholdauth.Config{
		URL:          os.Getenv("KEYHOLD_URL"),
		MaxStaleness: 30 * time.Second,
		Permission: func(r *http.Request) *keyholdauth.Permission {
			return &keyholdauth.Permission{
				RoleName:       "Viewer",
				EntityTypeName: "Control Planes",
				EntityID:       r.PathValue("id"),
				EntityRegion:   "eu",
			}
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /control-planes/{id}/reports", auth.Middleware(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			p, _ := keyholdauth.FromContext(r.Context())
			_, _ = fmt.Fprintf(w, "Reports of %s, for %s\n", r.PathValue("id"), p.Name)
		})))
	log.Fatal(http.ListenAndServe("127.0.0.1:9090", mux))
}

// Check serves callers that are not HTTP handlers, such as a gRPC
// interceptor or a queue consumer handed a token.
func ExampleAuthenticator_Check() {
	auth, err := keyholdauth.New(keyholdauth.Config{URL: os.Getenv("KEYHOLD_URL")})
	if err != nil {
		log.Fatal(err)
	}
	p, err := auth.Check(context.Background(), "Bearer "+os.Getenv("KEYHOLD_TOKEN"), &keyholdauth.Permission{
		RoleName: "Viewer", EntityTypeName: "Control Planes", EntityID: "*", EntityRegion: "eu",
	})
	switch {
	case errors.Is(err, keyholdauth.ErrUnauthenticated), errors.Is(err, keyholdauth.ErrForbidden):
		log.Printf("refused: %v", err)
	case err != nil:
		log.Printf("keyhold unavailable, refusing: %v", err)
	default:
		log.Printf("hello, %s", p.Name)
	}
}

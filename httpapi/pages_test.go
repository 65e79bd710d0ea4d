package httpapi_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/internal/apitest"
	"github.com/keyhold/keyhold/storage"
)

// A user's personal tokens past the first thousand are listed on the next
// page; without paging parameters the first page holds a thousand, as
// before.
func TestPersonalTokensPastTheFirstPage(t *testing.T) {
	apitest.Each(t, func(t *testing.T, e *apitest.Env) {
		owner := keyhold.Ref{Type: keyhold.PrincipalUser, ID: e.AdminID}
		err := e.DB.Write(context.Background(), func(tx storage.Tx) error {
			at := e.Clock.Now().Add(-time.Hour)
			for i := range keyhold.MaxPageSize {
				d := sha256.Sum256(fmt.Appendf(nil, "old-%d", i))
				k := &keyhold.Token{ID: uuid.NewString(), Kind: keyhold.TokenKindPersonal, Owner: owner, Name: fmt.Sprintf("old-%04d", i),
					Digest: d[:], CreatedAt: at, UpdatedAt: at, RevokedAt: &at}
				if err := tx.Tokens().CreateToken(context.Background(), k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		type body struct {
			Meta struct{ Number, Size, Total int }
			Data []struct{ Name string }
		}
		base := "/v3/users/" + e.AdminID + "/access-tokens"
		var first, second body
		e.Do("GET", base, e.Admin, nil).Want(t, 200).JSON(t, &first)
		if len(first.Data) != keyhold.MaxPageSize || first.Meta.Total != keyhold.MaxPageSize+1 || first.Meta.Size != keyhold.MaxPageSize {
			t.Fatalf("first page: %d tokens, meta %+v", len(first.Data), first.Meta)
		}
		e.Do("GET", base+"?page[number]=2", e.Admin, nil).Want(t, 200).JSON(t, &second)
		// The bootstrap token is the newest: alone on the second page.
		if len(second.Data) != 1 || second.Data[0].Name == first.Data[0].Name || second.Meta.Number != 2 {
			t.Fatalf("second page: %+v, meta %+v", second.Data, second.Meta)
		}
		wantProblem(t, e.Do("GET", base+"?page[size]=1001", e.Admin, nil), 400)
	})
}

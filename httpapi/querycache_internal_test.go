package httpapi

import (
	"testing"

	"github.com/keyhold/keyhold"
	"github.com/keyhold/keyhold/service"
)

// The cache answers what resolving answers, for valid and invalid queries,
// and starts over instead of growing past its bound.
func TestQueryCache(t *testing.T) {
	cat := service.New(service.Config{}).Decider // resolving reads only the catalogue
	var c queryCache
	const good = "role_name=Viewer&entity_type_name=Control+Planes&entity_id=cp1&entity_region=eu"
	for range 2 {
		q, err := c.resolve(cat, good)
		if err != nil || q == nil || q.EntityID != "cp1" || q.Region != "eu" {
			t.Fatalf("good query: %+v, %v", q, err)
		}
		if _, err := c.resolve(cat, "role_name=Nope&entity_type_name=Control+Planes&entity_id=cp1&entity_region=eu"); keyhold.ErrorCode(err) != keyhold.EINVALID {
			t.Fatalf("unknown role: %v, want invalid", err)
		}
		if q, err := c.resolve(cat, ""); q != nil || err != nil {
			t.Fatalf("no query: %+v, %v", q, err)
		}
	}
	for i := range 3 * maxCachedQueries {
		if _, err := c.resolve(cat, good+"&x="+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676))); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.n.Load(); n > maxCachedQueries {
		t.Errorf("cache holds %d queries, bound %d", n, maxCachedQueries)
	}
	if q, err := c.resolve(cat, good); err != nil || q.EntityID != "cp1" {
		t.Errorf("after starting over: %+v, %v", q, err)
	}
}

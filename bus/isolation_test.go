package bus_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/jetlog/jetlog/internal/testutil"
	"github.com/jetlog/jetlog/schemas"
)

// TestTailIsolatesTenants: a tail read returns only its own tenant's messages, for tenant IDs
// that hold subject syntax or look like another's escaped token. The bus does not validate IDs
// (the gateway does), so even IDs a push would refuse ("x=2Ey", "a>") must stay apart here.
func TestTailIsolatesTenants(t *testing.T) {
	b := connect(t)
	tenants := []string{"x.y", "x=2Ey", "x=3D2Ey", "a", "a.b", "a=2Eb", "a*", "a>", "*", ">", "a.*", "a b", "é"}
	var msgs []schemas.Message
	for i, tn := range tenants {
		msgs = append(msgs, msg(t, tn, i%4, "from "+tn), msg(t, tn, (i+1)%4, "also "+tn))
	}
	if err := b.PublishAll(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	none := func(int) uint64 { return 0 }
	for i, tn := range tenants {
		want := []string{fmt.Sprintf("%d:from %s", i%4, tn), fmt.Sprintf("%d:also %s", (i+1)%4, tn)}
		sort.Strings(want) // as lines sorts
		if got := fmt.Sprint(lines(t, b, tn, none)); got != fmt.Sprint(want) {
			t.Errorf("tail of %q = %s, want %s", tn, got, want)
		}
	}
	if got := lines(t, b, "x", none); len(got) != 0 {
		t.Errorf("tenant x sees %v", got)
	}
}

// TestFollowIsolatesTenants: a live follower gets only its own tenant's messages, for the same
// hostile tenant IDs.
func TestFollowIsolatesTenants(t *testing.T) {
	b := connect(t)
	ctx := context.Background()
	tenants := []string{"x.y", "x=2Ey", "x=3D2Ey", "a", "a.b", "a=2Eb", "a*", "a>", "*", ">", "a.*", "a b", "é"}
	fs := make([]*follower, len(tenants))
	for i, tn := range tenants {
		fs[i] = follow(t, ctx, b, tn)
	}
	x := follow(t, ctx, b, "x")
	var msgs []schemas.Message
	for i, tn := range tenants {
		msgs = append(msgs, msg(t, tn, i%4, "from "+tn))
	}
	if err := b.PublishAll(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	for i, tn := range tenants {
		want := fmt.Sprint([]string{fmt.Sprintf("%d:from %s", i%4, tn)})
		testutil.Eventually(t, 10*time.Second, "follower of "+tn, func() bool { return len(fs[i].lines()) > 0 })
		if got := fmt.Sprint(fs[i].lines()); got != want {
			t.Errorf("follower of %q got %s, want %s", tn, got, want)
		}
	}
	if got := x.lines(); len(got) != 0 {
		t.Errorf("tenant x follows %v", got)
	}
}

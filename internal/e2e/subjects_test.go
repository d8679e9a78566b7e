package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jetlog/jetlog/internal/testutil"
	"github.com/jetlog/jetlog/schemas"
)

// subjectLog records, per subscription, the tenants and lines it received.
type subjectLog struct {
	mu  sync.Mutex
	got map[string][]string // subscription subject -> "header tenant|subject|line"
}

func (l *subjectLog) subscribe(t *testing.T, nc *nats.Conn, subject string) {
	t.Helper()
	_, err := nc.Subscribe(subject, func(m *nats.Msg) {
		req, err := schemas.DecodeBatch(m.Header.Get(schemas.HeaderFormat), m.Data)
		l.mu.Lock()
		defer l.mu.Unlock()
		if err != nil {
			l.got[subject] = append(l.got[subject], "undecodable on "+m.Subject)
			return
		}
		for _, s := range req.Streams {
			for _, e := range s.Entries {
				l.got[subject] = append(l.got[subject], m.Header.Get(schemas.HeaderTenant)+"|"+m.Subject+"|"+e.Line)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (l *subjectLog) count(subject string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.got[subject])
}

// TestNATSSubjectsIsolateTenants pushes through the real binary for tenants whose IDs hold
// '.', '*' and '=' (and differ only by case or by their escaped form), and listens on the
// documented subjects: logs.<TenantToken(t)>.* carries t's batches and nothing else, and
// logs.*.<p> carries each tenant's batches only under that tenant's own token. The IDs that
// would be wildcards or escapes of others ('>', '=') are refused at the door and never
// published.
func TestNATSSubjectsIsolateTenants(t *testing.T) {
	const partitions = 4
	url := testutil.StartNATS(t)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	log := &subjectLog{got: map[string][]string{}}
	// "x.y" escapes to x=2Ey, "x=2Ey" would escape to x=3D2Ey, "a*" to a=2A: none may reach
	// another's subscription, whichever of them exists.
	tenants := []string{"a", "A", "b", "a.b", "a*", "a.*", "*", "a.b.c", "x.y", "a-b_c", "(x)!'"}
	for _, tn := range tenants {
		log.subscribe(t, nc, schemas.TenantSubjects(tn))
	}
	for p := 0; p < partitions; p++ {
		log.subscribe(t, nc, schemas.PartitionSubjects(p))
	}
	log.subscribe(t, nc, schemas.AllSubjects)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	p := startJetlog(t, t.TempDir(), "-nats.url="+url, "-bus.partitions="+strconv.Itoa(partitions))
	base := time.Now().Add(-time.Minute)
	want := 0
	for _, tn := range tenants {
		// Several streams, so that each tenant lands in several partitions.
		streams := map[string][]line{}
		for s := 0; s < 6; s++ {
			streams[fmt.Sprintf(`{job="j%d"}`, s)] = []line{{ts: base, text: "from " + tn}}
		}
		p.pushProto(t, tn, streams)
		want += len(streams)
	}
	for _, tn := range []string{"a>", "a>b", ">", "x=2Ey", "a=2Eb", "a b"} {
		if st, body := do(t, "POST", p.URL+"/loki/api/v1/push", tn, protoBody(t, map[string][]line{`{job="j"}`: {{ts: base, text: "from " + tn}}}),
			map[string]string{"Content-Type": "application/x-protobuf"}); st != 400 {
			t.Fatalf("tenant %q: push answered %d %s, want 400", tn, st, body)
		}
	}
	testutil.Eventually(t, 10*time.Second, "every batch on logs.>", func() bool { return log.count(schemas.AllSubjects) >= want })

	log.mu.Lock()
	defer log.mu.Unlock()
	if n := len(log.got[schemas.AllSubjects]); n != want {
		t.Fatalf("logs.> received %d entries, want %d: %q", n, want, log.got[schemas.AllSubjects])
	}
	for _, tn := range tenants {
		sub := schemas.TenantSubjects(tn)
		entries := log.got[sub]
		if len(entries) != 6 {
			t.Errorf("%s (tenant %q) received %d entries, want its 6: %q", sub, tn, len(entries), entries)
		}
		for _, e := range entries {
			f := strings.SplitN(e, "|", 3)
			if subjTenant, _, err := schemas.ParseSubject(f[1]); err != nil || f[0] != tn || subjTenant != tn || f[2] != "from "+tn {
				t.Errorf("%s (tenant %q) received %q", sub, tn, e)
			}
		}
	}
	perTenant := map[string]int{}
	for pt := 0; pt < partitions; pt++ {
		for _, e := range log.got[schemas.PartitionSubjects(pt)] {
			f := strings.SplitN(e, "|", 3)
			tenant, partition, err := schemas.ParseSubject(f[1])
			if err != nil || tenant != f[0] || partition != pt || f[2] != "from "+tenant || f[1] != schemas.Subject(f[0], pt) {
				t.Errorf("%s received %q (subject parses as %q/%d, %v)", schemas.PartitionSubjects(pt), e, tenant, partition, err)
			}
			perTenant[tenant]++
		}
	}
	for _, tn := range tenants {
		if perTenant[tn] != 6 {
			t.Errorf("the partition subjects carried %d entries of %q, want 6", perTenant[tn], tn)
		}
	}
}

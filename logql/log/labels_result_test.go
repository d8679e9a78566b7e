package log

import (
	"testing"
)

func TestCategories(t *testing.T) {
	p, err := NewPipeline(stagesOf(t, `| logfmt | label_format ns=namespace`))
	if err != nil {
		t.Fatal(err)
	}
	sp := p.ForStream(mustLabels("app", "api", "namespace", "prod"))
	_, lbs, keep := sp.Process(0, []byte(`level=info app=x`), mustLabels("trace_id", "t1"))
	if !keep {
		t.Fatal("dropped")
	}
	for _, c := range []struct{ name, got, want string }{
		{"stream", lbs.Stream.String(), `{app="api"}`},
		{"metadata", lbs.StructuredMetadata.String(), `{trace_id="t1"}`},
		{"parsed", lbs.Parsed.String(), `{app_extracted="x", level="info", ns="prod"}`},
		{"all", lbs.All.String(), `{app="api", app_extracted="x", level="info", ns="prod", trace_id="t1"}`},
	} {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
	// An entry that changes nothing shares the stream's cached result.
	p2, _ := NewPipeline(stagesOf(t, `|= "a"`))
	sp2 := p2.ForStream(mustLabels("app", "api"))
	_, l1, _ := sp2.Process(0, []byte("a"), nil)
	_, l2, _ := sp2.Process(1, []byte("ab"), nil)
	if l1 != l2 || l1.Hash != mustLabels("app", "api").Hash() {
		t.Error("no-change entries should share the cached stream result")
	}
}

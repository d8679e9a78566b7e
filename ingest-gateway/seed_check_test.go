package gateway

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/grafana/loki/pkg/push"
)

// TestFuzzSeedsAreMeaningful keeps the committed "valid" seeds valid, so that fuzzing starts
// from inputs that reach the deep code paths.
func TestFuzzSeedsAreMeaningful(t *testing.T) {
	raw, err := os.ReadFile("testdata/fuzz/FuzzDecodeProtobuf/valid")
	if err != nil {
		t.Fatal(err)
	}
	lit := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(strings.SplitN(string(raw), "\n", 2)[1]), "[]byte("), ")")
	seed, err := strconv.Unquote(lit)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	data, err := unsnappy([]byte(seed), &buf, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var req push.PushRequest
	if err := decodeProtobuf(data, &req, new([]push.Entry)); err != nil {
		t.Fatal(err)
	}
	if len(req.Streams) != 1 || req.Streams[0].Labels != `{app="a"}` || req.Streams[0].Entries[0].Line != "hello" ||
		req.Streams[0].Entries[0].Timestamp.Unix() != 1700000000 {
		t.Fatalf("seed decodes to %+v", req)
	}
}

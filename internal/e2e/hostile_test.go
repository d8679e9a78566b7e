package e2e

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
	"github.com/klauspost/compress/snappy"
)

// hostileLimit is -distributor.max-recv-msg-size of the hostile tests: small enough that a
// bomb is quick to build, large enough for a push with a million labels to reach validation.
const hostileLimit = 16 << 20

// hostileRSSBound is what TestHostileMemory allows the server's peak RSS (VmHWM), 4 clients
// sending the heavy rows at once. Measured on the 2-core CI machine: 1.35-1.65 GiB from an idle
// 35 MiB. Nearly all of it is the million-label pushes: validating one costs about 230 MiB
// (protobuf) and 460 MiB (JSON: encoding/json builds a map first) of allocations for a 13 MiB
// label string, and the garbage collector lets the heap reach twice what is live. Bombs, bodies
// over the limit and huge queries each stay under ~60 MiB. So memory is bounded per request (by
// a few tens of times -distributor.max-recv-msg-size) and grows with concurrent requests; a
// bomb read to its end (256 MiB each here) or a template building 100 GB would break the bound.
const hostileRSSBound = 5 << 29 // 2.5 GiB

// hostileReq is one request of the hostile table. A nil body with chunked set streams size
// bytes without a Content-Length, so the server cannot refuse it from the header alone.
type hostileReq struct {
	method, path, tenant string
	hdr                  map[string]string
	body                 []byte
	chunked              bool
}

// send performs r against base; safe from any goroutine (errors are returned, not fatal).
func (r hostileReq) send(base string) (int, string, error) {
	var body io.Reader = bytes.NewReader(r.body)
	if r.chunked {
		body = io.MultiReader(bytes.NewReader(r.body)) // hides the length from net/http
	}
	method := r.method
	if method == "" {
		method = "POST"
	}
	req, err := http.NewRequest(method, base+r.path, body)
	if err != nil {
		return 0, "", err
	}
	if r.tenant != "" {
		req.Header.Set("X-Scope-OrgID", r.tenant)
	}
	for k, v := range r.hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	// Some answers echo a whole label set back: keep their ends, where the verdict is.
	if len(b) > 8192 {
		b = append(b[:4096:4096], append([]byte(" ... "), b[len(b)-4096:]...)...)
	}
	return resp.StatusCode, string(b), err
}

func pushReq(tenant string, body []byte, hdr ...string) hostileReq {
	r := hostileReq{path: "/loki/api/v1/push", tenant: tenant, body: body, hdr: map[string]string{}}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.hdr[hdr[i]] = hdr[i+1]
	}
	return r
}

func queryReq(tenant, path string, params ...string) hostileReq {
	v := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	return hostileReq{method: "GET", path: path + "?" + v.Encode(), tenant: tenant}
}

// formReq sends params as a form body, the way Grafana sends long queries.
func formReq(tenant, path string, params ...string) hostileReq {
	v := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	return hostileReq{path: path, tenant: tenant, body: []byte(v.Encode()),
		hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}
}

func compressed(t *testing.T, enc string, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch enc {
	case "gzip":
		w, _ = gzip.NewWriterLevel(&buf, gzip.BestCompression)
	case "deflate":
		w, _ = flate.NewWriter(&buf, flate.BestCompression)
	}
	zeros := make([]byte, 1<<20)
	for n := 0; n < size; n += len(zeros) {
		if _, err := w.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// manyLabels is a label string of n distinct labels.
func manyLabels(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `l%d="v"`, i)
	}
	b.WriteString("}")
	return b.String()
}

func rawProto(t *testing.T, streams ...push.Stream) []byte {
	t.Helper()
	raw, err := (&push.PushRequest{Streams: streams}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return snappy.Encode(nil, raw)
}

// hostileRow is a request and what the answer must be: the status and a substring of the
// body (Loki's wording where Loki has one).
type hostileRow struct {
	name   string
	req    hostileReq
	status int
	msg    string
	heavy  bool // worth repeating concurrently in the memory test
}

// hostileRows builds the table for tenant "h", whose stream {job="ok"} holds okLines. No row
// may store anything: every pushed line is "poison", which a later query must not find.
func hostileRows(t *testing.T) []hostileRow {
	t.Helper()
	now := time.Now()
	ts := now.Add(-time.Minute)
	poison := func(labels string) []byte {
		return rawProto(t, push.Stream{Labels: labels, Entries: []push.Entry{{Timestamp: ts, Line: "poison"}}})
	}
	var jsonLabels strings.Builder
	for i := 0; i < 1_000_000; i++ {
		fmt.Fprintf(&jsonLabels, `,"l%d":"v"`, i)
	}
	jsonMillion := fmt.Sprintf(`{"streams":[{"stream":{%s},"values":[["%d","poison"]]}]}`, jsonLabels.String()[1:], ts.UnixNano())
	deep := strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000)
	start := strconv.FormatInt(now.Add(-time.Hour).UnixNano(), 10)
	end := strconv.FormatInt(now.Add(time.Minute).UnixNano(), 10)
	const qr, sel = "/loki/api/v1/query_range", `{job="ok"}`
	rng := func(q string, more ...string) hostileReq {
		return queryReq("h", qr, append([]string{"query", q, "start", start, "end", end}, more...)...)
	}
	tooLarge := fmt.Sprintf("limit: %d bytes", hostileLimit)
	gz, defl := compressed(t, "gzip", 256<<20), compressed(t, "deflate", 256<<20)
	return []hostileRow{
		// Bodies over -distributor.max-recv-msg-size, as sent and once decompressed.
		{"body over the limit", pushReq("h", make([]byte, hostileLimit+1)), 413, "request body too large: 16777217 bytes, " + tooLarge, true},
		{"chunked body over the limit", hostileReq{path: "/loki/api/v1/push", tenant: "h", body: make([]byte, hostileLimit+1), chunked: true}, 413, tooLarge, true},
		{"gzip bomb (256 MB of zeros)", pushReq("h", gz, "Content-Encoding", "gzip"), 413, tooLarge, true},
		{"gzip bomb, JSON", pushReq("h", gz, "Content-Encoding", "gzip", "Content-Type", "application/json"), 413, tooLarge, true},
		{"deflate bomb", pushReq("h", defl, "Content-Encoding", "deflate"), 413, tooLarge, true},
		{"snappy bomb", pushReq("h", snappy.Encode(nil, make([]byte, 4*hostileLimit))), 413, "request body too large: 67108864 bytes, " + tooLarge, true},
		{"snappy header claims 2 GiB", pushReq("h", []byte{0x80, 0x80, 0x80, 0x80, 0x08, 0}), 413, "request body too large: 2147483648 bytes", false},
		{"snappy header claims 4 GiB", pushReq("h", []byte{0x80, 0x80, 0x80, 0x80, 0x10, 0}), 400, "decompress snappy: corrupt input", false},
		// Hostile structure.
		{"deeply nested JSON", pushReq("h", []byte(`{"streams":`+deep+`}`), "Content-Type", "application/json"), 400, "exceeded max depth", true},
		{"1e6 labels", pushReq("h", poison(manyLabels(1_000_000))), 400, "' has 1000000 label names; limit 15", true},
		{"1e6 labels, JSON", pushReq("h", []byte(jsonMillion), "Content-Type", "application/json"), 400, "' has 1000000 label names; limit 15", true},
		{"invalid UTF-8 label value", pushReq("h", poison("{job=\"a\xffb\"}")), 400, "couldn't parse labels: 1:11: parse error: invalid UTF-8 in label value", false},
		{"invalid UTF-8 label name", pushReq("h", poison("{j\xffob=\"a\"}")), 400, "couldn't parse labels: 1:3: parse error", false},
		{"NUL in label name", pushReq("h", poison("{j\x00ob=\"a\"}")), 400, "couldn't parse labels: 1:3: parse error", false},
		// Tenant IDs (dskit's rules, which Loki applies to every request).
		{"push tenant a>b", pushReq("a>b", poison(sel)), 400, "tenant ID 'a>b' contains unsupported character '>'", false},
		{"push tenant a/b", pushReq("a/b", poison(sel)), 400, "tenant ID 'a/b' contains unsupported character '/'", false},
		{"push tenant x=2Ey", pushReq("x=2Ey", poison(sel)), 400, "tenant ID 'x=2Ey' contains unsupported character '='", false},
		{"push tenant ..", pushReq("..", poison(sel)), 400, "tenant ID is '.' or '..'", false},
		{"push tenant .", pushReq(".", poison(sel)), 400, "tenant ID is '.' or '..'", false},
		{"push tenant of 151 chars", pushReq(strings.Repeat("t", 151), poison(sel)), 400, "tenant ID is too long: max 150 characters", false},
		{"push tenant a|b", pushReq("a|b", poison(sel)), 400, "multiple org IDs present", false},
		{"push without tenant", pushReq("", poison(sel)), 401, "no org id", false},
		{"query tenant a>b", queryReq("a>b", qr, "query", sel), 400, "tenant ID 'a>b' contains unsupported character '>'", false},
		{"query tenant ../h", queryReq("../h", qr, "query", sel), 400, "tenant ID '../h' contains unsupported character '/'", false},
		{"query tenant ..", queryReq("..", qr, "query", sel), 400, "tenant ID is '.' or '..'", false},
		{"query tenant of 151 chars", queryReq(strings.Repeat("t", 151), qr, "query", sel), 400, "tenant ID is too long: max 150 characters", false},
		// Hostile queries.
		{"1 MB LogQL", formReq("h", qr, "query", sel+` |= "`+strings.Repeat("x", 1<<20)+`"`), 400, "input size too long (1048592 > 131072)", true},
		{"2 MB URL", queryReq("h", qr, "query", sel+` |= "`+strings.Repeat("x", 2<<20)+`"`), 431, "Request Header Fields Too Large", false},
		{"nested repetition", rng(`{job=~"a{1000}{1000}"}`), 400, "invalid nested repetition operator: `{1000}{1000}`", false},
		{"repetition of 10^6", rng(sel + ` |~ "(a{1000}){1000}"`), 400, "invalid repeat count", false},
		{"repeat count over 1000", rng(sel + ` |~ "a{1001}"`), 400, "invalid repeat count: `{1001}`", false},
		{"(a*)*b is linear in RE2", rng(`{job=~"(a*)*b"}`), 200, `"status":"success"`, false},
		{"deep parentheses", rng(strings.Repeat("(", 50000) + "1" + strings.Repeat(")", 50000)), 400, "query is nested too deeply", false},
		{"template building 100 GB", rng(sel + ` | line_format "{{ repeat 100000000000 \"x\" }}"`), 200, "TemplateFormatErr", true},
		{"template looping 10^11 times", rng(sel + ` | line_format "{{ range 100000000000 }}{{ end }}"`), 200, "TemplateFormatErr", false},
		{"printf of a 10^6 width", rng(sel + ` | line_format "{{ printf \"%999999d\" 1 }}"`), 200, "TemplateFormatErr", false},
		{"label_replace building GBs", queryReq("h", "/loki/api/v1/query", "time", end, "query",
			`label_replace(count_over_time(`+sel+` | regexp "(?P<x>.*)" [2h]), "y", "`+strings.Repeat("$1", 30000)+`", "x", "(.*)")`),
			400, "label_replace(): the replacement would build a value of up to", true},
		{"limit=1e12", rng(sel, "limit", "1e12"), 400, `strconv.Atoi: parsing "1e12": invalid syntax`, false},
		{"limit=10^12", rng(sel, "limit", "1000000000000"), 400, "max entries limit per query exceeded, limit > max_entries_limit_per_query (1000000000000 > 5000)", false},
		{"limit=-1", rng(sel, "limit", "-1"), 400, "limit must be a positive value", false},
		{"inverted range", queryReq("h", qr, "query", sel, "start", end, "end", start), 400, "end timestamp must not be before or equal to start time", false},
		{"unparsable start", queryReq("h", qr, "query", sel, "start", "yesterday"), 400, `strconv.ParseInt: parsing "yesterday": invalid syntax`, false},
		{"negative start", queryReq("h", qr, "query", sel, "start", "-1", "end", end), 400, "the query time range exceeds the limit (query length: ", false},
		{"step=0", rng("count_over_time("+sel+"[1m])", "step", "0"), 400, "zero or negative query resolution step widths are not accepted. Try a positive integer", false},
		{"negative step", rng("count_over_time("+sel+"[1m])", "step", "-5"), 400, "zero or negative query resolution step widths are not accepted", false},
		{"step giving 12,000 points", rng("count_over_time("+sel+"[1m])", "step", "0.305"), 400, "exceeded maximum resolution of 11,000 points per timeseries. Try increasing the value of the step parameter", false},
		{"step overflowing", rng("count_over_time("+sel+"[1m])", "step", "1e300"), 400, `cannot parse "1e300" to a valid duration. It overflows int64`, false},
		{"unknown endpoint", queryReq("h", "/loki/api/v1/nonsense"), 404, "404 page not found", false},
		{"unknown method", hostileReq{method: "DELETE", path: qr, tenant: "h"}, 405, "", false},
	}
}

// okLines are what tenant h stores before the hostile table runs, oddities included: NUL and
// invalid UTF-8 in lines are stored as sent, as in Loki.
func okLines(base time.Time) []line {
	ls := seqLines("ok", base, 20)
	ls[3].text = "nul\x00inside"
	ls[4].text = "bad\xffutf8"
	return ls
}

// TestHostileHTTP sends the hostile table to the real binary: each request gets its status and
// message, the process survives, nothing rejected is stored, the data accepted before is
// returned unchanged, and a normal push and query still work afterwards.
func TestHostileHTTP(t *testing.T) {
	p := startJetlog(t, t.TempDir(), fmt.Sprintf("-distributor.max-recv-msg-size=%d", hostileLimit))
	base := time.Now().Add(-30 * time.Second).Truncate(time.Millisecond)
	before := okLines(base)
	p.pushProto(t, "h", map[string][]line{`{job="ok"}`: before})
	f := func(r hostileRow) {
		t.Helper()
		st, body, err := r.req.send(p.URL)
		if err != nil {
			t.Errorf("%s: %v", r.name, err)
			return
		}
		if st != r.status || !strings.Contains(body, r.msg) {
			t.Errorf("%s: got %d %.400q\nwant %d containing %q", r.name, st, body, r.status, r.msg)
		}
	}
	for _, r := range hostileRows(t) {
		f(r)
	}
	select {
	case <-p.done:
		t.Fatalf("jetlog died during the hostile table:\n%s", p.log)
	default:
	}
	checkAfterHostile(t, p, base, before)
}

// checkAfterHostile: the process answers, tenant h holds exactly the lines it was sent before
// (invalid UTF-8 comes back as U+FFFD, as JSON needs), nothing "poison" was stored, and a new
// push is queryable.
func checkAfterHostile(t *testing.T, p *proc, base time.Time, before []line) {
	t.Helper()
	if st, _ := do(t, "GET", p.URL+"/ready", "", nil, nil); st != 200 {
		t.Fatalf("/ready answers %d after hostile requests", st)
	}
	from, to := base.Add(-time.Minute), time.Now().Add(time.Minute)
	want := before
	for i := range want {
		want[i].text = strings.ToValidUTF8(want[i].text, "\uFFFD")
	}
	sameLines(t, "accepted lines", p.allLines(t, "h", `{job="ok"}`, from, to), expectLines(t, "ok", want))
	for _, tenant := range []string{"h", "fake", "a", "x"} {
		if got := p.allLines(t, tenant, `{job=~".+"} |= "poison"`, from, to); len(got) != 0 {
			t.Fatalf("tenant %s stored rejected lines: %q", tenant, got)
		}
	}
	after := seqLines("after", time.Now().Add(-time.Second).Truncate(time.Millisecond), 5)
	p.pushProto(t, "h", map[string][]line{`{job="after"}`: after})
	sameLines(t, "push after the table", p.allLines(t, "h", `{job="after"}`, from, to), expectLines(t, "after", after))
}

// procStatus reads a field of /proc/<pid>/status in bytes (VmRSS, VmHWM: kB there).
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// TestHostileMemory sends the heavy rows of the hostile table (bombs, bodies at the limit, a
// million labels, 1 MB queries, templates and label_replace asking for gigabytes) from
// several clients at once, several times, and checks that the server's peak RSS stays under
// hostileRSSBound, then that it still answers correctly.
func TestHostileMemory(t *testing.T) {
	p := startJetlog(t, t.TempDir(), fmt.Sprintf("-distributor.max-recv-msg-size=%d", hostileLimit))
	pid := p.cmd.Process.Pid
	base := time.Now().Add(-30 * time.Second).Truncate(time.Millisecond)
	before := okLines(base)
	p.pushProto(t, "h", map[string][]line{`{job="ok"}`: before})
	var heavy []hostileRow
	for _, r := range hostileRows(t) {
		if r.heavy {
			heavy = append(heavy, r)
		}
	}
	idle := procStatus(t, pid, "VmRSS")
	const clients, rounds = 4, 1
	errs := make(chan error, clients)
	start := time.Now()
	for c := 0; c < clients; c++ {
		go func() {
			for i := 0; i < rounds*len(heavy); i++ {
				r := heavy[(i+c*3)%len(heavy)] // each client in another order
				st, body, err := r.req.send(p.URL)
				if err == nil && (st != r.status || !strings.Contains(body, r.msg)) {
					err = fmt.Errorf("%s: got %d %.200q, want %d", r.name, st, body, r.status)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for c := 0; c < clients; c++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	peak := procStatus(t, pid, "VmHWM")
	t.Logf("%d clients x %d rounds of %d heavy requests in %s: RSS idle %d MiB, peak %d MiB, now %d MiB",
		clients, rounds, len(heavy), time.Since(start).Round(time.Millisecond), idle>>20, peak>>20, procStatus(t, pid, "VmRSS")>>20)
	if peak > hostileRSSBound {
		t.Errorf("peak RSS %d MiB, over the bound of %d MiB", peak>>20, hostileRSSBound>>20)
	}
	checkAfterHostile(t, p, base, before)
}

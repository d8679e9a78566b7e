package s3

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jetlog/jetlog/internal/testutil"
)

// cuttingProxy forwards requests to MinIO; while cut is set, the body of a successful GET
// of an object under "cut/" stops after keep bytes and the connection is dropped, as when a
// server or a load balancer goes away mid-response (the client was promised more bytes by
// Content-Length).
type cuttingProxy struct {
	target string
	keep   int64
	cut    atomic.Bool
	cuts   atomic.Int64
}

func (p *cuttingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = "http", p.target
	// The client signed the request for the proxy's host; MinIO checks that signature.
	out.Host = r.Host
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	cutting := p.cut.Load() && r.Method == http.MethodGet && resp.StatusCode/100 == 2 && strings.Contains(r.URL.Path, "/cut/")
	if !cutting {
		_, _ = io.Copy(w, resp.Body)
		return
	}
	if n, _ := io.CopyN(w, resp.Body, p.keep); n < p.keep {
		return // the whole body fit: nothing to cut
	}
	if _, err := resp.Body.Read(make([]byte, 1)); err == io.EOF {
		return // exactly keep bytes: nothing to cut
	}
	w.(http.Flusher).Flush()
	p.cuts.Add(1)
	panic(http.ErrAbortHandler) // the connection closes without the rest of the body
}

// TestResponseCutOff: a response that ends before the bytes it announced is an error for
// every read, never a short object or range taken for the whole, and the same reads
// succeed once responses arrive whole.
func TestResponseCutOff(t *testing.T) {
	m := testutil.StartMinIO(t)
	p := &cuttingProxy{target: m.Endpoint, keep: 1000}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	cfg := testConfig(m, "cutoff")
	cfg.Endpoint = strings.TrimPrefix(srv.URL, "http://")
	b := newTestBucket(t, cfg)
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	if err := b.Put(ctx, "cut/obj", data); err != nil {
		t.Fatal(err)
	}
	reads := map[string]func() ([]byte, error){
		"Get":      func() ([]byte, error) { return b.Get(ctx, "cut/obj") },
		"GetRange": func() ([]byte, error) { return b.GetRange(ctx, "cut/obj", 100, 20000) },
		"ReadRange": func() ([]byte, error) {
			buf := make([]byte, 20000)
			n, err := b.ReadRange(ctx, "cut/obj", 100, buf)
			return buf[:n], err
		},
		// Past the end: the server ends the range at the object's end, so a short read can be
		// whole (500 bytes, fewer than the proxy keeps) or cut off (5,000 bytes).
		"ReadRange past the end, cut": func() ([]byte, error) {
			buf := make([]byte, 20000)
			n, err := b.ReadRange(ctx, "cut/obj", int64(len(data))-5000, buf)
			return buf[:n], err
		},
		"ReadRange past the end": func() ([]byte, error) {
			buf := make([]byte, 20000)
			n, err := b.ReadRange(ctx, "cut/obj", int64(len(data))-500, buf)
			return buf[:n], err
		},
	}
	want := map[string][]byte{
		"Get": data, "GetRange": data[100:20100], "ReadRange": data[100:20100],
		"ReadRange past the end": data[len(data)-500:], "ReadRange past the end, cut": data[len(data)-5000:],
	}
	for name, read := range reads {
		got, err := read()
		if err != nil || !bytes.Equal(got, want[name]) {
			t.Fatalf("%s through the proxy, not cut: %d bytes, %v", name, len(got), err)
		}
	}
	p.cut.Store(true)
	for name, read := range reads {
		before := p.cuts.Load()
		got, err := read()
		if p.cuts.Load() == before {
			// The whole response fit in what the proxy keeps: the read is whole.
			if err != nil || !bytes.Equal(got, want[name]) {
				t.Errorf("%s, nothing cut: %d bytes, %v", name, len(got), err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s of a cut-off response returned %d of %d bytes and no error", name, len(got), len(want[name]))
		}
	}
	p.cut.Store(false)
	for name, read := range reads {
		if got, err := read(); err != nil || !bytes.Equal(got, want[name]) {
			t.Errorf("%s after the cuts: %d bytes, %v", name, len(got), err)
		}
	}
}

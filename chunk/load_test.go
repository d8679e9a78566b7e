package chunk

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jetlog/jetlog/schemas/labels"
)

// loadObject returns the streams of one data object as the chunker builds it under the
// shared loadgen (../shared/loadgen): 8 workers each drawing line bodies at random from
// its own pool of 4096 pre-rendered bodies (so bodies repeat megabytes apart, seldom within
// a page), a global sequence number in front of every line, pushes of 1000 lines over 10
// streams, and of all the streams the 1/16 that a partition owns. rawBytes of lines in all.
func loadObject(shape string, streams, rawBytes int) []Stream {
	const workers, poolSize, perPush, streamsPerPush = 8, 4096, 1000, 10
	r := rand.New(rand.NewPCG(7, 42))
	pools := make([][]string, workers)
	for w := range pools {
		for range poolSize {
			pools[w] = append(pools[w], loadBody(r, shape))
		}
	}
	ss := make([]Stream, streams)
	for i := range ss {
		ss[i].Labels = labels.FromStrings("job", "load", "stream", fmt.Sprintf("s%04d", i))
	}
	var seq, kept uint64
	ts := int64(1.7e18)
	for n, push := 0, 0; n < rawBytes; push++ {
		w := push % workers
		ts += 2e6
		for i := range perPush {
			seq++
			sid := (push*streamsPerPush + i%streamsPerPush) % (16 * streams)
			if sid%16 != 0 {
				continue // another partition's stream
			}
			kept++
			line := loadLine(seq, pools[w][r.IntN(poolSize)], kept%10000 == 0) // as dense as the loadgen's
			n += len(line)
			ss[sid/16].Entries = append(ss[sid/16].Entries, Entry{Timestamp: ts + int64(i), Line: line})
		}
	}
	return ss
}

var loadWords = []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
	"india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo"}

func loadBody(r *rand.Rand, shape string) string {
	var b strings.Builder
	lvl := [...]string{"info", "info", "info", "warn", "error", "debug"}[r.IntN(6)]
	method := [...]string{"GET", "POST", "PUT"}[r.IntN(3)]
	status := [...]int{200, 200, 200, 201, 404, 500}[r.IntN(6)]
	if shape == "json" {
		fmt.Fprintf(&b, `"level":%q,"method":%q,"status":%d,"duration_ms":%d,"user":{"id":"u%d","region":%q},"msg":"`,
			lvl, method, status, r.IntN(2000), r.IntN(100000), [...]string{"eu", "us", "ap"}[r.IntN(3)])
	} else {
		fmt.Fprintf(&b, `level=%s method=%s status=%d duration=%dms user=u%d msg="`, lvl, method, status, r.IntN(2000), r.IntN(100000))
	}
	for b.Len() < 220 {
		b.WriteString(loadWords[r.IntN(len(loadWords))])
		b.WriteByte(' ')
	}
	if shape == "json" {
		b.WriteString(`"}`)
	} else {
		b.WriteByte('"')
	}
	return b.String()
}

func loadLine(seq uint64, body string, needle bool) string {
	if body[0] == '"' {
		tag := ""
		if needle {
			tag = `"tag":"needle",`
		}
		return `{"seq":` + strconv.FormatUint(seq, 10) + "," + tag + body
	}
	tag := ""
	if needle {
		tag = "needle "
	}
	return "seq=" + strconv.FormatUint(seq, 10) + " " + tag + body
}

// BenchmarkBuildLoad builds loadgen-shaped objects (see loadObject) and reports the bytes
// stored (data object and index segment) per MB of raw lines.
func BenchmarkBuildLoad(b *testing.B) {
	for _, c := range []struct {
		name    string
		shape   string
		streams int
	}{{"logfmt", "logfmt", 7}, {"json", "json", 7}, {"streams2000", "logfmt", 125}} {
		b.Run(c.name, func(b *testing.B) {
			ss := loadObject(c.shape, c.streams, 16<<20)
			var raw int64
			for _, s := range ss {
				for _, e := range s.Entries {
					raw += int64(len(e.Line))
				}
			}
			b.SetBytes(raw)
			b.ReportAllocs()
			b.ResetTimer()
			var stored int
			cpu0 := cpuTime(b)
			for range b.N {
				data, index, err := Build(ss, nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				stored = len(data) + len(index)
			}
			// CPU time per raw MB: on a shared machine, less noisy than wall time.
			b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N)/float64(raw)*1e6, "cpu-ns/MB")
			b.ReportMetric(float64(stored)/float64(raw)*1e6, "B/MB")
		})
	}
}

// cpuTime is the process's user and system CPU time in nanoseconds.
func cpuTime(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkScanLoad scans the lines of a loadgen-shaped object, as a query that reads every
// line (a logfmt filter) does, and as the needle query does (the blocks whose filters may
// hold "needle": the pages holding them are decompressed whole).
func BenchmarkScanLoad(b *testing.B) {
	ss := loadObject("logfmt", 7, 16<<20)
	data, idx := buildIndexed(b, ss)
	r := bytes.NewReader(data)
	o, err := OpenObject(r, int64(len(data)), idx)
	if err != nil {
		b.Fatal(err)
	}
	var ords []int
	var raw int64
	for i, s := range idx.Streams {
		ords = append(ords, i)
		raw += s.Bytes
	}
	for _, c := range []struct {
		name     string
		contains [][]string
	}{{"all", nil}, {"needle", [][]string{{"needle"}}}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(raw)
			b.ReportAllocs()
			for range b.N {
				sc := Scan{Ordinals: ords, Start: 0, End: 1 << 62, Columns: ColLine, Contains: c.contains}
				if err := o.Scan(r, sc, func(*Row) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

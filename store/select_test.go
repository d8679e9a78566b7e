package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetlog/jetlog/bus"
	"github.com/jetlog/jetlog/chunk"
	itest "github.com/jetlog/jetlog/internal/testutil"
	"github.com/jetlog/jetlog/logql"
	"github.com/jetlog/jetlog/logql/syntax"
	"github.com/jetlog/jetlog/objstore/filesystem"
	"github.com/jetlog/jetlog/schemas"
)

// committedTo5 is a bucket, and a bus whose partition 0 committed sequences 1..5 in epoch 1.
func committedTo5(t *testing.T) (*filesystem.Bucket, *bus.Bus) {
	t.Helper()
	bk := tempBucket(t)
	b := itest.Bus(t, 1)
	cp := schemas.Checkpoint{Partition: 0}.NextEpoch().Advance(5)
	if _, err := b.Checkpoints().Set(context.Background(), cp, 0); err != nil {
		t.Fatal(err)
	}
	return bk, b
}

// A query reads byte ranges of the objects: the pages its columns and filters need.
func TestSelectReadsOnlyWhatTheQueryNeeds(t *testing.T) {
	ctx := context.Background()
	bk, b := committedTo5(t)
	var lines []string
	// Enough lines for several pages of each column (chunk.PageBytes).
	const rows = 80000
	for i := 0; i < rows; i++ {
		l := fmt.Sprintf("seq=%d level=info msg=%q", i, strings.Repeat(fmt.Sprintf("%x ", i*7919), 20))
		if i == 50000 {
			l = "needle " + l
		}
		lines = append(lines, l)
	}
	putObject(t, bk, "t", "o1", []schemas.SeqRange{{Partition: 0, Epoch: 1, From: 1, To: 5}}, nil, lines...)
	reg := prometheus.NewRegistry()
	st := newStore(t, bk, b, nil, reg)
	read := func(p logql.SelectParams) (entries int, bytes float64, err error) {
		bytesRead := func() float64 {
			mfs, _ := reg.Gather()
			for _, mf := range mfs {
				if mf.GetName() == "jetlog_store_object_bytes_read_total" {
					return mf.GetMetric()[0].GetCounter().GetValue()
				}
			}
			return 0
		}
		before := bytesRead()
		p.Tenant, p.End = "t", 1<<62
		it, err := st.SelectLogs(ctx, p)
		if err != nil {
			return 0, 0, err
		}
		defer it.Close()
		for it.Next() {
			for _, e := range it.At().Entries {
				if p.Omit&logql.OmitLine == 0 && e.Line == nil {
					return 0, 0, fmt.Errorf("line left out")
				}
				entries++
			}
		}
		return entries, bytesRead() - before, it.Err()
	}
	_, _, _ = read(logql.SelectParams{Omit: logql.OmitLine}) // opens the object
	n, all, err := read(logql.SelectParams{})
	if err != nil || n != rows {
		t.Fatalf("all: %d entries, %v", n, err)
	}
	n, counts, err := read(logql.SelectParams{Omit: logql.OmitLine | logql.OmitMetadata})
	if err != nil || n != rows {
		t.Fatalf("counts: %d entries, %v", n, err)
	}
	needle := []syntax.LineFilter{{Op: syntax.LineContains, Values: []string{"needle"}}}
	n, filtered, err := read(logql.SelectParams{LineFilters: needle})
	if err != nil || n != 1 {
		t.Fatalf("needle: %d entries, %v", n, err)
	}
	t.Logf("bytes read: all %v, counts %v, needle %v", all, counts, filtered)
	if counts*10 > all || filtered*4 > all {
		t.Fatalf("bytes read: all %v, counts %v, needle %v", all, counts, filtered)
	}

	// A data object whose pages are damaged is an error wrapping chunk.ErrCorrupt.
	data, err := bk.Get(ctx, schemas.DataKey("t", "o1"))
	if err != nil {
		t.Fatal(err)
	}
	for i := len(data) / 3; i < len(data)/2; i++ {
		data[i] ^= 0x5a
	}
	if err := bk.Put(ctx, schemas.DataKey("t", "o1"), data); err != nil {
		t.Fatal(err)
	}
	if _, _, err := read(logql.SelectParams{}); !errors.Is(err, chunk.ErrCorrupt) {
		t.Fatalf("damaged object: %v", err)
	}
}

// A range reader over a small object (smaller than the footer guess) reads it whole once.
func TestRangeReaderOnSmallObjects(t *testing.T) {
	ctx := context.Background()
	bk, b := committedTo5(t)
	putObject(t, bk, "t", "small", []schemas.SeqRange{{Partition: 0, Epoch: 1, From: 1, To: 5}}, nil, "one", "two", "three")
	st := newStore(t, bk, b, nil, nil)
	for i := 0; i < 2; i++ { // opened, then from the cache
		it, err := st.SelectLogs(ctx, logql.SelectParams{Tenant: "t", End: 1 << 62})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for it.Next() {
			n += len(it.At().Entries)
		}
		if err := it.Err(); err != nil || n != 3 {
			t.Fatalf("%d entries, %v", n, err)
		}
		it.Close()
	}
}

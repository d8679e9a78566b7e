package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/jetlog/jetlog/chunk"
)

// inspect prints stored objects: `jetlog inspect PATH...`, where each PATH is a data object
// (…/data/<id>.parquet) or a directory searched for them (e.g. ./data/objects). The index
// segment beside each data object (…/index/<id>.parquet) is read with it.
func (m *Main) inspect(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintln(m.Stderr, "usage: jetlog inspect PATH...  (data objects, or directories holding them)")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("inspect: no path given")
	}
	var files []string
	for _, p := range fs.Args() {
		found, err := dataObjects(p)
		if err != nil {
			return err
		}
		files = append(files, found...)
	}
	var total chunk.Summary
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		index, err := os.ReadFile(indexPathFor(f))
		if err != nil {
			return fmt.Errorf("inspect %s: index segment: %w", f, err)
		}
		fmt.Fprintf(m.Stdout, "== %s\n", f)
		sum, err := chunk.Describe(m.Stdout, data, index)
		if err != nil {
			return fmt.Errorf("inspect %s: %w", f, err)
		}
		total.Add(sum)
	}
	fmt.Fprintf(m.Stdout, "total: %d objects, %d streams, %d rows\n", len(files), total.Streams, total.Rows)
	return nil
}

func dataObjects(p string) ([]string, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{p}, nil
	}
	var out []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".parquet") && filepath.Base(filepath.Dir(path)) == "data" {
			out = append(out, path)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// indexPathFor maps tenants/<t>/data/<id>.parquet to tenants/<t>/index/<id>.parquet.
func indexPathFor(dataPath string) string {
	dir := filepath.Dir(filepath.Dir(dataPath))
	return filepath.Join(dir, "index", filepath.Base(dataPath))
}

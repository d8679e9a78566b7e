package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// loadConfig fills cfg from defaults, then the YAML file named by -config.file (with ${VAR}
// expansion when -config.expand-env is set), then the command-line flags, which win.
// Unknown YAML keys are errors, so a typo never silently falls back to a default.
func loadConfig(cfg *Config, fs *flag.FlagSet, args []string) error {
	cfg.RegisterFlags(fs)
	var file string
	var expand bool
	fs.StringVar(&file, "config.file", "", "YAML configuration file; flags given on the command line override it.")
	fs.BoolVar(&expand, "config.expand-env", false, "Expand ${VAR} and $VAR in the configuration file from the environment.")

	// First pass: only to find -config.file; flag values are applied again after the file.
	pre := flag.NewFlagSet("pre", flag.ContinueOnError)
	pre.SetOutput(new(bytes.Buffer))
	pre.StringVar(&file, "config.file", "", "")
	pre.BoolVar(&expand, "config.expand-env", false, "")
	fs.VisitAll(func(f *flag.Flag) {
		if pre.Lookup(f.Name) == nil {
			pre.Var(discard{isBool: isBoolFlag(f)}, f.Name, "")
		}
	})
	if err := pre.Parse(args); err != nil {
		return fs.Parse(args) // reports the problem (or prints -help) with the real flag set
	}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("read config file: %w", err)
		}
		if expand {
			data = []byte(os.Expand(string(data), os.Getenv))
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) { // io.EOF: empty file
			return fmt.Errorf("parse config file %s: %w", file, err)
		}
	}
	return fs.Parse(args)
}

type discard struct{ isBool bool }

func (discard) String() string     { return "" }
func (discard) Set(string) error   { return nil }
func (d discard) IsBoolFlag() bool { return d.isBool }

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// maskedYAML renders cfg as YAML with every secret-looking value replaced, for /config.
func maskedYAML(cfg any) ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(cfg); err != nil {
		return nil, err
	}
	maskNode(&n)
	return yaml.Marshal(&n)
}

func maskNode(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.Value != "" && isSecretKey(k.Value) {
				v.Value = "********"
				v.Tag = "!!str"
				continue
			}
			maskNode(v)
		}
		return
	}
	for _, c := range n.Content {
		maskNode(c)
	}
}

func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"secret", "password", "token", "creds", "credentials", "private_key"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

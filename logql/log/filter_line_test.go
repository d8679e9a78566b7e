package log

import (
	"testing"

	"github.com/jetlog/jetlog/logql/syntax"
)

func TestLineFilters(t *testing.T) {
	const all = `{app="api"}`
	runEntryCases(t, []entryCase{
		{name: "contains", pipeline: `|= "err"`, line: "an error", keep: true, want: all},
		{name: "contains miss", pipeline: `|= "err"`, line: "fine", keep: false},
		{name: "not contains", pipeline: `!= "err"`, line: "an error", keep: false},
		{name: "not contains pass", pipeline: `!= "err"`, line: "fine", keep: true, want: all},
		{name: "or any", pipeline: `|= "a" or "zz"`, line: "zz top", keep: true, want: all},
		{name: "or none", pipeline: `|= "a" or "zz"`, line: "hello", keep: false},
		{name: "negative or: none may match", pipeline: `!= "foo" or "bar"`, line: "bar", keep: false},
		{name: "negative or pass", pipeline: `!= "foo" or "bar"`, line: "baz", keep: true, want: all},
		{name: "regexp", pipeline: `|~ "err(or)? [0-9]+"`, line: "error 42", keep: true, want: all},
		{name: "regexp unanchored", pipeline: `|~ "rr"`, line: "error", keep: true, want: all},
		{name: "not regexp", pipeline: `!~ "^x"`, line: "xyz", keep: false},
		{name: "case insensitive", pipeline: `|~ "(?i)ERROR"`, line: "an Error here", keep: true, want: all},
		{name: "case insensitive miss", pipeline: `|~ "(?i)ERROR"`, line: "an Err here", keep: false},
		{name: "chained", pipeline: `|= "a" != "b" |~ "c"`, line: "a c", keep: true, want: all},
		{name: "chained drop", pipeline: `|= "a" != "b" |~ "c"`, line: "a b c", keep: false},
		{name: "pattern filter", pipeline: `|> "<_> GET <_>"`, line: "1.2.3.4 GET /x", keep: true, want: all},
		{name: "pattern filter miss", pipeline: `|> "<_> GET <_>"`, line: "1.2.3.4 POST /x", keep: false},
		{name: "pattern filter leading literal is searched", pipeline: `|> "GET <_>"`, line: "xGET /", keep: true, want: all},
		{name: "pattern ending with literal must end the line", pipeline: `|> "<_> bar"`, line: "foo bar baz", keep: false},
		{name: "pattern ending with capture needs text", pipeline: `|> "foo <_>"`, line: "foo ", keep: false},
		{name: "pattern empty middle capture", pipeline: `|> "<_> bar <_>"`, line: " bar x", keep: false},
		{name: "pattern adjacent literals", pipeline: `|> "<_>bar<_>"`, line: " bar ", keep: true, want: all},
		{name: "not pattern", pipeline: `!> "<_> GET <_>"`, line: "a POST b", keep: true, want: all},
		{name: "ip cidr", pipeline: `|= ip("10.0.0.0/8")`, line: "from 10.1.2.3:8080 ok", keep: true, want: all},
		{name: "ip cidr miss", pipeline: `|= ip("10.0.0.0/8")`, line: "from 11.1.2.3 ok", keep: false},
		{name: "ip range", pipeline: `|= ip("192.168.0.1-192.168.0.10")`, line: "x=192.168.0.5 y", keep: true, want: all},
		{name: "ip followed by a dot does not parse", pipeline: `|= ip("192.168.0.1-192.168.0.10")`, line: "x=192.168.0.5.", keep: false},
		{name: "ip v6 in brackets", pipeline: `|= ip("2001:db8::/32")`, line: "[2001:db8::1]:80", keep: true, want: all},
		{name: "ip single", pipeline: `|= ip("::1")`, line: "addr ::1 y", keep: true, want: all},
		{name: "not ip", pipeline: `!= ip("10.0.0.0/8")`, line: "10.0.0.1", keep: false},
	})
}

func TestLineFilterBadInput(t *testing.T) {
	for _, f := range []syntax.LineFilter{
		{Op: syntax.LineMatchRegexp, Values: []string{"(("}},
		{Op: syntax.LineContains, Values: nil},
		{Op: syntax.LineContains, Values: []string{"10.0.0.0/33"}, IP: true},
		{Op: syntax.LineContains, Values: []string{"10.0.0.9-10.0.0.1"}, IP: true},
		{Op: syntax.LineMatchRegexp, Values: []string{"10.0.0.1"}, IP: true},
		{Op: syntax.LineMatchPattern, Values: []string{"<_><_>"}},
		{Op: syntax.LineMatchPattern, Values: []string{"<a> x"}},
	} {
		if _, err := NewPipeline([]syntax.Stage{&syntax.LineFilterStage{Filter: f}}); err == nil {
			t.Errorf("%+v: want error", f)
		}
	}
}

package log

import (
	"testing"

	"github.com/jetlog/jetlog/schemas/labels"
)

func TestJSONParser(t *testing.T) {
	runEntryCases(t, []entryCase{
		{name: "nested flattened, arrays skipped", pipeline: `| json`,
			line:   `{"app":"x","level":"info","pod":{"uuid":"u1","deploy":{"ref":"r"}},"tags":["a"],"n":1.5,"ok":true,"nil":null}`,
			keep:   true,
			want:   `{app="api", app_extracted="x", level="info", n="1.5", ok="true", pod_deploy_ref="r", pod_uuid="u1"}`,
			parsed: `{app_extracted="x", level="info", n="1.5", ok="true", pod_deploy_ref="r", pod_uuid="u1"}`},
		{name: "escapes and sanitising", pipeline: `| json`,
			line: `{"a-b":"q\"x\u00e9","1st":"v","sp ace":{"in.ner":"w"}}`, keep: true,
			want: `{_1st="v", a_b="q\"xé", app="api", sp_ace_in_ner="w"}`},
		{name: "invalid json keeps entry with error", pipeline: `| json`, line: `not json`, keep: true,
			want: `{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol", app="api"}`},
		{name: "truncated", pipeline: `| json | __error__="JSONParserErr"`, line: `{"a":"b"`, keep: true,
			want: `{__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol", a="b", app="api"}`},
		{name: "unterminated string", pipeline: `| json`, line: `{"a":"b`, keep: true,
			want: `{__error__="JSONParserErr", __error_details__="Value is string, but can't find closing '\"' symbol", app="api"}`},
		{name: "bad escape", pipeline: `| json`, line: `{"a":"\q"}`, keep: true,
			want: `{__error__="JSONParserErr", __error_details__="Encountered an invalid escape sequence in a string", app="api"}`},
		{name: "drop errors", pipeline: `| json | __error__=""`, line: `{"a":`, keep: false},
		{name: "params with paths", pipeline: `| json first="a.b[0]", sp="[\"key with space\"]", whole="a", missing="zz"`,
			line: `{"a":{"b":["x","y"]},"key with space":7}`, keep: true,
			want: `{app="api", first="x", missing="", sp="7", whole="{\"b\":[\"x\",\"y\"]}"}`},
		{name: "params on a non-JSON line", pipeline: `| json a="a"`, line: `plain`, keep: true,
			want: `{__error__="JSONParserErr", app="api"}`},
		{name: "param clashing with stream", pipeline: `| json app="a"`, line: `{"a":"z"}`, keep: true,
			want: `{app="api", app_extracted="z"}`},
		{name: "later parser overwrites", pipeline: `| json | regexp "\"(?P<a>[a-z]+)\""`, line: `{"a":"zz"}`, keep: true,
			want: `{a="a", app="api"}`},
		{name: "invalid utf8 becomes space", pipeline: `| logfmt`, line: "a=x\xffy", keep: true, want: `{a="x y", app="api"}`},
		{name: "later parser adds new labels", pipeline: `| json | regexp "\"(?P<b>[a-z]+)\""`, line: `{"a":"zz"}`, keep: true,
			want: `{a="zz", app="api", b="a"}`},
	})
}

func TestJSONPath(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []jsonPathStep
		bad  bool
	}{
		{in: "a.b[0]", want: []jsonPathStep{{key: "a", index: -1}, {key: "b", index: -1}, {index: 0}}},
		{in: `["a b"].c`, want: []jsonPathStep{{key: "a b", index: -1}, {key: "c", index: -1}}},
		{in: `a[`, bad: true},
		{in: `a[x]`, bad: true},
		{in: ``, bad: true},
	} {
		got, err := parseJSONPath(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: want error", tc.in)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Fatalf("%q: got %v, %v", tc.in, got, err)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q step %d: %+v, want %+v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
}

func FuzzJSONParser(f *testing.F) {
	for _, s := range []string{`{"a":{"b":[1,{"c":"d"}]},"e":"\u00e9\ud83d\ude00"}`, `{"a":`, `[]`, `{"a":"\q"}`, `{}`} {
		f.Add([]byte(s))
	}
	stages := stagesOf(f, `| json | json x="a.b[1].c"`)
	p, err := NewPipeline(stages)
	if err != nil {
		f.Fatal(err)
	}
	// A grouped metric's hints let the parser stop once it has a and e.
	mstages, _ := unwrapOf(f, `count_over_time({app="x"} | json | e != "" [1m])`)
	se, err := NewGroupedSampleExtractor(mstages, CountSamples, nil, []string{"a"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		sp := p.ForStream(labels.FromStrings("app", "x"))
		orig := string(line)
		sp.Process(0, line, nil)
		if string(line) != orig {
			t.Fatal("line modified")
		}
		se.ForStream(labels.FromStrings("app", "x")).Process(0, line, nil)
		if string(line) != orig {
			t.Fatal("line modified by the hinted parse")
		}
	})
}

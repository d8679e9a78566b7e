package gateway

import "testing"

func TestServiceNameDiscovery(t *testing.T) {
	f := func(in string, discover []string, want string) {
		t.Helper()
		ls, err := parseLabels(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := withServiceName(ls, discover).String(); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
	d := defaultDiscoverServiceName
	f(`{service_name="x", app="a"}`, d, `{app="a", service_name="x"}`)
	f(`{app="a", service="s"}`, d, `{app="a", service="s", service_name="s"}`)
	f(`{container="c", app="a"}`, d, `{app="a", container="c", service_name="a"}`)
	f(`{job="j", k8s_job_name="k"}`, d, `{job="j", k8s_job_name="k", service_name="j"}`)
	f(`{app_kubernetes_io_name="k", name="n"}`, d, `{app_kubernetes_io_name="k", name="n", service_name="n"}`)
	f(`{env="prod"}`, d, `{env="prod", service_name="unknown_service"}`)
	f(`{zzz="1"}`, d, `{service_name="unknown_service", zzz="1"}`)
	f(`{app="a"}`, nil, `{app="a"}`)
}

func TestParseLabels(t *testing.T) {
	f := func(in, want, wantErr string) {
		t.Helper()
		ls, err := parseLabels(in)
		if wantErr != "" {
			if err == nil || err.Error() != wantErr {
				t.Errorf("%q: err %v, want %q", in, err, wantErr)
			}
			return
		}
		if err != nil {
			t.Errorf("%q: %v", in, err)
			return
		}
		if got := ls.String(); got != want {
			t.Errorf("%q: got %s, want %s", in, got, want)
		}
	}
	f(`{b="2",a="1"}`, `{a="1", b="2"}`, "")
	f(` { a = "x\"y\n" , c=`+"`raw\\n`"+` } `, `{a="x\"y\n", c="raw\\n"}`, "")
	f(`{a="", b="1"}`, `{b="1"}`, "")
	f(`{}`, `{}`, "")
	f(`{_a1="ü"}`, `{_a1="ü"}`, "")
	f(`{a="1",}`, `{a="1"}`, "")
	f(`{a="1", }`, `{a="1"}`, "")
	f(`{,}`, "", `1:2: parse error: invalid label name starting at ",}"`)
	f(`{a='x"y', b='it\'s', c='\n'}`, `{a="x\"y", b="it's", c="\n"}`, "")
	f(`{a="1",,}`, "", `1:8: parse error: invalid label name starting at ",}"`)
	f(`a="1"`, "", `1:1: parse error: expected '{'`)
	f(`{a="1"`, "", `1:7: parse error: unexpected end of input, expected ',' or '}'`)
	f(`{a="1} `, "", `1:8: parse error: unterminated quoted string`)
	f(`{a="1"} x`, "", `1:9: parse error: unexpected "x" after '}'`)
	f(`{a="\q"}`, "", `1:8: parse error: invalid label value "\q": invalid syntax`)
	f(`{a "1"}`, "", `1:4: parse error: expected '=' after label name "a"`)
	f(`{a="1" b="2"}`, "", `1:8: parse error: unexpected 'b', expected ',' or '}'`)
}

func TestLabelCacheBounded(t *testing.T) {
	c := newLabelCache(4)
	for i := 0; i < 10; i++ {
		c.get(`{a="` + string(rune('a'+i)) + `"}`)
	}
	if n := len(c.m); n > 4 {
		t.Fatalf("cache holds %d entries, bound 4", n)
	}
	a, b := c.get(`{x="1"}`), c.get(`{x="1"}`)
	if a != b {
		t.Fatal("second lookup did not hit the cache")
	}
}

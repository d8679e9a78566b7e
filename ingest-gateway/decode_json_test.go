package gateway

import (
	"testing"
	"time"

	"github.com/grafana/loki/pkg/push"
)

func TestDecodeJSONStrings(t *testing.T) {
	f := func(body, wantLine, wantMeta string) {
		t.Helper()
		var req push.PushRequest
		if err := decodeJSON([]byte(body), &req); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		e := req.Streams[0].Entries[0]
		if e.Line != wantLine || !e.Timestamp.Equal(time.Unix(0, 1700000000000000001)) {
			t.Errorf("%s: line %q ts %s", body, e.Line, e.Timestamp)
		}
		meta := ""
		for _, m := range e.StructuredMetadata {
			meta += m.Name + "=" + m.Value + ";"
		}
		if meta != wantMeta {
			t.Errorf("%s: metadata %q, want %q", body, meta, wantMeta)
		}
	}
	f(`{"streams":[{"stream":{"a":"b"},"values":[["1700000000000000001","plain"]]}]}`, "plain", "")
	f(`{"streams":[{"stream":{"a":"b"},"values":[["1700000000000000001","q\"uote \u00e9 \\ \n"]]}]}`, "q\"uote é \\ \n", "")
	f(`{"streams":[{"stream":{"a":"b"},"values":[["1700000000000000001","",{"z":"1","a":"\u0041"}]]}]}`, "", "z=1;a=A;")
	f(`{"streams":[{"stream":{"a":"b"},"values":[["1700000000000000001","x",null]]}]}`, "x", "")
	f(` { "streams" : [ { "stream" : { "a" : "b" } , "values" : [ [ "1700000000000000001" , "sp" ] ] } ] } `, "sp", "")
}

func TestDecodeJSONErrors(t *testing.T) {
	f := func(body, want string) {
		t.Helper()
		var req push.PushRequest
		err := decodeJSON([]byte(body), &req)
		if err == nil || err.Error() != want {
			t.Errorf("%s: err %v, want %q", body, err, want)
		}
	}
	f(`{"streams":[{"stream":{"a":"b"},"values":[["1"]]}]}`, "parse JSON push request: entry must have 2 or 3 elements, got 1")
	f(`{"streams":[{"stream":{"a":"b"},"values":[["1",2]]}]}`, "parse JSON push request: line must be a string, got 2")
	f(`{"streams":[{"stream":{"a":"b"},"values":[["1","x",{"k":1}]]}]}`, `parse JSON push request: structured metadata "k" must be a string`)
	f(`{"streams":[{"stream":{"a":"b"},"values":[["1","x",[]]]}]}`, "parse JSON push request: structured metadata must be an object of strings")
	f(`{"streams":[{"stream":{"a":1},"values":[]}]}`, "parse JSON push request: json: cannot unmarshal number into Go struct field jsonStream.streams.stream of type string")
	f(`{"streams":{}}`, "parse JSON push request: json: cannot unmarshal object into Go struct field jsonPush.streams of type []gateway.jsonStream")
}

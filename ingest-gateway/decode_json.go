package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/grafana/loki/pkg/push"

	"github.com/jetlog/jetlog/schemas/labels"
)

// Loki's JSON push format (v1):
//
//	{"streams":[{"stream":{"app":"api"},"values":[["<ns as string>","line",{"trace_id":"1"}]]}]}
//
// and the legacy format of /api/prom/push:
//
//	{"streams":[{"labels":"{app=\"api\"}","entries":[{"ts":"<RFC3339>","line":"line"}]}]}
//
// Timestamps in v1 must be strings: a JSON number is refused, as Loki does, because float64
// cannot hold nanoseconds. encoding/json bounds nesting depth, so deep JSON is an error.
type jsonPush struct {
	Streams []jsonStream `json:"streams"`
}

type jsonStream struct {
	Stream  map[string]string   `json:"stream"`
	Values  [][]json.RawMessage `json:"values"`
	Labels  string              `json:"labels"`
	Entries []legacyEntry       `json:"entries"`
}

type legacyEntry struct {
	Timestamp time.Time `json:"ts"`
	Line      string    `json:"line"`
}

// decodeEntry converts one v1 value [ts, line, metadata?]. encoding/json has validated the
// whole document already, so strings without escapes are sliced rather than decoded again.
func decodeEntry(raw []json.RawMessage) (push.Entry, error) {
	var e push.Entry
	if len(raw) != 2 && len(raw) != 3 {
		return e, fmt.Errorf("entry must have 2 or 3 elements, got %d", len(raw))
	}
	if len(raw[0]) == 0 || raw[0][0] != '"' {
		return e, fmt.Errorf("timestamp %s must be a string of nanoseconds since the epoch", truncate(string(raw[0]), 64))
	}
	ts, err := jsonString(raw[0])
	if err != nil {
		return e, fmt.Errorf("timestamp: %w", err)
	}
	ns, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return e, fmt.Errorf("timestamp %q is not an integer of nanoseconds", truncate(ts, 64))
	}
	e.Timestamp = time.Unix(0, ns).UTC()
	if len(raw[1]) == 0 || raw[1][0] != '"' {
		return e, fmt.Errorf("line must be a string, got %s", truncate(string(raw[1]), 64))
	}
	if e.Line, err = jsonString(raw[1]); err != nil {
		return e, fmt.Errorf("line: %w", err)
	}
	if len(raw) == 3 {
		if e.StructuredMetadata, err = decodeMetadata(raw[2]); err != nil {
			return e, err
		}
	}
	return e, nil
}

// jsonString decodes a JSON string literal (already validated by encoding/json).
func jsonString(raw json.RawMessage) (string, error) {
	if len(raw) >= 2 && bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// decodeMetadata reads a {"name":"value"} object keeping the sender's order, as Loki does.
func decodeMetadata(b []byte) (push.LabelsAdapter, error) {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("structured metadata must be an object of strings")
	}
	var md push.LabelsAdapter
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("structured metadata: %w", err)
		}
		v, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("structured metadata: %w", err)
		}
		vs, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("structured metadata %q must be a string", k)
		}
		md = append(md, push.LabelAdapter{Name: k.(string), Value: vs})
	}
	return md, nil
}

// decodeJSON parses a decompressed JSON push into req (reset first).
func decodeJSON(b []byte, req *push.PushRequest) error {
	var p jsonPush
	if err := json.Unmarshal(b, &p); err != nil {
		return badRequest("parse JSON push request: %v", err)
	}
	req.Streams = req.Streams[:0]
	for _, s := range p.Streams {
		st := push.Stream{Labels: s.Labels}
		if s.Stream != nil {
			st.Labels = labels.FromMap(s.Stream).String()
		}
		st.Entries = make([]push.Entry, 0, len(s.Values)+len(s.Entries))
		for _, v := range s.Values {
			e, err := decodeEntry(v)
			if err != nil {
				return badRequest("parse JSON push request: %v", err)
			}
			st.Entries = append(st.Entries, e)
		}
		for _, v := range s.Entries {
			st.Entries = append(st.Entries, push.Entry{Timestamp: v.Timestamp, Line: v.Line})
		}
		req.Streams = append(req.Streams, st)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

package querier

import "strconv"

// appendTailFrame appends one message of a live tail in Loki's v1 shape (pkg/util/marshal,
// EncodeTailResult):
//
//	{"streams":[{"stream":{...},"values":[["<ns>","<line>"],...]},...],
//	 "dropped_entries":[{"timestamp":"<ns>","labels":{...}},...]}
//
// "dropped_entries" is left out when there are none, as Loki does; with categorize every
// entry has its metadata element and the frame ends with "encodingFlags":["categorize-labels"].
// Consecutive entries under the same labels share one stream object, so the entries read in
// order are the frame's order.
func appendTailFrame(dst []byte, entries []tailEntry, dropped []droppedEntry, categorize bool) []byte {
	dst = append(dst, `{"streams":[`...)
	for i := range entries {
		te := &entries[i]
		if i == 0 || te.key != entries[i-1].key {
			if i > 0 {
				dst = append(dst, "]},"...)
			}
			dst = append(dst, `{"stream":`...)
			dst = appendLabels(dst, te.labels)
			dst = append(dst, `,"values":[`...)
		} else {
			dst = append(dst, ',')
		}
		dst = appendEntry(dst, &te.e, categorize)
	}
	if len(entries) > 0 {
		dst = append(dst, "]}"...)
	}
	dst = append(dst, ']')
	if len(dropped) > 0 {
		dst = append(dst, `,"dropped_entries":[`...)
		for i, d := range dropped {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"timestamp":"`...)
			dst = strconv.AppendInt(dst, d.ts, 10)
			dst = append(dst, '"')
			if len(d.labels) > 0 {
				dst = append(dst, `,"labels":`...)
				dst = appendLabels(dst, d.labels)
			}
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if categorize {
		dst = append(dst, `,"encodingFlags":["categorize-labels"]`...)
	}
	return append(dst, '}')
}

package schemas

import "errors"

// An in-place reader of logproto.PushRequest bytes: readers that only look at entries (the
// chunker at flush, the querier's bus tail, live tails) need no decoded structs and no copy of
// each line, which gogo/protobuf's Unmarshal makes.

var errBadPush = errors.New("malformed push request")

// WalkPush walks a bus payload, a Loki logproto.PushRequest, in place: for each stream it
// calls stream with its label string, and, when that returns true, entry for each of the
// stream's entries with its timestamp (Unix ns), line and structured metadata pairs (all
// sub-slices of payload, valid during the call). It fails where DecodeBatch fails
// to decode, but may already have called entry for the entries before the damage.
func WalkPush(payload []byte, stream func(labels []byte) (bool, error), entry func(ts int64, line []byte, md [][2][]byte)) error {
	var md [][2][]byte
	return walkFields(payload, func(num int, typ int, v []byte, _ uint64) error {
		if err := wantType(num, typ, 1, 2); err != nil || num != 1 {
			return err
		}
		// Stream: labels (1), entries (2), hash (3); labels may come after the entries.
		var lbls []byte
		if err := walkFields(v, func(num int, typ int, f []byte, _ uint64) error {
			if err := wantType(num, typ, 1, 2, 3); err != nil {
				return err
			}
			if num == 1 {
				lbls = f
			}
			return nil
		}); err != nil {
			return err
		}
		want, err := stream(lbls)
		if err != nil || !want {
			return err
		}
		return walkFields(v, func(num int, typ int, f []byte, _ uint64) error {
			if num != 2 {
				return nil
			}
			// Entry: timestamp (1), line (2), structured metadata (3), parsed (4).
			var ts int64
			var line []byte
			md = md[:0]
			seen := false
			if err := walkFields(f, func(num int, typ int, g []byte, _ uint64) error {
				if err := wantType(num, typ, 1, 2, 3, 4); err != nil {
					return err
				}
				switch {
				case num == 1:
					t, err := decodeTimestamp(g)
					ts, seen = t, true
					return err
				case num == 2:
					line = g
				case num == 3 || num == 4:
					var kv [2][]byte
					if err := walkFields(g, func(num int, typ int, h []byte, _ uint64) error {
						if err := wantType(num, typ, 1, 2); err != nil {
							return err
						}
						if num <= 2 {
							kv[num-1] = h
						}
						return nil
					}); err != nil {
						return err
					}
					if num == 3 {
						md = append(md, kv)
					}
				}
				return nil
			}); err != nil {
				return err
			}
			if !seen {
				ts = NoTimestamp
			}
			entry(ts, line, md)
			return nil
		})
	})
}

// The Unix seconds of years 1 and 10000: gogo's time conversion refuses what lies outside.
const minTimestampSecs, maxTimestampSecs = -62135596800, 253402300800

// NoTimestamp is time.Time{}.UnixNano(): what WalkPush gives for an entry without a
// timestamp, as a decoded entry's Timestamp.UnixNano() would be.
const NoTimestamp = -6795364578871345152

const (
	wireVarint     = 0
	wire64         = 1
	wireBytes      = 2
	wireStartGroup = 3
	wireEndGroup   = 4
	wire32         = 5
)

// skipGroup returns what follows the end of a group whose start tag was just read.
func skipGroup(b []byte) ([]byte, error) {
	for depth := 1; depth > 0; {
		tag, n := uvarint(b)
		if n <= 0 {
			return nil, errBadPush
		}
		b = b[n:]
		switch tag & 7 {
		case wireVarint:
			if _, n = uvarint(b); n <= 0 {
				return nil, errBadPush
			}
			b = b[n:]
		case wire64, wire32:
			k := 8
			if tag&7 == wire32 {
				k = 4
			}
			if len(b) < k {
				return nil, errBadPush
			}
			b = b[k:]
		case wireBytes:
			l, n := uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return nil, errBadPush
			}
			b = b[n+int(l):]
		case wireStartGroup:
			depth++
		case wireEndGroup:
			depth--
		default:
			return nil, errBadPush
		}
	}
	return b, nil
}

// uvarint reads a varint as gogo/protobuf does: at most ten bytes, bits past 64 dropped.
func uvarint(b []byte) (uint64, int) {
	var x uint64
	for i := 0; i < len(b) && i < 10; i++ {
		x |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return x, i + 1
		}
	}
	return 0, 0
}

// wantType fails for a known field (numbers fields; the stream's hash, 3, is a varint,
// every other known field length-delimited) of the wrong wire type, as gogo/protobuf's
// generated decoders do.
func wantType(num, typ int, fields ...int) error {
	for _, f := range fields {
		if f != num {
			continue
		}
		want := wireBytes
		if len(fields) == 3 && num == 3 {
			want = wireVarint
		}
		if typ != want {
			return errBadPush
		}
	}
	return nil
}

// walkFields calls fn for each field of a protobuf message: its number, wire type and,
// for length-delimited fields, its bytes, or for varints, its value.
func walkFields(b []byte, fn func(num, typ int, v []byte, x uint64) error) error {
	for len(b) > 0 {
		tag, n := uvarint(b)
		// gogo/protobuf reads the field number as an int32 and rejects it when not positive.
		if n <= 0 || int32(tag>>3) <= 0 {
			return errBadPush
		}
		b = b[n:]
		num, typ := int(int32(tag>>3)), int(tag&7)
		var v []byte
		var x uint64
		switch typ {
		case wireVarint:
			x, n = uvarint(b)
			if n <= 0 {
				return errBadPush
			}
			b = b[n:]
		case wire64, wire32:
			k := 8
			if typ == wire32 {
				k = 4
			}
			if len(b) < k {
				return errBadPush
			}
			b = b[k:]
		case wireBytes:
			l, n := uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return errBadPush
			}
			v, b = b[n:n+int(l)], b[n+int(l):]
		case wireStartGroup:
			// An unknown group is skipped whole, as gogo/protobuf does.
			rest, err := skipGroup(b)
			if err != nil {
				return err
			}
			b = rest
		default:
			return errBadPush
		}
		if err := fn(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

// decodeTimestamp decodes a google.protobuf.Timestamp to Unix ns, rejecting what gogo's
// time conversion rejects (years outside 1..9999, nanos outside [0, 1e9)).
func decodeTimestamp(b []byte) (int64, error) {
	var secs, nanos int64
	err := walkFields(b, func(num, typ int, _ []byte, x uint64) error {
		if (num == 1 || num == 2) && typ != wireVarint {
			return errBadPush
		}
		switch num {
		case 1:
			secs = int64(x)
		case 2:
			nanos = int64(int32(x))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if secs < minTimestampSecs || secs >= maxTimestampSecs || nanos < 0 || nanos >= 1e9 {
		return 0, errBadPush
	}
	return secs*1e9 + nanos, nil
}

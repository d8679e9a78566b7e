package syntax

import (
	"reflect"
	"testing"
)

func TestLexer(t *testing.T) {
	type tk struct {
		kind tokKind
		text string
	}
	f := func(in string, want ...tk) {
		t.Helper()
		toks, err := tokenize(in)
		if err != nil {
			t.Fatalf("tokenize(%q): %v", in, err)
		}
		var got []tk
		for _, x := range toks[:len(toks)-1] {
			text := x.text
			if x.kind == tokString || x.kind == tokRange || x.kind == tokFlag {
				text = x.val
			}
			got = append(got, tk{x.kind, text})
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("tokenize(%q)\n got %v\nwant %v", in, got, want)
		}
	}
	f(`{a="b"}`, tk{tokLBrace, "{"}, tk{tokIdent, "a"}, tk{tokEq, "="}, tk{tokString, "b"}, tk{tokRBrace, "}"})
	f(`|= != |~ !~ |> !> | == = =~ > >= < <=`,
		tk{tokPipeEq, "|="}, tk{tokNeq, "!="}, tk{tokPipeRe, "|~"}, tk{tokNre, "!~"}, tk{tokPipePat, "|>"},
		tk{tokNotPat, "!>"}, tk{tokPipe, "|"}, tk{tokCmpEq, "=="}, tk{tokEq, "="}, tk{tokRe, "=~"},
		tk{tokGt, ">"}, tk{tokGte, ">="}, tk{tokLt, "<"}, tk{tokLte, "<="})
	f(`+ - * / % ^ ( ) ,`, tk{tokAdd, "+"}, tk{tokSub, "-"}, tk{tokMul, "*"}, tk{tokDiv, "/"},
		tk{tokMod, "%"}, tk{tokPow, "^"}, tk{tokLParen, "("}, tk{tokRParen, ")"}, tk{tokComma, ","})
	f(`1 1.5 .5 1e3 1.5E-3 0x1F`, tk{tokNumber, "1"}, tk{tokNumber, "1.5"}, tk{tokNumber, ".5"},
		tk{tokNumber, "1e3"}, tk{tokNumber, "1.5E-3"}, tk{tokNumber, "0x1F"})
	f(`5m 1h30m 1.5s 250µs 150KB 2MiB 5M`, tk{tokDuration, "5m"}, tk{tokDuration, "1h30m"},
		tk{tokDuration, "1.5s"}, tk{tokDuration, "250µs"}, tk{tokBytes, "150KB"}, tk{tokBytes, "2MiB"},
		tk{tokBytes, "5M"})
	f(`[5m] [ 1h ]`, tk{tokRange, "5m"}, tk{tokRange, " 1h "})
	f(`--strict --keep-empty`, tk{tokFlag, "--strict"}, tk{tokFlag, "--keep-empty"})
	f(`--1`, tk{tokSub, "-"}, tk{tokSub, "-"}, tk{tokNumber, "1"})
	f("\"a\\\"b\" `c\\d`", tk{tokString, `a"b`}, tk{tokString, `c\d`})
	f("a # comment ( \n b", tk{tokIdent, "a"}, tk{tokIdent, "b"})
	f(`__error__ é_1 sum_over_time`, tk{tokIdent, "__error__"}, tk{tokIdent, "é_1"}, tk{tokIdent, "sum_over_time"})
}

func TestLexerPositions(t *testing.T) {
	toks, err := tokenize("{a=\"é\"}\n  | json")
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]int{{1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 7}, {2, 3}, {2, 5}, {2, 9}}
	if len(toks) != len(want) {
		t.Fatalf("got %d tokens, want %d", len(toks), len(want))
	}
	for i, tok := range toks {
		if got := [2]int{tok.line, tok.col}; got != want[i] {
			t.Errorf("token %d (%q) at %v, want %v", i, tok.text, got, want[i])
		}
	}
}

func TestTokenDescribe(t *testing.T) {
	f := func(tok token, want string) {
		t.Helper()
		if got := tok.describe(); got != want {
			t.Fatalf("describe(%v) = %q, want %q", tok, got, want)
		}
	}
	f(token{kind: tokEOF}, "$end")
	f(token{kind: tokIdent, text: "level"}, "IDENTIFIER")
	f(token{kind: tokIdent, text: "BY"}, "by")
	f(token{kind: tokString}, "STRING")
	f(token{kind: tokRange}, "RANGE")
	f(token{kind: tokRBrace}, "}")
}

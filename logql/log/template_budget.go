package log

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"text/template"
	"text/template/parse"
)

// A template's output, and every string one of its functions builds, is bounded by the
// entry's budget: twice the line plus templateSlack bytes. Without a bound one query kills the
// process: `repeat 100000000000 "x"` asks the runtime for 100 GB, and an allocation that fails
// is a fatal error, not a panic text/template could recover. Reformatting, padding and
// indenting a line fit the budget easily; an entry over it gets __error__=TemplateFormatErr
// and keeps its line, like any failing template. The budget also bounds the memory of a log
// query's result: its limit times the budget of its longest line.
const templateSlack = 64 << 10

func templateBudget(lineLen int) int { return templateSlack + 2*lineLen }

// errBudget is the error of a function or template output over the budget.
func errBudget(what string, n, budget int) error {
	return fmt.Errorf("%s would build %d bytes, over the limit of %d bytes", what, n, budget)
}

// fits checks that a function result of n bytes (n < 0: overflowed) fits the budget.
func (st *templateState) fits(what string, n int) error {
	if n < 0 || n > st.budget {
		if n < 0 {
			n = st.budget + 1
		}
		return errBudget(what, n, st.budget)
	}
	return nil
}

// grown is the length of s after k replacements of old bytes by repl bytes, or -1 when that
// exceeds limit (computed so that nothing overflows).
func grown(s, k, old, repl, limit int) int {
	if k <= 0 || repl <= old {
		return s
	}
	if k > (limit-s)/(repl-old) {
		return -1
	}
	return s + k*(repl-old)
}

// product is a*b, or -1 when it exceeds limit.
func product(a, b, limit int) int {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > limit/b {
		return -1
	}
	return a * b
}

// replacements is how many times strings.Replace(s, old, _, n) replaces.
func replacements(s, old string, n int) int {
	k := strings.Count(s, old) // for an empty old: one more than the runes
	if n >= 0 && n < k {
		return n
	}
	return k
}

// regexReplaceLen bounds the output of re.ReplaceAllString(s, repl) (literal: repl is not
// expanded): each match is replaced by repl's literal bytes plus, for each $ reference, at
// most the bytes of the match itself; matches do not overlap.
func regexReplaceLen(re *regexp.Regexp, s, repl string, literal bool, limit int) int {
	matches := re.FindAllStringIndex(s, -1)
	matched := 0
	for _, m := range matches {
		matched += m[1] - m[0]
	}
	per, refs := len(repl), 0
	if !literal {
		// Expanding against empty groups leaves exactly the literal part of repl.
		per = len(re.ExpandString(nil, repl, "", make([]int, 2*(re.NumSubexp()+1))))
		refs = strings.Count(repl, "$")
	}
	n := grown(len(s)-matched, len(matches), 0, per, limit)
	if n >= 0 {
		n = grown(n, refs, 0, matched, limit)
	}
	return n
}

// printfLen bounds the output of fmt.Sprintf(format, args...): every verb prints at most one
// argument, at most four bytes per byte of its plain rendering (%q of control bytes), padded
// or extended by at most the widths and precisions written in the format (or passed with '*').
func printfLen(format string, args []any, limit int) int {
	widest := 0
	for _, a := range args {
		switch a := a.(type) {
		case string:
			widest = max(widest, len(a))
		case []byte:
			widest = max(widest, len(a))
		default:
			widest = max(widest, len(fmt.Sprint(a)))
		}
	}
	n := len(format)
	verbs := strings.Count(format, "%")
	if n = grown(n, verbs, 0, 4*widest+32, limit); n < 0 {
		return -1
	}
	// Sum the numbers inside each verb's flags, width, precision and argument index.
	nums := 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		num := 0
		for i++; i < len(format) && strings.IndexByte("+-# .*[]0123456789", format[i]) >= 0; i++ {
			if c := format[i]; c >= '0' && c <= '9' {
				num = min(num*10+int(c-'0'), limit+1)
				continue
			}
			nums, num = min(nums+num, limit+1), 0
		}
		nums = min(nums+num, limit+1)
	}
	if strings.Contains(format, "*") {
		for _, a := range args {
			if w, ok := a.(int); ok {
				nums = min(nums+min(max(w, -w), limit+1), limit+1)
			}
		}
	}
	if n += nums; n > limit {
		return -1
	}
	return n
}

// boundedBuffer is the writer a template executes into: writing past limit fails, which
// stops the execution.
type boundedBuffer struct {
	buf   *bytes.Buffer
	limit int
}

func (w boundedBuffer) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.limit {
		return 0, errBudget("template output", w.buf.Len()+len(p), w.limit)
	}
	return w.buf.Write(p)
}

// The template functions whose output can outgrow their input check it against the budget
// before building it.

func (st *templateState) repeat(n int, s string) (string, error) {
	if err := st.fits("repeat", product(n, len(s), st.budget)); err != nil {
		return "", err
	}
	return strings.Repeat(s, max(n, 0)), nil
}

func (st *templateState) indent(n int, s string) (string, error) {
	if err := st.fits("indent", grown(len(s), strings.Count(s, "\n")+1, 0, n, st.budget)); err != nil {
		return "", err
	}
	return indent(n, s), nil
}

func (st *templateState) align(f func(int, string) string, n int, s string) (string, error) {
	if err := st.fits("align", max(n, 0)); err != nil {
		return "", err
	}
	return f(n, s), nil
}

func (st *templateState) replaceN(s, old, repl string, n int) (string, error) {
	if err := st.fits("replace", grown(len(s), replacements(s, old, n), len(old), len(repl), st.budget)); err != nil {
		return "", err
	}
	return strings.Replace(s, old, repl, n), nil
}

func (st *templateState) regexReplace(expr, s, repl string, literal bool) (string, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return "", err
	}
	if err := st.fits("regexReplaceAll", regexReplaceLen(re, s, repl, literal, st.budget)); err != nil {
		return "", err
	}
	if literal {
		return re.ReplaceAllLiteralString(s, repl), nil
	}
	return re.ReplaceAllString(s, repl), nil
}

func (st *templateState) printf(format string, args ...any) (string, error) {
	if err := st.fits("printf", printfLen(format, args, st.budget)); err != nil {
		return "", err
	}
	return fmt.Sprintf(format, args...), nil
}

// maxTemplateSteps bounds, per entry, the elements all range actions iterate over plus the
// {{template}} calls. text/template has no deadline: `range 1000000000000` would spin for
// hours after the query timed out, and self-calling templates can branch exponentially.
const maxTemplateSteps = 1 << 20

// guardSteps makes every range action and template call of t count against the entry's step
// budget: a call of the "_steps" function is appended to their pipelines, which passes the
// value on unchanged.
func guardSteps(t *template.Template) {
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			guardNode(tt.Tree, tt.Tree.Root)
		}
	}
}

func guardNode(tree *parse.Tree, n parse.Node) {
	guard := func(pipe *parse.PipeNode) *parse.PipeNode {
		if pipe == nil {
			pipe = &parse.PipeNode{NodeType: parse.NodePipe}
		}
		cmd := &parse.CommandNode{NodeType: parse.NodeCommand}
		cmd.Args = []parse.Node{parse.NewIdentifier("_steps").SetTree(tree)}
		pipe.Cmds = append(pipe.Cmds, cmd)
		return pipe
	}
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				guardNode(tree, c)
			}
		}
	case *parse.IfNode:
		guardNode(tree, n.List)
		guardNode(tree, n.ElseList)
	case *parse.WithNode:
		guardNode(tree, n.List)
		guardNode(tree, n.ElseList)
	case *parse.RangeNode:
		n.Pipe = guard(n.Pipe)
		guardNode(tree, n.List)
		guardNode(tree, n.ElseList)
	case *parse.TemplateNode:
		n.Pipe = guard(n.Pipe)
	}
}

// steps is the "_steps" function: it counts what a range over v iterates (an integer, or
// the length of a slice, map or string), or one template call, against the budget.
func (st *templateState) steps(v ...any) (any, error) {
	if len(v) == 0 {
		st.stepCount++ // {{template "x"}}: dot stays nil
	} else {
		st.stepCount += rangeLen(v[0])
	}
	if st.stepCount > maxTemplateSteps {
		return nil, fmt.Errorf("ranges and template calls would take %d steps, over the limit of %d steps", st.stepCount, maxTemplateSteps)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v[0], nil
}

func rangeLen(v any) int {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(min(max(rv.Int(), 0), maxTemplateSteps+1))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return int(min(rv.Uint(), maxTemplateSteps+1))
	case reflect.Slice, reflect.Array, reflect.Map, reflect.String:
		return rv.Len()
	}
	return 1
}

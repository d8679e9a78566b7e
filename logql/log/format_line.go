package log

import (
	"bytes"
	"fmt"
	"text/template"
)

// templateState is what a template's per-entry functions (__line__, __timestamp__) read.
type templateState struct {
	line      []byte
	ts        int64
	data      map[string]string
	budget    int // bytes a result may have; see templateBudget
	stepCount int // range elements and template calls so far; see maxTemplateSteps
}

// begin prepares st for the templates of one entry.
func (st *templateState) begin(ts int64, line []byte) {
	st.line, st.ts, st.budget, st.stepCount = line, ts, templateBudget(len(line)), 0
}

// execute runs t into buf (reset first), failing once the output outgrows the budget.
func (st *templateState) execute(t *template.Template, buf *bytes.Buffer) error {
	buf.Reset()
	return t.Execute(boundedBuffer{buf: buf, limit: st.budget}, st.data)
}

// compileTemplate parses a template once at query build time, so errors surface early.
func compileTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=zero").Funcs(templateFuncs(&templateState{})).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("invalid template %q: %w", text, err)
	}
	guardSteps(t)
	return t, nil
}

// bindTemplate clones a compiled template with its functions bound to st.
func bindTemplate(t *template.Template, st *templateState) *template.Template {
	c, err := t.Clone()
	if err != nil {
		// Clone fails only after execution started, which never happens to the original.
		panic(fmt.Sprintf("log: clone template: %v", err))
	}
	return c.Funcs(templateFuncs(st))
}

// fillData loads every current label into st.data.
func (st *templateState) fillData(b *builder) {
	if st.data == nil {
		st.data = map[string]string{}
	}
	clear(st.data)
	b.each(func(_ category, name, value string) { st.data[name] = value })
}

// lineFormat replaces the line with a template's output. A failing template sets
// TemplateFormatErr and keeps the line, as in Loki.
type lineFormat struct {
	t   *template.Template
	st  templateState
	buf bytes.Buffer
}

func newLineFormat(text string) (stageFactory, error) {
	t, err := compileTemplate("line", text)
	if err != nil {
		return nil, err
	}
	return func() stage {
		lf := &lineFormat{}
		lf.t = bindTemplate(t, &lf.st)
		return lf
	}, nil
}

func (lf *lineFormat) process(ts int64, line []byte, b *builder) ([]byte, bool) {
	lf.st.begin(ts, line)
	lf.st.fillData(b)
	if err := lf.st.execute(lf.t, &lf.buf); err != nil {
		b.setErr(errTemplateFormat, err.Error())
		return line, true
	}
	return lf.buf.Bytes(), true
}

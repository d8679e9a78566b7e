package log

import (
	"bytes"
	"fmt"
	"text/template"

	"github.com/jetlog/jetlog/logql/syntax"
)

// labelFormat renames labels (dst=src) and sets labels from templates (dst="{{...}}").
// All operations read the labels as they were before the stage, as in Loki; a label may be
// the destination of one operation only.
type labelFormat struct {
	ops   []syntax.LabelFmt
	tmpls []*template.Template // per op; nil for renames
	st    templateState
	buf   bytes.Buffer
	vals  []string
	set   []bool
}

func newLabelFormat(ops []syntax.LabelFmt) (stageFactory, error) {
	if len(ops) == 0 {
		return nil, fmt.Errorf("label_format needs at least one operation")
	}
	seen := map[string]bool{}
	tmpls := make([]*template.Template, len(ops))
	for i, op := range ops {
		if seen[op.Dst] {
			return nil, fmt.Errorf("multiple label name '%s' not allowed in a single format operation", op.Dst)
		}
		seen[op.Dst] = true
		if op.Rename {
			continue
		}
		t, err := compileTemplate("label", op.Value)
		if err != nil {
			return nil, err
		}
		tmpls[i] = t
	}
	return func() stage {
		lf := &labelFormat{ops: ops, tmpls: make([]*template.Template, len(ops)),
			vals: make([]string, len(ops)), set: make([]bool, len(ops))}
		for i, t := range tmpls {
			if t != nil {
				lf.tmpls[i] = bindTemplate(t, &lf.st)
			}
		}
		return lf
	}, nil
}

func (lf *labelFormat) process(ts int64, line []byte, b *builder) ([]byte, bool) {
	lf.st.line, lf.st.ts = line, ts
	dataLoaded := false
	for i, op := range lf.ops {
		lf.set[i] = false
		if op.Rename {
			v, ok := b.get(op.Value)
			lf.vals[i], lf.set[i] = v, ok
			continue
		}
		if !dataLoaded {
			lf.st.fillData(b)
			dataLoaded = true
		}
		lf.buf.Reset()
		if err := lf.tmpls[i].Execute(&lf.buf, lf.st.data); err != nil {
			b.setErr(errTemplateFormat, err.Error())
			continue
		}
		lf.vals[i], lf.set[i] = lf.buf.String(), true
	}
	for i, op := range lf.ops {
		if op.Rename {
			if op.Value != op.Dst {
				b.del(op.Value)
			}
			if lf.set[i] {
				b.set(op.Dst, lf.vals[i])
			}
			continue
		}
		if lf.set[i] {
			b.set(op.Dst, lf.vals[i])
		}
	}
	return line, true
}

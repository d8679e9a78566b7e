package log

import (
	"bytes"
	"fmt"
	"text/template"

	"github.com/jetlog/jetlog/logql/syntax"
)

// labelFormat renames labels (dst=src) and sets labels from templates (dst="{{...}}").
// As in Loki, operations run in order: a rename takes effect at once (dst gets src's value
// and src is deleted, only if src exists), and all templates read one snapshot of the labels
// taken at the first template. A label may be the destination of one operation only, and
// __error__ cannot be formatted.
type labelFormat struct {
	ops   []syntax.LabelFmt
	tmpls []*template.Template // per op; nil for renames
	st    templateState
	buf   bytes.Buffer
}

func newLabelFormat(ops []syntax.LabelFmt) (stageFactory, error) {
	if len(ops) == 0 {
		return nil, fmt.Errorf("label_format needs at least one operation")
	}
	seen := map[string]bool{}
	tmpls := make([]*template.Template, len(ops))
	for i, op := range ops {
		if op.Dst == ErrorLabel {
			return nil, fmt.Errorf("%s cannot be formatted", op.Dst)
		}
		if seen[op.Dst] {
			return nil, fmt.Errorf("multiple label name '%s' not allowed in a single format operation", op.Dst)
		}
		seen[op.Dst] = true
		if op.Rename {
			continue
		}
		t, err := compileTemplate("label", op.Value)
		if err != nil {
			return nil, fmt.Errorf("invalid template for label '%s': %w", op.Dst, err)
		}
		tmpls[i] = t
	}
	return func() stage {
		lf := &labelFormat{ops: ops, tmpls: make([]*template.Template, len(ops))}
		for i, t := range tmpls {
			if t != nil {
				lf.tmpls[i] = bindTemplate(t, &lf.st)
			}
		}
		return lf
	}, nil
}

func (lf *labelFormat) process(ts int64, line []byte, b *builder) ([]byte, bool) {
	lf.st.begin(ts, line)
	loaded := false
	for i, op := range lf.ops {
		if op.Rename {
			if v, ok := b.get(op.Value); ok {
				b.set(op.Dst, v)
				b.del(op.Value)
			}
			continue
		}
		if !loaded {
			lf.st.fillData(b)
			loaded = true
		}
		if err := lf.st.execute(lf.tmpls[i], &lf.buf); err != nil {
			b.setErr(errTemplateFormat, err.Error())
			continue
		}
		b.set(op.Dst, lf.buf.String())
	}
	return line, true
}

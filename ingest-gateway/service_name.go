package gateway

import "github.com/jetlog/jetlog/schemas/labels"

const (
	serviceNameLabel   = "service_name"
	serviceNameUnknown = "unknown_service"
)

// withServiceName applies Loki's discovery: a stream without service_name gets one, taken from
// the first label of discover (limits_config.discover_service_name) that has a value, else
// "unknown_service". An empty discover list disables it. ls must be sorted; the result is.
func withServiceName(ls labels.Labels, discover []string) labels.Labels {
	if len(discover) == 0 || ls.Has(serviceNameLabel) {
		return ls
	}
	value := serviceNameUnknown
	for _, n := range discover {
		if v := ls.Get(n); v != "" {
			value = v
			break
		}
	}
	out := make(labels.Labels, 0, len(ls)+1)
	added := false
	for _, l := range ls {
		if !added && l.Name > serviceNameLabel {
			out = append(out, labels.Label{Name: serviceNameLabel, Value: value})
			added = true
		}
		out = append(out, l)
	}
	if !added {
		out = append(out, labels.Label{Name: serviceNameLabel, Value: value})
	}
	return out
}

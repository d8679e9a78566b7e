// Package ruler will evaluate LogQL alerting and recording rules from Loki/Prometheus rule files,
// keep alert state, notify Alertmanager through its v2 API and remote-write recorded series.
// Not built yet: no issue has asked for it so far.
package ruler

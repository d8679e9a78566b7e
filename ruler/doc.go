// Package ruler will evaluate LogQL alerting and recording rules from Loki/Prometheus rule files,
// keep alert state, notify Alertmanager through its v2 API and remote-write recorded series.
// Not built yet: see the open issues.
package ruler

// Package gateway is jetlog's ingest gateway: the HTTP side of Loki's push API.
//
// A push (POST /loki/api/v1/push or /api/prom/push) travels through these steps, one file each:
//
//	tenant.go           X-Scope-OrgID, validated as Loki does (or "fake" without auth)
//	decompress.go       body size limit, Content-Encoding gzip|deflate|snappy, zip-bomb limit
//	decode_protobuf.go  logproto.PushRequest in raw-block snappy (Promtail, Alloy)
//	decode_json.go      Loki's JSON push format
//	labels_parse.go     Loki's label syntax {a="b"}, cached per distinct label string
//	validate.go         labels and entries against the tenant's limits, Loki's messages
//	service_name.go     Loki's service_name discovery
//	ratelimit.go        tenant and per-stream token buckets, active-stream tracking
//	partition.go        grouping by bus partition, encoding, splitting to the bus payload limit
//	publisher.go        the Publisher interface the bus implements
//	handler.go          the HTTP handler tying it together, status codes as Loki
//	gateway.go          Config + Deps -> New, Routes, Run, Close (drain)
//	metrics.go          Loki's distributor metric names
//
// Partial acceptance follows Loki: valid streams are published and the response is a 400 (or
// 429) listing what was dropped. A 2xx is returned only after the Publisher reported that
// JetStream acknowledged every message of the request.
//
// Limits use Loki's limits_config names, flags and defaults (limits.go); per-tenant overrides
// come from a runtime config file in Loki's "overrides:" format, reloaded periodically
// (overrides.go).
//
// Wiring (cmd/):
//
//	var cfg gateway.Config
//	cfg.RegisterFlags(fs)                  // -auth.enabled, -distributor.*, -validation.*, ...
//	g, err := gateway.New(cfg, gateway.Deps{
//		Publisher:  busPublisher,        // package bus; PublishAll returns after JetStream acks
//		Partitions: busCfg.Partitions,   // the same P the chunkers consume
//		Logger:     logger,
//		Registerer: reg,
//	})
//	g.Routes(router)                       // POST /loki/api/v1/push, /api/prom/push
//	go g.Run(ctx)                          // runtime-config reloads, idle tenant cleanup
//	defer g.Close()                        // 503 for new pushes, waits for those in flight
package gateway

// Package schemas defines every format jetlog writes that another process reads: the NATS
// subjects, headers and payload of log batches on the bus, and the layout of objects in the
// object store (data objects, index segments, checkpoints and flush intents). It sits at the
// bottom of the dependency graph: services agree with each other only through this package.
//
// # Bus
//
// Log batches travel on JetStream subjects
//
//	logs.<tenant-token>.<partition>
//
// where tenant-token is TenantToken(tenant) (the tenant ID with every byte outside
// [A-Za-z0-9_-] written as =XX, so that '.', '*', '>' and '/' can never form a different
// subject or key) and partition is Partition(tenant, labels, P), a number in [0, P).
// One stream always lands in one partition.
//
// A message's payload is a Loki logproto PushRequest (github.com/grafana/loki/pkg/push,
// gogo-protobuf binary) compressed with snappy's block format, the body Loki's push API takes,
// holding streams of one tenant and one partition. Stream label strings are canonical (sorted,
// Loki syntax, validated) so consumers do not re-validate. JetStream does not compress its
// store again. Headers:
//
//	Nats-Msg-Id     content hash: a retried push is stored once within the duplicate window
//	Jetlog-Tenant   the tenant ID, unescaped
//	Jetlog-Format   "loki-push-snappy-v1" (FormatPushSnappy); "loki-push-v1" (FormatPushV1,
//	                uncompressed) was written by earlier versions and is still read
//	Jetlog-Times    "<first> <last>": the entries' earliest and latest timestamp (Unix ns);
//	                missing on messages of earlier versions, which are then read whole
//
// An outside NATS subscriber consumes tenant t live with a subscription on
// "logs.<TenantToken(t)>.*" and decodes each message with DecodeBatch(its Jetlog-Format
// header, its data).
package schemas

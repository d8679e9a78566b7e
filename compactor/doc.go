// Package compactor will merge the chunker's small objects into larger ones, apply per-tenant
// retention and execute delete requests, following the commit protocol in package schemas
// (merged index segments name the segments they replace; replaced objects are deleted after a
// grace period longer than any query). Not built yet: no issue has asked for it so far.
package compactor

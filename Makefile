# jetlog developer entry points. `make run` and `make test` must work on a fresh machine.
GO        ?= go
BIN       := bin/jetlog
SHARED    ?= ../shared
DATA_DIR  ?= ./data
HTTP_ADDR ?= 127.0.0.1:3100
# Loki's default tenant ingestion limit (4 MB/s) would throttle a local load test; make run
# raises it. Everything else runs on the defaults.
RUN_FLAGS ?= -distributor.ingestion-rate-limit-mb=1000 -distributor.ingestion-burst-size-mb=2000
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
# The nats-server the cluster tests run: the version go.mod requires for the embedded server.
NATS_SERVER_VERSION := $(shell $(GO) list -m -f '{{.Version}}' github.com/nats-io/nats-server/v2 2>/dev/null || echo v2.15.2)
GOBIN     := $(shell $(GO) env GOPATH)/bin
REV       := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -X main.revision=$(REV) -X main.buildDate=$(shell date -u +%Y-%m-%dT%H:%M:%SZ)

.PHONY: build run test test-short conformance bench fuzz vet fmt minio nats-server clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/jetlog

run: build
	./$(BIN) -data-dir $(DATA_DIR) -http-addr $(HTTP_ADDR) $(RUN_FLAGS)

# The whole suite. Integration tests start real NATS servers, clusters of nats-server
# processes (installed by `make nats-server`) and a real MinIO process (`make minio`).
# Package chunk writes decoded lines through pointers: run again with checkptr, which fails
# a write outside its buffer.
test: minio nats-server
	PATH="$(GOBIN):$$PATH" $(GO) test -count=1 -timeout 25m ./...
	$(GO) test -count=1 -gcflags=github.com/jetlog/jetlog/chunk=-d=checkptr ./chunk

test-short:
	$(GO) test -count=1 -short ./...

minio:
	@test -x "$(GOBIN)/minio" || (echo "installing MinIO $(MINIO_VERSION) (a few minutes, cached afterwards)"; \
		$(GO) install github.com/minio/minio@$(MINIO_VERSION))

nats-server:
	@"$(GOBIN)/nats-server" --version 2>/dev/null | grep -qF "$(NATS_SERVER_VERSION)" || \
		(echo "installing nats-server $(NATS_SERVER_VERSION)"; \
		$(GO) install github.com/nats-io/nats-server/v2@$(NATS_SERVER_VERSION))

# Loads the shared conformance dataset into a fresh jetlog and compares every answer with Loki's.
# CONFORMANCE_MODE=tail checks before any flush (data only on the bus), flushed after POST /flush.
conformance: build
	./scripts/conformance.sh $(SHARED)

bench: build
	./scripts/bench.sh $(SHARED)

fuzz:
	./scripts/fuzz.sh

vet:
	$(GO) vet ./...

fmt:
	gofmt -l -w .

clean:
	rm -rf bin

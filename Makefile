# Few targets, real clients. `make test` is what CI runs (.ci/run).
GO        ?= go
FUZZTIME  ?= 100000x
STATICCHECK ?= v0.8.2
ERRCHECK  ?= v1.30.0
PKGS      := ./...

.PHONY: build run test vet errcheck unit fuzz bench

build:
	$(GO) build -o bin/tributary ./cmd/tributary

run:
	$(GO) run ./cmd/tributary serve

vet:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK) ./...
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum untidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1; }

# Every error in non-test code checked, or ignored visibly (`_ = x.Close()`)
# with the reason beside it.
errcheck:
	$(GO) run github.com/kisielk/errcheck@$(ERRCHECK) -ignoretests $(PKGS)

# Every test, end-to-end ones included (franz-go, kcat, crash tests), then a
# short run of every fuzz target.
test: vet errcheck unit fuzz

unit:
	$(GO) test -count=1 -timeout 50m $(PKGS)

# Each decoder that reads network or stored bytes has a fuzz target; CI runs
# each for FUZZTIME (a smoke run: the corpus seeds plus new inputs). The
# budget is a count of executions, not a duration: with a duration, Go
# 1.26's fuzz coordinator can race its own deadline and fail a target that
# found nothing ("context deadline exceeded", golang/go#75804, fixed in 1.27).
FUZZ_TARGETS := \
	./broker:FuzzParseRequest \
	./broker:FuzzReadBody \
	./broker/auth:FuzzSASL \
	./log/recordbatch:FuzzValidate \
	./log/recordbatch:FuzzPatchRecordSet \
	./log/recordbatch:FuzzRecords \
	./internal/metastore/boltstore:FuzzDecodeEntry \
	./internal/metastore/boltstore:FuzzDecodeProducer \
	./internal/metastore/boltstore:FuzzDecodeGroup \
	./internal/metastore/boltstore:FuzzDecodeOffset \
	./internal/metastore/boltstore:FuzzDecodeKV \
	./broker/group:FuzzDecodeState \
	./internal/metastore:FuzzDecodeSeqBatches \
	./schema/wire:FuzzParse \
	./schema/protobuf:FuzzCheck \
	./schema/protobuf:FuzzFlat \
	./schema/protobuf:FuzzDescriptorText \
	./topicconfig:FuzzParse \
	./arrowconv:FuzzAppend \
	./catalog:FuzzSplitPath \
	./catalog:FuzzWarehouseKey \
	./catalog:FuzzCheckReport \
	./registry:FuzzSubjectKey \
	./config:FuzzParse \
	./broker/auth:FuzzOAuthBearer \
	./broker/enforce:FuzzParseFrame \
	./schema/protobuf:FuzzWireFast \
	./schema/protobuf:FuzzValidUTF8 \
	./schema/protobuf:FuzzEmailUUID

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

# Produce/consume figures: 1 KiB records, acks=all, 6 partitions.
bench:
	$(GO) run ./bench/kafkabench

# Group coordination figures: rebalance time after a join (range and
# cooperative-sticky), OffsetCommit and OffsetFetch latency.
.PHONY: bench-groups
bench-groups:
	$(GO) run ./bench/groupbench

# Iceberg figures: decode → Arrow → Parquet records and MB per core beside
# proto.Unmarshal of generated code; freshness p50/p99 (acknowledgement to
# visible in a scan) at a 1 s commit interval and at the default (60 s,
# three commits: about 4 minutes in all).
.PHONY: bench-iceberg
bench-iceberg:
	$(GO) run ./bench/icebergbench

# Table maintenance figures: compaction MB/s per core and time on 64 MiB
# of small Parquet files, and a count, a filter on kafka.event_timestamp
# and a sum over a nested field timed with iceberg-go before and after;
# then the steady state: ingest committing every second for 3 minutes
# with maintenance on serve's defaults, the same queries on the live
# table vs one file of the same rows, as ratios.
.PHONY: bench-maintenance
bench-maintenance:
	$(GO) run ./bench/maintenancebench
	$(GO) run ./bench/maintenancebench --steady 3m

# Broker RSS: peak and after a quiet spell, at full produce, at 1,000
# partitions with one producer at 2,000 records/s, and after ten
# concurrent 90 MiB produce requests (about 3 minutes).
.PHONY: bench-memory
bench-memory:
	$(GO) run ./bench/membench

# Cluster figures on Postgres + versitygw: produce MB/s and latency for 1,
# 2 and 3 brokers, S3 PUTs and Postgres transactions per MB, and at 1,000
# records/s the PUTs per second and their cost a day.
.PHONY: bench-cluster
bench-cluster:
	$(GO) run ./bench/clusterbench

# Apache Kafka 4.4 (kafka_2.13 from Maven Central, single-node KRaft,
# -Xmx1g) beside a `tributary serve`, both measured with Kafka's own
# ProducerPerformance/ConsumerPerformance, interleaved: produce and consume
# MB/s, p50/p99 at 20k records/s, broker CPU and peak RSS, ratios and the
# goals. About ten minutes; ARGS shortens it (e.g. ARGS="-records 50000
# -rounds 1 -paced-for 5s").
.PHONY: bench-compare
bench-compare:
	$(GO) run ./bench/comparebench $(ARGS)

# Catalog commit figures: p50/p99 and commits/s with 1, 8 and 32 writers on
# one table and on 32 tables, embedded store and Postgres (about a minute).
.PHONY: bench-catalog
bench-catalog:
	$(GO) run ./bench/catalogbench

# The container image, built without a container daemon (deploy/image, on
# go-containerregistry): a static binary on an empty base, written as a
# tarball for `docker load`, `podman load` or `crane push`.
IMAGE_TAG ?= tributary:dev
.PHONY: image
image:
	CGO_ENABLED=0 $(GO) build -o bin/tributary-linux ./cmd/tributary
	cd deploy/image && $(GO) run . --binary ../../bin/tributary-linux --out ../../bin/tributary-image.tar --tag $(IMAGE_TAG)

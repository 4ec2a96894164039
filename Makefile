# Jinnang build and test entry points. `make test` is the one command that runs
# the whole suite on a fresh machine: it installs what the tests need first.

SHELL := /bin/bash
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
TOOLS_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/jinnang/bin
MINIO_BIN := $(TOOLS_DIR)/minio

export JINNANG_MINIO_BIN := $(MINIO_BIN)

.PHONY: test vet minio chromium ffmpeg run bench

## test: vet, then every test with the race detector, against real MinIO and Chromium
test: minio chromium ffmpeg vet
	@if [ -z "$$MEILI_URL" ]; then echo "NOTE: MEILI_URL not set: the Meilisearch contract suite is SKIPPED (set MEILI_URL and MEILI_KEY to run it against a real server)"; fi
	go test -race -count=1 -timeout 30m ./...

vet:
	go vet ./...

## minio: build the MinIO server once into the tool cache (about 4 minutes)
minio: $(MINIO_BIN)

$(MINIO_BIN):
	@echo "building the MinIO server $(MINIO_VERSION) into $(TOOLS_DIR) (one time, about 4 minutes)"
	mkdir -p $(TOOLS_DIR)
	GOBIN=$(TOOLS_DIR) GOFLAGS=-mod=mod go install github.com/minio/minio@$(MINIO_VERSION)

## chromium: install Debian's chromium for the browser tests when missing (root only)
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "chromium not found and not root: the browser tests will be skipped (install Debian's chromium package)"; \
	fi

## ffmpeg: install Debian's ffmpeg (ffmpeg and ffprobe) for the media tests when missing (root only)
ffmpeg:
	@if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's ffmpeg for the media tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg >/dev/null; \
	else \
		echo "ffmpeg not found and not root: the video and voice tests will be skipped (install Debian's ffmpeg package)"; \
	fi

run:
	go run .

## bench: every benchmark; the corpus ones use 20,000 generated packs (JINNANG_BENCH_PACKS=2000 for a quick run)
bench:
	go test -run '^$$' -bench . -benchmem -timeout 60m ./portal/...

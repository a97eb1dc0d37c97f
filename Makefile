# asset-id: the two set-up commands are `make demo` and `make test`; both install what is missing.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
WASM_OPT := node_modules/.bin/wasm-opt
WASM_FEATURES := --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
                 --enable-mutable-globals --enable-reference-types --enable-multivalue
RUST_SRC := Cargo.toml Cargo.lock $(shell find src -name '*.rs')
export CHROMEDRIVER ?= /usr/bin/chromedriver
# Supported Node versions, provided by scripts/bootstrap.sh (`make node`). ON_NODE22 / ON_NODE24 prefix a
# command so that it runs on that Node (its bin first in PATH, whatever the machine's Node is) and native
# modules build against its headers (npm_config_nodedir; a machine-wide npm nodedir would point elsewhere).
NODE22 := $(CURDIR)/.tools/node22
NODE24 := $(CURDIR)/.tools/node24
# npm_config_better_sqlite3_local_prebuilds: where installs find the better-sqlite3 an earlier install compiled
# (scripts/native-prebuilds.sh; a fresh machine compiles it once instead of once per install).
PREBUILDS := $(CURDIR)/.tools/prebuilds
on_node = PATH="$(1)/bin:$$PATH" npm_config_nodedir="$(1)" npm_config_better_sqlite3_local_prebuilds="$(PREBUILDS)"
ON_NODE22 := $(call on_node,$(NODE22))
ON_NODE24 := $(call on_node,$(NODE24))

.PHONY: all bootstrap node build pkg cli pack test test-rust test-wasm test-js test-lint test-frontend test-backend test-docs test-cli-diff test-action test-pack demo demo-dev bench clean

all: build

bootstrap:
	@scripts/bootstrap.sh

## node: only the supported Node versions (.tools/node22, .tools/node24)
node:
	@scripts/bootstrap.sh node

## build: the npm package (pkg/ + js/) and target/release/asset-id
build: bootstrap pkg cli

# Two builds of the one core, each for browsers and for Node:
#   pkg/format, pkg/format-node  the format build (`asset-id/format`: no lookup engine, transport or
#                                driver); browsers download it, so it is built for size and budgeted
#                                (docs/design.md); the Node copy is the same .wasm bound for Node.
#   pkg/web, pkg/node            the full build (feature `lookup`: validate*, search; the root entry);
#                                pkg/node is built for speed (profile wasm-node: opt-level 3, default
#                                inlining, wasm-opt -O3), pkg/web for size (profile wasm, -Oz).
pkg: pkg/.built
pkg/.built: Makefile $(RUST_SRC) $(wildcard js/*) | node
	rm -rf pkg/web/snippets pkg/node/snippets pkg/format pkg/format-node
	wasm-pack build --profile wasm --no-pack --no-opt --target web --out-dir pkg/format --out-name asset_id
	wasm-pack build --profile wasm --no-pack --no-opt --target nodejs --out-dir pkg/format-node --out-name asset_id
	wasm-pack build --profile wasm --no-pack --no-opt --target web --out-dir pkg/web --out-name asset_id -- --features lookup
	wasm-pack build --profile wasm-node --no-pack --no-opt --target nodejs --out-dir pkg/node --out-name asset_id -- --features lookup
	for d in format format-node web node; do \
	  if [ $$d = node ]; then opt=-O3; else opt=-Oz; fi; \
	  $(WASM_OPT) $$opt --converge $(WASM_FEATURES) --strip-debug --strip-producers --strip-target-features pkg/$$d/asset_id_bg.wasm -o pkg/$$d/asset_id_bg.wasm; \
	  rm -f pkg/$$d/.gitignore; \
	done
	# The format build has no I/O: no transport snippet, no lookup method.
	if ls pkg/format/snippets pkg/format-node/snippets > /dev/null 2>&1; then echo "the format build has snippets" >&2; exit 1; fi
	if grep -qE '^ +(validate|validateMany|validateEntities|search)\(' pkg/format/asset_id.js pkg/format-node/asset_id.js; then echo "the format build has lookup methods" >&2; exit 1; fi
	# checkFormat/checkFormatMany are js/verdicts.cjs's over checkManyPacked, the only path (none in the .wasm).
	if grep -qE '^ +checkFormat(Many)?\(' pkg/*/asset_id.js; then echo "a wasm-bindgen checkFormat shadows js/verdicts.cjs" >&2; exit 1; fi
	# wasm-bindgen types its raw exports (InitOutput) with `any`; the public surface has none.
	sed -i -E 's/(: |=> )any\b/\1unknown/g' pkg/*/*.d.ts
	# The classes declare [Symbol.dispose]; make that type-check whatever `lib` a consumer uses.
	sed -i '1i /// <reference lib="esnext.disposable" />' pkg/*/asset_id.d.ts
	for d in web format; do \
	  echo '{ "type": "module" }' > pkg/$$d/package.json; \
	  : js/verdicts.cjs as an ES module for js/web.js and js/format.js: plain module pages load it too.; \
	  sed -e "/^'use strict';$$/d" -e 's/^module\.exports = { install };$$/export { install };/' js/verdicts.cjs > pkg/$$d/verdicts.js; \
	  grep -q '^export { install };$$' pkg/$$d/verdicts.js; \
	done
	echo '{ "type": "commonjs" }' > pkg/node/package.json
	echo '{ "type": "commonjs" }' > pkg/format-node/package.json
	# js/transport.js (the lookup I/O, a wasm-bindgen snippet) is `require`d by the nodejs build: CommonJS there.
	for f in pkg/node/snippets/*/js/transport.js; do \
	  if grep -q '^module\.exports = ' $$f; then continue; fi; \
	  names=$$(sed -n -E 's/^export (async )?function ([A-Za-z]+).*/\2/p' $$f | paste -sd, -); \
	  sed -i -E 's/^export (async )?function /\1function /' $$f; \
	  echo "module.exports = { $$names };" >> $$f; \
	  if grep -q '^export\b' $$f; then echo "$$f: an export the CommonJS rewrite missed" >&2; exit 1; fi; \
	done
	ls pkg/web/snippets/*/js/transport.js pkg/node/snippets/*/js/transport.js > /dev/null
	$(ON_NODE22) node_modules/.bin/tsc --noEmit --strict --skipLibCheck false --lib es2022,dom --module nodenext --moduleResolution nodenext js/index.d.ts js/format.d.ts
	touch $@

cli:
	cargo build --release --features cli --bin asset-id

# The CLI binary the CLI suites run (test-cli-diff, test-action, test-backend's agreement test): target/release/asset-id
# by default; `make test` sets the release archive's static binary ($(DIST_BIN), below).
CLI_BIN ?= target/release/asset-id
target/release/asset-id: cli

## test: every test on every target
# Each stage is a make target, run in this order by scripts/test-stages.sh, which prints the time each took.
# The CLI suites (test-cli-diff, test-action, the backend's agreement test) run once, on the static binary of the
# release archive (test-dist, which users download), not a second time on target/release/asset-id: one release
# build of the CLI instead of two (each a full LTO compile on a fresh machine).
TEST_STAGES := bootstrap test-docs test-lint test-rust test-dist test-release pkg test-wasm \
               test-js test-frontend test-backend test-pack test-api test-e2e
test:
	@CLI_BIN=$(DIST_BIN) MAKE="$(MAKE)" scripts/test-stages.sh $(TEST_STAGES)

# The repository is self-contained: no tracked file points outside it, every Markdown link resolves.
test-docs: node
	$(ON_NODE22) node --test scripts/check-docs.test.mjs
	$(ON_NODE22) node scripts/check-docs.mjs

test-lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets --features cli -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --features lookup -- -D warnings

test-rust:
	cargo test --features cli

# The gate reads catalog YAML as Backstage's catalog does (npm `yaml`, parseAllDocuments), or reports
# invalid_yaml: a few hundred generated and mutated files through target/release/asset-id.
test-cli-diff: $(CLI_BIN) node
	ASSET_ID_BIN=$(CLI_BIN) $(ON_NODE22) node --test tests/js/yaml-differential.mjs

# action.yml's "Run asset-id" step run as the GitHub runner runs it, with $(CLI_BIN): a pull request is judged by
# its base commit's policy (a head commit's CMDB gets no request), output: stays in the workspace.
# tests/action/release.test.mjs runs all its steps: at a release tag the binary is downloaded (a stand-in release
# host on loopback, serving $(RELEASE_DIR)'s archive when set, else one made from $(CLI_BIN)) and its SHA-256
# checked, else it is built.
RELEASE_DIR ?=
test-action: $(CLI_BIN) node
	ASSET_ID_BIN=$(CLI_BIN) $(if $(RELEASE_DIR),ASSET_ID_RELEASE_DIR=$(RELEASE_DIR)) \
	  $(ON_NODE22) node --test tests/action/action.test.mjs tests/action/release.test.mjs

## dist: the CLI release archive this machine builds, as a release tag's workflow (.github/workflows/release.yml,
## dist-workspace.toml) builds it: Linux x86_64, static (musl), with its SHA-256, in target/distrib/
.PHONY: dist test-dist test-release
DIST_TARGET := x86_64-unknown-linux-musl
DIST_ARCHIVE := target/distrib/asset-id-$(DIST_TARGET).tar.gz
# The archive's binary, unpacked: what `make test` runs the CLI suites on (CLI_BIN).
DIST_BIN := target/distrib/unpacked/asset-id-$(DIST_TARGET)/asset-id
dist: bootstrap
	dist build --artifacts=local --target $(DIST_TARGET)
	test -s $(DIST_ARCHIVE) && test -s $(DIST_ARCHIVE).sha256
$(DIST_ARCHIVE): $(RUST_SRC) dist-workspace.toml
	$(MAKE) --no-print-directory dist
$(DIST_BIN): $(DIST_ARCHIVE)
	rm -rf target/distrib/unpacked && mkdir -p target/distrib/unpacked
	tar -xzf $(DIST_ARCHIVE) -C target/distrib/unpacked
	test -x $@ && touch $@

# The static binary of that archive: checksum, layout, no dynamic loader, the example systems repository's gate
# (tests/dist); then the CLI suites with it: the action's (the release download serving this very archive) and
# the YAML differential (a few hundred catalog files).
test-dist: $(DIST_BIN) node
	$(ON_NODE22) node --test tests/dist/dist.test.mjs
	$(MAKE) --no-print-directory test-action test-cli-diff CLI_BIN=$(DIST_BIN) RELEASE_DIR=target/distrib

## test-release: one version everywhere (crate, the four npm packages, lockfiles, changelogs), the release flow
## (npm run version-packages on a copy), the workflows; .github/workflows/release.yml is what dist generates
test-release: bootstrap
	$(ON_NODE22) node scripts/versions.mjs check
	$(ON_NODE22) node --test scripts/versions.test.mjs tests/release/workflows.test.mjs
	dist generate --mode=ci --check
	scripts/bootstrap.sh pack   # the publish workflow's install step (here a no-op after the full bootstrap)

# tests/common/wasm_suite.rs on both builds, in Node and headless Chromium: the format build (no
# features: the format, catalog and policy cases), then the full build (feature `lookup`: everything,
# the lookup and search suites against the fake CMDB too).
test-wasm: node
	$(ON_NODE22) wasm-pack test --node
	$(ON_NODE22) wasm-pack test --headless --chrome
	$(ON_NODE22) scripts/with-fake-cmdb.sh wasm-pack test --node -- --features lookup
	$(ON_NODE22) scripts/with-fake-cmdb.sh wasm-pack test --headless --chrome -- --features lookup

# The npm package's JS suite on every supported Node. The files are named: Node 22 and later take a
# folder argument as a file.
test-js: pkg node
	@$(ON_NODE22) node -p '"test-js on Node " + process.version'
	$(ON_NODE22) node --test tests/js/*.test.mjs
	@$(ON_NODE24) node -p '"test-js on Node " + process.version'
	$(ON_NODE24) node --test tests/js/*.test.mjs

test-frontend: pkg node
	$(MAKE) -C plugin-frontend -f ../mk/plugin.mk ci NODE_DIR=$(NODE22)

# The agreement test runs the CLI ($(CLI_BIN)) on the shared format cases.
test-backend: pkg node $(CLI_BIN)
	ASSET_ID_BIN=$(abspath $(CLI_BIN)) $(MAKE) -C plugin-backend -f ../mk/plugin.mk ci NODE_DIR=$(NODE22)

## pack: the four publishable tarballs in dist-packages/ (asset-id, the frontend plugin, the backend plugin and modules, the -common contract)
# Packed again only when something packed changed: `make test` needs the tarballs twice (test-pack, then the
# example app's install in test-e2e), and each packing builds both Backstage packages (about 40 s).
PACK_SRC := package.json README.md LICENSE scripts/pack.sh \
  $(shell find plugin-frontend plugin-backend plugin-common \( -name node_modules -o -name dist -o -name dist-types \) -prune -o -type f -print 2>/dev/null)
pack: dist-packages/.packed
dist-packages/.packed: pkg/.built $(wildcard $(PACK_SRC)) | node
	$(ON_NODE22) scripts/pack.sh
	touch $@

# The tarballs install with npm into a scratch folder as published (package.json fields, entry points).
test-pack: pack
	$(ON_NODE22) node --test tests/pack/pack.test.mjs

## api-reports: write the API reports (report.api.md, report-<subpath>.api.md) of the four npm packages'
## entry points, from the declarations they ship (README, "Public API")
.PHONY: api-reports test-api
api-reports: bootstrap pkg
	$(ON_NODE22) node scripts/api-reports.mjs --update

# Every entry point's public API matches its checked-in report (else: which package, the diff, `make
# api-reports`); first that the check can fail. In `make test` after the plugin suites, which install the
# plugins (the check's ci:install then has nothing to install); about 45 s on 2 cores (README, "Public API").
test-api: bootstrap pkg
	$(ON_NODE22) node --test scripts/api-reports.test.mjs
	$(ON_NODE22) node scripts/api-reports.mjs

include mk/example-app.mk

## demo: examples/backstage-app (Backstage 1.55 on the packed tarballs): http://localhost:3000/create, backend :7007
demo: bootstrap app-install
	$(ON_NODE22) node scripts/e2e-demo.mjs

## demo-dev: the plugin-frontend dev-utils page (plugin development only, no backend)
demo-dev: bootstrap pkg
	cd plugin-frontend && $(ON_NODE22) npm run ci:install && $(ON_NODE22) npm run demo

## bench: size, speed and lookup figures (see README)
bench: bootstrap pkg cli
	$(ON_NODE22) node bench/wasm-bench.mjs
	$(ON_NODE22) node bench/lookup-bench.mjs

## bench-catalog: the backend plugin's catalog-at-scale figures (N = 2000 and 10000 Systems in a real catalog
## backend; about 30 minutes; BENCH_N=500 for a quick run; see plugin-backend/README.md "The catalog at scale")
.PHONY: bench-catalog
bench-catalog: pkg node
	cd plugin-backend && $(ON_NODE22) npm run ci:install
	cd plugin-backend && $(ON_NODE22) node --expose-gc --require @backstage/cli/config/nodeTransform.cjs bench/catalog-scale.ts

clean:
	rm -rf pkg target

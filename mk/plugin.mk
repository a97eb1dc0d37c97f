# Run a plugin package's install and tests (called from the root Makefile with -C <plugin>).
# NODE_DIR: the Node installation to run on (bin/node + include/node), e.g. ../.tools/node22. Its bin comes
# first in PATH, and native modules build against its headers (npm_config_nodedir), whatever the machine's
# Node and npm config say.
ifndef NODE_DIR
$(error NODE_DIR is not set: run this from the repository root (make test-frontend / make test-backend))
endif
export PATH := $(NODE_DIR)/bin:$(PATH)
export npm_config_nodedir := $(NODE_DIR)
# better-sqlite3 compiled once per machine (scripts/native-prebuilds.sh)
export npm_config_better_sqlite3_local_prebuilds := $(abspath $(CURDIR)/../.tools/prebuilds)

.PHONY: ci
ci:
	@echo "$(notdir $(CURDIR)): Node $$(node --version) ($$(command -v node)), npm_config_nodedir=$$npm_config_nodedir"
	@test "$$(command -v node)" = "$(NODE_DIR)/bin/node" || { echo "node on PATH is not $(NODE_DIR)/bin/node" >&2; exit 1; }
	npm run ci:install
	../scripts/native-prebuilds.sh node_modules
	npm run ci:test

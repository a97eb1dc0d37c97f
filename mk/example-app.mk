# examples/backstage-app: a create-app 0.9.2 app (Backstage 1.55) on the three tarballs of `make pack`.
# Included by the root Makefile (uses ON_NODE22, NODE22).
APP_DIR := examples/backstage-app
APP_YARN = $(ON_NODE22) node $(firstword $(wildcard $(CURDIR)/$(APP_DIR)/.yarn/releases/yarn-*.cjs))

.PHONY: app-install app-tsc app-build test-e2e

# scripts/pack-install-app.sh: the app on the tarballs (vendor/); registry packages exactly as locked.
app-install: pack
	$(ON_NODE22) scripts/pack-install-app.sh
	$(ON_NODE22) scripts/native-prebuilds.sh $(APP_DIR)/node_modules

app-tsc: app-install
	cd $(APP_DIR) && $(APP_YARN) tsc

# The production builds (packages/app: new frontend system, packages/app-legacy: legacy, backend bundle):
# the .wasm emitted once in each app, the config schema carried.
app-build: app-install
	rm -rf $(APP_DIR)/packages/app/dist $(APP_DIR)/packages/app-legacy/dist $(APP_DIR)/packages/backend/dist
	cd $(APP_DIR) && $(APP_YARN) build:all
	$(ON_NODE22) node --test tests/e2e/app-build.test.mjs

# The app with the real scaffolder and catalog backends, in headless Chromium and through the API; then the
# legacy app with the backend on an HTTP CMDB (fake, loopback) that goes down (scripts/e2e-legacy.mjs).
test-e2e: app-tsc app-build
	$(ON_NODE22) node --test --test-concurrency=1 tests/e2e/readme-app.test.mjs
	$(ON_NODE22) node --test --test-concurrency=1 --test-timeout=900000 scripts/e2e-app.mjs
	$(ON_NODE22) node --test --test-concurrency=1 --test-timeout=900000 scripts/e2e-legacy.mjs

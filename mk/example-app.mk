# examples/backstage-app: a create-app 0.9.2 app (Backstage 1.55) on the three tarballs of `make pack`.
# Included by the root Makefile (uses ON_NODE22, NODE22).
APP_DIR := examples/backstage-app
APP_YARN = $(ON_NODE22) node $(firstword $(wildcard $(CURDIR)/$(APP_DIR)/.yarn/releases/yarn-*.cjs))

.PHONY: app-install app-tsc test-e2e

# The app depends on the tarballs by `file:` paths inside it (vendor/, git-ignored), as an adopter would
# before the packages are published. --no-immutable: the lockfile's three local entries carry the tarballs'
# content hash, which moves whenever the packages change; every registry package stays as locked.
app-install: pack
	mkdir -p $(APP_DIR)/vendor
	rm -f $(APP_DIR)/vendor/*.tgz
	cp dist-packages/*.tgz $(APP_DIR)/vendor/
	cd $(APP_DIR) && YARN_ENABLE_GLOBAL_CACHE=1 $(APP_YARN) install --no-immutable

app-tsc: app-install
	cd $(APP_DIR) && $(APP_YARN) tsc

# The app with the real scaffolder and catalog backends, in headless Chromium and through the API.
test-e2e: app-tsc
	$(ON_NODE22) node --test --test-concurrency=1 tests/e2e/readme-app.test.mjs
	$(ON_NODE22) node --test --test-concurrency=1 --test-timeout=900000 scripts/e2e-app.mjs

# Run a plugin package's install and tests (called from the root Makefile with -C <plugin>).
.PHONY: ci
ci:
	npm run ci:install
	npm run ci:test

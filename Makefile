# The two commands of the README. Both set up what they need on a fresh machine.
.PHONY: demo test lint bench

# The story of a session with the embedded model (no key, no network): a scripted chat with tokens
# and cost per turn, reopened by a second process, forked, compacted and undone, its budget; then the
# command that opens the inspector. Saved to the default store. The first run builds the model's
# runtime (about 4 minutes); later runs reuse it.
demo:
	@scripts/bootstrap.sh
	@.venv/bin/python examples/demo.py

test:
	@scripts/bootstrap.sh --services
	@$(MAKE) --no-print-directory lint
	@scripts/test.sh

# ruff, mypy --strict, and the import layers (core < storage < tools < providers < context < faces
# < interop < cli, no cycles): the contracts are in pyproject.toml.
lint:
	@.venv/bin/ruff check src tests bench
	@.venv/bin/ruff format --check src tests bench
	@.venv/bin/mypy
	@.venv/bin/lint-imports --no-cache

bench:
	@scripts/bootstrap.sh
	@.venv/bin/pip install -q -e '.[bench]'
	@.venv/bin/python bench/compare.py

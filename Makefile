# The two commands of the README. Both set up what they need on a fresh machine.
.PHONY: demo test lint bench

# A scripted chat with the embedded model (no key, no network), saved to the default store; then the
# stored session is read back by a separate process, with its tokens and cost per turn.
demo:
	@scripts/bootstrap.sh
	@id=demo-$$(date +%Y%m%d-%H%M%S) && \
	  .venv/bin/sessionforge chat --provider local --max-tokens 48 --session $$id --script examples/demo_chat.txt && \
	  .venv/bin/sessionforge sessions show $$id && \
	  .venv/bin/sessionforge sessions stats $$id && \
	  echo "Browse every stored session: .venv/bin/sessionforge inspect"

test:
	@scripts/bootstrap.sh --services
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

# The two commands of the README. Both set up what they need on a fresh machine.
.PHONY: demo test lint bench

demo:
	@scripts/bootstrap.sh
	@.venv/bin/sessionforge demo

test:
	@scripts/bootstrap.sh --services
	@scripts/test.sh

lint:
	@.venv/bin/ruff check src tests bench
	@.venv/bin/ruff format --check src tests bench
	@.venv/bin/mypy

bench:
	@scripts/bootstrap.sh
	@.venv/bin/pip install -q -e '.[bench]'
	@.venv/bin/python bench/compare.py

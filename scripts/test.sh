#!/usr/bin/env bash
# The tests: lint, types, then pytest (SQLite always; PostgreSQL when CLAIMS_TEST_DATABASE_URL is set).
source "$(dirname "$0")/env.sh"
ruff check .
mypy
pytest "$@"

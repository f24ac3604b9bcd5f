"""The rules module: the five seed policies as dated, cited data and a pure engine.

No database, no Prefect: `evaluate(claim, history, pack)` -> `Decision`.
"""

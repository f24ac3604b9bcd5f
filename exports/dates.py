"""Dates as a Chinese notice writes them."""

from __future__ import annotations

from datetime import date


def zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def period_text(first: date | None, last: date | None, lang: str) -> str:
    if first is None and last is None:
        return "全部" if lang == "zh" else "all"
    if lang != "zh":
        return f"{first.isoformat() if first else '…'} – {last.isoformat() if last else '…'}"
    return f"{zh_date(first) if first else '开始'}至{zh_date(last) if last else '今'}"

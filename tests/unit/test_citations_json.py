"""Citations are serialised once per decision shape: the cached text is json.dumps' own."""

from __future__ import annotations

import json

from services.nightly.assess import citations_json


def test_citations_text_is_the_json_of_the_list_and_made_once_per_shape() -> None:
    shape = ("000_024512f998c4ead0.txt 二(一)5", "附件1 第17项")
    first = citations_json(shape)
    assert json.loads(first) == list(shape)
    assert first == json.dumps(list(shape), ensure_ascii=False)
    assert citations_json(list(shape)) is first
    assert citations_json(()) == "[]"
    assert citations_json(("其他",)) != first

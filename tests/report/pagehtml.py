"""A small HTML reader for the report tests (standard library only)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any


class Page(HTMLParser):
    """Collects the attributes with URLs, the elements by id and their text, and the chart specs."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []
        self.ids: list[str] = []
        self.text_of: dict[str, str] = {}
        self.charts: dict[str, dict[str, Any]] = {}
        self.body_children: list[str | None] = []
        self._open: list[tuple[str, str | None]] = []
        self._chart: str | None = None
        self._buf: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in ("src", "href", "action", "data", "poster", "srcset"):
            if a.get(name):
                self.urls.append((tag, name, str(a[name])))
        if self._open and self._open[-1][0] == "body":
            self.body_children.append(a.get("id"))
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "script" and a.get("data-chart"):
            self._chart, self._buf = str(a["data-chart"]), []
        self._open.append((tag, a.get("id")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._chart is not None:
            self.charts[self._chart] = json.loads("".join(self._buf))
            self._chart = None
        while self._open:
            t, _ = self._open.pop()
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._chart is not None:
            self._buf.append(data)
        for _, eid in self._open:
            if eid is not None:
                self.text_of[eid] = self.text_of.get(eid, "") + data

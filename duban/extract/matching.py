"""Unit names as a document writes them, matched to the unit tree.

By full name, short name and alias first (duban.ledger's tables: brackets and spaces ignored); then with the
level prefix put right (a county document's “县发改局” against “甲县发改局”, “发展改革委” against an alias);
then a fuzzy match (difflib's ratio, at least FUZZY, and clearly ahead of the next unit). A name that matches
no unit, or several equally, is kept and reported with None: a person decides, nothing is dropped.
"""

import difflib
import re

from duban.ledger.services import _name_key

FUZZY = 0.72
MARGIN = 0.08
# Generic groups (各有关部门, 各街道) are not one unit.
GENERIC = re.compile(r"^(?:各|全|有关|相关|其他|其它|所有)|(?:各|有关|相关)(?:部门|单位)$|成员单位$")
LEVEL_PREFIX = re.compile(r"^(?:省|市|州|县|区|乡|镇|自治州|自治县)")


class UnitMatcher:
    def __init__(self, units):
        self.units = list(units)
        self.exact: dict[str, set[int]] = {}
        for unit in self.units:
            for name in [unit.name, unit.short_name, *(str(a) for a in unit.aliases or [])]:
                key = _name_key(name or "")
                if key:
                    self.exact.setdefault(key, set()).add(unit.pk)
        self.grams: dict[str, set[str]] = {}
        for key in self.exact:
            for gram in _bigrams(key):
                self.grams.setdefault(gram, set()).add(key)
        self.cache: dict[str, int | None] = {}

    def match(self, name: str) -> int | None:
        if name not in self.cache:
            self.cache[name] = self._match(name)
        return self.cache[name]

    def _match(self, name: str) -> int | None:
        key = _name_key(name)
        if not key or GENERIC.search(key):
            return None
        found = self.exact.get(key)
        if found and len(found) == 1:
            return next(iter(found))
        if found:
            return None
        bare = LEVEL_PREFIX.sub("", key)
        candidates = {pk for k, pks in self.exact.items() if LEVEL_PREFIX.sub("", k) == bare for pk in pks}
        if len(candidates) == 1:
            return next(iter(candidates))
        near = {k for gram in _bigrams(key) for k in self.grams.get(gram, ())}
        scored = sorted(((difflib.SequenceMatcher(None, key, k).ratio(), k) for k in near), reverse=True)
        if not scored or scored[0][0] < FUZZY:
            return None
        best = self.exact[scored[0][1]]
        runner_up = next((s for s, k in scored[1:] if self.exact[k] != best), 0.0)
        if len(best) == 1 and scored[0][0] - runner_up >= MARGIN:
            return next(iter(best))
        return None

    def match_all(self, names: list[str]) -> list[int | None]:
        return [self.match(n) for n in names]


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}

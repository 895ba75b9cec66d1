"""The similar-clue index in the database: frequencies kept right, the same suggestions as in memory, scope,
the rebuild command from real clues and tasks, and a constant number of queries per suggestion."""

import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from duban.supervision import services as s
from duban.voice import similar as sim
from duban.voice import store
from duban.voice.index import MemoryIndex
from duban.voice.models import Clue, VoiceDoc, VoicePosting, VoiceTerm
from duban.voice.store import DbIndex, Match, index_add, index_bulk, index_remove, similar_for

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))
from voice.distractors import Writer  # noqa: E402  (bench/voice/distractors.py)

LAMP = "城关镇幸福小区3号楼门口的路灯坏了快一个月了，晚上黑漆漆的，老人孩子出门不方便，找物业也不管。"
LAMP_AGAIN = "幸福小区三号楼前面那盏路灯一直不亮，已经好几个星期了，物业说不归他们管，希望尽快修。"
LAMP_ELSEWHERE = "白沙镇阳光花园5号楼门口的路灯坏了快一个月了，晚上黑漆漆的，老人孩子出门不方便。"
OTHER = [
    "城关镇中心小学每学期收200元课后服务费，说是自愿，其实不交的孩子被点名。",
    "清水镇石板村2025年的耕地地力补贴到现在没有发，村里说上面没拨下来。",
    "鑫源食品厂每天晚上十点以后还在开机器，一直响到凌晨，整栋楼都睡不着。",
    "宏达建筑公司拖欠我们十二个工人去年下半年的工资，包工头一直不给。",
    "桃园村养猪场的粪水直接排到沟里，整个村子臭得不行。",
    "县政务服务中心办营业执照跑了四趟，每次都说差一样材料。",
]


def expected_index() -> tuple[Counter, set]:
    """The frequencies and postings the stored documents call for, computed afresh from their texts."""
    df, postings = Counter(), set()
    for doc_id, text, place in VoiceDoc.objects.values_list("id", "text", "place"):
        found, _ = sim.terms(text, place)
        df.update(int(t) for t in found)
        postings |= {(int(t), doc_id) for t in found if t >= sim._FIRST_BIGRAM}
    df[store.DOCS] = VoiceDoc.objects.count()
    return df, postings


def assert_index_consistent():
    df, postings = expected_index()
    stored = {t: n for t, n in VoiceTerm.objects.values_list("term", "df") if n}
    assert stored == dict(df)
    assert set(VoicePosting.objects.values_list("term", "doc_id")) == postings


def df_of(text: str) -> int:
    """The stored frequency of one term, given as its characters."""
    term = 0
    for ch in text:
        term = (term << 21) | ord(ch)
    row = VoiceTerm.objects.filter(term=term).first()
    return row.df if row else 0


@pytest.mark.django_db
def test_it_counts_terms_when_adding_re_adding_and_removing():
    first = index_add(kind="clue", ref_id=1, text=LAMP, place="青山县城关镇", category="housing")
    index_add(kind="clue", ref_id=2, text=LAMP_AGAIN, place="城关镇")
    assert (df_of("路灯"), df_of("幸福小"), df_of("黑漆漆"), df_of("灯")) == (2, 2, 1, 2)
    assert len(DbIndex()) == 2
    assert_index_consistent()

    # The text changes (a task retitled): the row is the same, its terms the new ones.
    again = index_add(kind="clue", ref_id=1, text=LAMP_ELSEWHERE, place="石门县白沙镇", category="housing")
    assert again.pk == first.pk and VoiceDoc.objects.count() == 2
    assert (df_of("路灯"), df_of("幸福小"), df_of("白沙镇"), df_of("黑漆漆")) == (2, 1, 1, 1)
    assert_index_consistent()
    index_add(kind="clue", ref_id=1, text=LAMP_ELSEWHERE, place="石门县白沙镇", category="housing")  # no change
    assert_index_consistent()

    assert index_remove(kind="clue", ref_id=1) and not index_remove(kind="clue", ref_id=1)
    assert len(DbIndex()) == 1 and df_of("白沙镇") == 0
    assert_index_consistent()
    index_add(kind="task", ref_id=1, text=LAMP, place="城关镇")  # a task and a clue may share an id
    assert len(DbIndex()) == 2
    assert_index_consistent()


@pytest.mark.django_db
def test_it_indexes_in_bulk_as_one_by_one():
    index_bulk([{"kind": "clue", "ref_id": i, "text": text, "place": "青山县"} for i, text in enumerate(OTHER)])
    index_add(kind="clue", ref_id=99, text=LAMP, place="城关镇")
    assert len(DbIndex()) == len(OTHER) + 1
    assert_index_consistent()
    index_bulk([], clear=True)
    assert len(DbIndex()) == 0 and not VoicePosting.objects.exists() and not VoiceTerm.objects.exists()


def pairs_sample():
    """The evaluation set's clues, and ~40 of its queries (every sixth pair, both kinds)."""
    doc = json.loads((BENCH / "voice" / "pairs.json").read_text(encoding="utf-8"))
    clues, queries = {}, []
    for p in doc["pairs"]:
        for side in "ab":
            if isinstance(p[side], dict):
                clues[p[side]["id"]] = p[side]
    for p in doc["pairs"][::6]:
        queries.append(p["b"]["id"])
    return clues, queries


@pytest.mark.django_db
def test_it_suggests_what_the_memory_index_suggests():
    clues, queries = pairs_sample()
    writer = Writer(seed=7)
    entries = []  # the same documents in the same order in both stores: ties go the same way
    for i in range(400):
        category, place, text = writer.clue()
        entries.append({"kind": "clue", "ref_id": 10_000 + i, "text": text, "place": place, "category": category})
    memory = MemoryIndex()
    for e in entries:
        memory.add(e["ref_id"], e["text"], {"place": e["place"], "category": e["category"]})
    index_bulk(entries)
    number = {}
    for n, (clue_id, clue) in enumerate(clues.items()):
        number[clue_id] = n
        memory.add(n, clue["text"], {"place": clue["place"], "category": clue["category"]})
        index_add(kind="clue", ref_id=n, text=clue["text"], place=clue["place"], category=clue["category"])
    assert len(DbIndex()) == len(memory)

    suggested = 0
    for clue_id in queries:
        clue = clues[clue_id]
        want = sim.suggest(memory, clue["text"], clue["category"], clue["place"], k=3, exclude=[number[clue_id]])
        got = similar_for(text=clue["text"], place=clue["place"], category=clue["category"], k=3,
                          exclude=[("clue", number[clue_id])])
        assert [(m.ref_id, m.score, m.why) for m in got] == [(w.doc_id, w.score, w.why) for w in want], clue_id
        suggested += bool(got)
    assert suggested >= len(queries) // 2


@pytest.mark.django_db
def test_it_suggests_only_within_the_offices_asked(cast):
    county, other = cast.county.pk, cast.other_county.pk
    for i, text in enumerate(OTHER):
        index_add(kind="clue", ref_id=i, text=text, place="青山县", office_id=county)
    index_add(kind="clue", ref_id=50, text=LAMP, place="青山县城关镇", office_id=other)
    index_add(kind="task", ref_id=51, text=LAMP_ELSEWHERE, place="石门县白沙镇", office_id=county)

    everywhere = similar_for(text=LAMP_AGAIN, place="城关镇")
    assert everywhere[0][:2] == ("clue", 50) and "幸福小区" in everywhere[0].why
    assert isinstance(everywhere[0], Match)
    in_county = similar_for(text=LAMP_AGAIN, place="城关镇", office_ids=[county, cast.township.pk])
    assert ("clue", 50) not in [m[:2] for m in in_county]
    assert similar_for(text=LAMP_AGAIN, place="城关镇", office_ids=[other])[0][:2] == ("clue", 50)
    assert similar_for(text=LAMP_AGAIN, place="城关镇", office_ids=[]) == []
    assert similar_for(text=LAMP, place="青山县城关镇", exclude=[("clue", 50)])[:1] != everywhere[:1]


@pytest.mark.django_db
def test_it_asks_the_same_few_queries_whatever_the_store_holds(django_assert_max_num_queries):
    writer = Writer(seed=3)

    def grow(n):
        index_bulk([{"kind": "clue", "ref_id": VoiceDoc.objects.count() + 1000 + i, "text": text, "place": place,
                     "category": category} for i, (category, place, text) in
                    enumerate(writer.clue() for _ in range(n))])

    index_add(kind="clue", ref_id=1, text=LAMP, place="青山县城关镇")
    counts = []
    for size in (20, 600):
        grow(size)
        with CaptureQueriesContext(connection) as ctx:
            found = similar_for(text=LAMP_AGAIN, place="城关镇", exclude=[("clue", 2)], office_ids=None)
        counts.append(len(ctx))
        assert found[0][:2] == ("clue", 1)
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(6):
        similar_for(text=LAMP_AGAIN, place="城关镇", exclude=[("clue", 2)], office_ids=[1, 2])
    # Is it there, its row, its postings, its terms' frequencies; and the savepoint of its transaction.
    with django_assert_max_num_queries(6):
        index_add(kind="clue", ref_id=3, text=LAMP_AGAIN, place="城关镇")


def test_it_rebuilds_from_clues_and_open_tasks(cast, frozen):
    c = cast
    decision = s.decision_create(actor=c.supervisor, kind="meeting", title="州政府第12次常务会议纪要",
                                 issued_on=dt.date(2026, 5, 28))
    lamps = s.task_create(actor=c.supervisor, decision=decision, title="整治城关镇幸福小区路灯不亮问题",
                          requirements="3号楼等处路灯一个月内修复，物业和社区共同负责。", category="城乡建设",
                          lead_unit_ids=[c.township.pk], cooperating_unit_ids=[c.county_drc.pk])
    lamps = s.task_assign(actor=c.supervisor, task=lamps)
    dropped = s.task_create(actor=c.supervisor, decision=decision, title="幸福小区路灯改造",
                            lead_unit_ids=[c.township.pk])
    s.task_cancel(actor=c.supervisor, task=dropped, reason="并入另一事项")
    clues = [Clue.objects.create(code=f"T{i:05d}", category="housing", description=text, office=c.prefecture,
                                 place_unit=c.township if i == 0 else None, place_text="幸福小区" if i == 0 else "",
                                 submitted_at=timezone.now())
             for i, text in enumerate([LAMP, *OTHER])]
    index_add(kind="clue", ref_id=999_999, text="一条早已不在的线索")  # the rebuild starts afresh

    call_command("voice", "index", "--batch", "3", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert VoiceDoc.objects.filter(kind="clue").count() == len(clues)
    task_doc = VoiceDoc.objects.get(kind="task")
    assert (task_doc.ref_id, task_doc.office_id, task_doc.place) == (lamps.pk, c.prefecture.pk, c.township.name)
    assert task_doc.text.startswith("整治城关镇幸福小区路灯不亮问题\n3号楼")
    clue_doc = VoiceDoc.objects.get(kind="clue", ref_id=clues[0].pk)
    assert (clue_doc.place, clue_doc.category, clue_doc.office_id) == (
        f"{c.township.name} 幸福小区", "housing", c.prefecture.pk)
    assert_index_consistent()

    found = similar_for(text=LAMP_AGAIN, place="城关镇", category="housing", k=5)
    assert {m[:2] for m in found[:2]} == {("clue", clues[0].pk), ("task", lamps.pk)}
    assert found[0].ref_id == clues[0].pk

    # The same entries as the rebuild, one by one, for the submission path.
    assert store.clue_entry(clues[0]) == {k: getattr(clue_doc, k) for k in
                                          ("kind", "ref_id", "text", "place", "category", "office_id")}
    np.testing.assert_array_equal(DbIndex().document_frequencies(np.array([0])), [len(clues) + 1])

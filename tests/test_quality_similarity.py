"""Copied reports: normalisation, shingles, signatures and band keys, the exact check, the diff spans."""

import json
import os
import subprocess
import sys
from pathlib import Path

from duban.quality import similarity as sim

ROOT = Path(__file__).resolve().parents[1]

REPORT = (
    "截至5月31日，永宁县发改局牵头负责的青山镇工业园区标准化厂房建设工作有序推进。"
    "项目已于3月12日正式开工，目前完成主体工程的65%，累计完成投资3.2亿元。"
    "土地征收工作已完成420亩，剩余86亩正在开展地上附着物清点。"
    "施工单位已进场作业人员180人、大型机械24台，实行“两班倒”施工。"
    "下一步，我局将继续加大工作力度，倒排工期、挂图作战，确保按期完成目标任务。"
)
# The same report next month with two words changed: a copy.
EDITED = REPORT.replace("有序推进", "稳步推进").replace("实行", "采取")
# The same subject and stock phrasing, other facts: not a copy.
SAME_SUBJECT = (
    "截至5月31日，清河县住建局牵头负责的城关镇保障性租赁住房项目建设工作有序推进。"
    "项目已于4月2日正式开工，目前完成主体工程的30%，累计完成投资1.1亿元。"
    "针对连续降雨影响施工进度的问题，县政府召开专题会议2次，协调解决具体问题5个。"
    "下一步，我局将继续加大工作力度，强化调度、压实责任，确保按期完成目标任务。"
)


def test_it_ignores_spacing_punctuation_and_width():
    reflowed = REPORT.replace("，", ", ").replace("。", "；\n").replace("3.2", "３．２").replace("“", '"')
    assert sim.normalise(reflowed) == sim.normalise(REPORT)
    assert sim.jaccard(reflowed, REPORT) == 1.0
    assert sim.normalise("县发改局，已完成 投资３.２亿元（ＡＢＣ）。\n") == "县发改局已完成投资32亿元abc"


def test_it_makes_character_shingles_and_keeps_short_texts():
    assert sim.shingles("甲乙丙丁") == {"甲乙丙", "乙丙丁"}
    assert sim.shingles("甲乙丙丁", k=2) == {"甲乙", "乙丙", "丙丁"}
    assert sim.shingles("同意。") == {"同意"}  # shorter than k: one shingle
    assert sim.shingles(" 。，") == set()


def test_jaccard_is_exact_on_small_examples():
    assert sim.jaccard("甲乙丙丁", "甲乙丙戊") == 1 / 3  # {甲乙丙, 乙丙丁} vs {甲乙丙, 乙丙戊}
    assert sim.jaccard("甲乙丙丁戊", "甲乙丙丁") == 2 / 3
    assert sim.jaccard("甲乙丙丁", "丁丙乙甲") == 0.0
    assert sim.jaccard("同意", "同意。") == 1.0
    assert sim.jaccard("同意", "不同意") == 0.0
    assert sim.jaccard("", "。") == 0.0  # no content is no evidence of copying


def _fingerprint(text):
    sig = sim.signature(text)
    return {"values": [int(v) for v in sig.hashvalues], "keys": sim.band_keys(sig)}


def test_it_gives_the_same_signature_and_keys_in_another_process():
    code = (
        "import json, sys\n"
        "from duban.quality import similarity as sim\n"
        "sig = sim.signature(sys.argv[1])\n"
        "print(json.dumps({'values': [int(v) for v in sig.hashvalues], 'keys': sim.band_keys(sig)}))\n"
    )
    here = _fingerprint(REPORT)
    for hashseed in ("0", "4242"):  # the key must not depend on Python's salted hash()
        env = dict(os.environ, PYTHONHASHSEED=hashseed)
        out = subprocess.run([sys.executable, "-c", code, REPORT], cwd=ROOT, env=env, capture_output=True,
                             text=True, check=True, timeout=120)
        assert json.loads(out.stdout) == here


def test_band_keys_are_bigints_that_carry_their_band():
    keys = sim.keys_of(REPORT)
    assert len(keys) == sim.BANDS == len(set(keys))
    assert all(isinstance(k, int) and 0 <= k < 2**63 for k in keys)
    assert [k >> (63 - 6) for k in keys] == list(range(sim.BANDS))
    assert sim.keys_of(REPORT) == keys
    assert set(sim.keys_of(SAME_SUBJECT)).isdisjoint(keys)
    assert sim.keys_of("。，、 ") == []  # nothing to compare: no keys
    assert len(sim.signature(REPORT).hashvalues) == sim.NUM_PERM >= sim.BANDS * sim.ROWS


def test_it_finds_an_edited_copy_and_not_a_report_on_the_same_subject():
    stored = {1: REPORT, 2: SAME_SUBJECT}
    table: dict[int, set[int]] = {}  # the band table: key -> report ids
    for report_id, text in stored.items():
        for key in sim.keys_of(text):
            table.setdefault(key, set()).add(report_id)

    candidates = {i for key in sim.keys_of(EDITED) for i in table.get(key, ())}
    assert 1 in candidates
    found = sim.near_duplicates(EDITED, [(i, stored[i]) for i in candidates])
    assert [i for i, _ in found] == [1]
    assert found[0][1] == sim.jaccard(EDITED, REPORT) >= sim.DEFAULT_THRESHOLD
    # The exact check turns the same-subject report down even when it is offered as a candidate.
    assert sim.jaccard(SAME_SUBJECT, REPORT) < 0.5
    assert sim.near_duplicates(SAME_SUBJECT, stored.items()) == [(2, 1.0)]


def test_near_duplicates_are_sorted_best_first_and_held_to_the_threshold():
    once = EDITED
    twice = EDITED.replace("继续", "进一步").replace("正式", "")
    found = sim.near_duplicates(REPORT, [("a", twice), ("b", once), ("c", SAME_SUBJECT)])
    assert [i for i, _ in found] == ["b", "a"]
    assert found[0][1] > found[1][1] >= 0.8
    assert sim.near_duplicates(REPORT, [("a", twice)], threshold=0.99) == []


def test_differing_spans_mark_exactly_the_changed_words():
    old = "截至5月底，县发改局已完成投资3.2亿元，开工项目12个。"
    new = "截至6月底，县住建局已完成投资4.5亿元，开工项目12个。"
    in_old, in_new = sim.differing_spans_both(old, new)
    assert [new[a:b] for a, b in in_new] == ["6", "住建", "4.5"]
    assert [old[a:b] for a, b in in_old] == ["5", "发改", "3.2"]
    assert sim.differing_spans(old, new) == in_new

    inserted = "截至5月底，县发改局已进一步完成投资3.2亿元，开工项目12个。"
    at = inserted.index("进一步")
    assert sim.differing_spans_both(old, inserted) == ([], [(at, at + 3)])
    shortened = "截至5月底，县发改局已完成投资3.2亿元。"
    in_old, in_new = sim.differing_spans_both(old, shortened)
    assert [old[a:b] for a, b in in_old] == ["，开工项目12个"] and in_new == []
    assert sim.differing_spans_both(old, old) == ([], [])

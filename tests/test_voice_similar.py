"""Similar clues: normalisation, terms, the in-memory index, suggestions and their reasons, determinism."""

import numpy as np

from duban.voice import similar as sim
from duban.voice.index import MemoryIndex

# An earlier clue, the same incident told by another citizen, and two different incidents nearby.
EARLIER = ("城关镇幸福小区3号楼门口的路灯坏了快一个月了，晚上黑漆漆的，老人孩子出门不方便，找物业也不管。", "青山县城关镇")
REPEATED = ("幸福小区三号楼前面那盏路灯一直不亮，已经好几个星期了，物业说不归他们管，希望尽快修。", "城关镇")
SAME_TOWN = ("城关镇建设路菜市场门口的井盖丢了好几天，就用几块砖头围着，晚上看不见容易掉进去。", "青山县城关镇")
OTHER_TOWN = ("白沙镇阳光花园5号楼门口的路灯坏了快一个月了，晚上黑漆漆的，老人孩子出门不方便。", "石门县白沙镇")

FILLER = [
    ("城关镇中心小学每学期收200元课后服务费，说是自愿，其实不交的孩子被点名。", "青山县城关镇", "违规收费"),
    ("清水镇石板村2025年的耕地地力补贴到现在没有发，村里说上面没拨下来。", "青山县清水镇", "惠民补贴未发放"),
    ("鑫源食品厂每天晚上十点以后还在开机器，一直响到凌晨，整栋楼都睡不着。", "青山县城关镇", "噪音扰民"),
    ("宏达建筑公司拖欠我们十二个工人去年下半年的工资，包工头一直不给。", "青山县", "拖欠工资"),
    ("桃园村养猪场的粪水直接排到沟里，整个村子臭得不行。", "云岭县柳河镇", "环境污染"),
    ("县政务服务中心办营业执照跑了四趟，每次都说差一样材料。", "青山县", "办事难"),
    ("柳河镇老年人免费坐公交的政策没执行，司机照样收钱。", "云岭县柳河镇", "政策不落实"),
    ("梅溪镇龙井村三组的机耕道被泥石堵了，一个多月没人清。", "松林县梅溪镇", "道路损坏"),
]


def store(*clues):
    index = MemoryIndex()
    for i, (text, place, category) in enumerate(FILLER):
        index.add(f"f{i}", text, {"place": place, "category": category})
    for doc_id, (text, place) in clues:
        index.add(doc_id, text, {"place": place, "category": "道路损坏"})
    return index


def test_it_normalises_width_punctuation_numerals_and_words():
    assert sim.normalise("城关镇，幸福小区 ３号楼！") == "城关镇幸福小区3栋"
    assert sim.normalise("三号楼") == sim.normalise("3号楼") == sim.normalise("3栋") == "3栋"
    assert sim.normalise("补了两千块") == "补了2000元"
    assert sim.normalise("一千五百元") == "1500元"
    assert sim.normalise("一人五百八，") == "1人580"
    assert sim.normalise("十二组") == "12组"
    assert sim.normalise("6千块") == "6000元"
    assert sim.normalise("24年底") == "2024年底"
    # numerals that are words stay words
    assert sim.normalise("一直没发，三合村") == "一直没发三合村"
    assert sim.normalise("拖欠工钱，反应多次") == "拖欠工资反映多次"
    assert sim.normalise("浪费，村集体", breaks=True) == "浪费|村集体"


def test_it_makes_characters_bigrams_and_trigrams_that_read_back():
    terms, counts = sim.terms("幸福小区")
    assert sorted(sim.term_text(int(t)) for t in terms) == sorted(
        ["幸", "福", "小", "区", "幸福", "福小", "小区", "幸福小", "福小区"])
    assert counts.sum() == 9
    with_place, _ = sim.terms("路灯坏了", place="城关镇")
    assert {"城关镇", "路灯坏"} <= {sim.term_text(int(t)) for t in with_place}
    assert len(sim.terms("，。")[0]) == 0


def test_it_reads_counties_towns_villages_and_estates():
    counties, towns = sim.regions(sim.normalise("青山县清水镇石板村三组", breaks=True))
    assert counties == {"青山县"} and towns == {"清水镇"}
    assert sim.regions(sim.normalise("在城乡公交上，花溪市场旁，我去县城", breaks=True)) == (frozenset(), frozenset())
    assert sim.localities(sim.normalise("石板村3组和幸福小区，隔壁村都发了", breaks=True)) == {"石板村", "幸福小区"}


def test_it_finds_the_rephrased_duplicate_first_and_says_where():
    index = store(("earlier", EARLIER), ("same-town", SAME_TOWN), ("other-town", OTHER_TOWN))
    found = sim.suggest(index, REPEATED[0], category="道路损坏", place=REPEATED[1])
    assert found, "the rephrased duplicate is suggested"
    doc_id, score, why = found[0]
    assert doc_id == "earlier"
    assert score >= sim.DEFAULT_THRESHOLD
    assert "地点相同" in why and "幸福小区3栋" in why
    assert "类别相同" in why and "内容相近" in why


def test_it_does_not_suggest_a_different_incident_in_the_same_town():
    index = store(("same-town", SAME_TOWN), ("other-town", OTHER_TOWN))
    found = sim.suggest(index, REPEATED[0], category="道路损坏", place=REPEATED[1])
    assert "same-town" not in [s.doc_id for s in found]
    # the look-alike in another town is marked down below the threshold too, though its words are close
    assert "other-town" not in [s.doc_id for s in found]
    everything = sim.suggest(index, REPEATED[0], category="道路损坏", place=REPEATED[1], threshold=-1.0, k=10)
    scores = {s.doc_id: s.score for s in everything}
    assert scores["same-town"] < sim.DEFAULT_THRESHOLD
    assert scores["other-town"] < sim.DEFAULT_THRESHOLD


def test_it_suggests_nothing_for_an_unrelated_clue_or_an_empty_store():
    index = store(("earlier", EARLIER))
    assert sim.suggest(index, "金沙县银山镇殡仪服务站拉一趟遗体要两千，骨灰盒也必须在那买", place="金沙县") == []
    assert sim.suggest(MemoryIndex(), REPEATED[0]) == []
    assert sim.suggest(index, "。。。") == []


def test_it_leaves_out_excluded_ids_and_refuses_an_id_twice():
    index = store(("earlier", EARLIER), ("again", REPEATED))
    found = sim.suggest(index, REPEATED[0], place=REPEATED[1], exclude=["again"])
    assert [s.doc_id for s in found][:1] == ["earlier"]
    try:
        index.add("earlier", "另一条", {})
    except ValueError:
        pass
    else:
        raise AssertionError("the same id was indexed twice")


def test_the_index_finds_the_same_as_a_scan_of_every_clue():
    index = store(("earlier", EARLIER), ("same-town", SAME_TOWN), ("other-town", OTHER_TOWN))
    ids = index.all_ids()
    by_index = sim.suggest(index, REPEATED[0], "道路损坏", REPEATED[1], threshold=-1.0)
    by_scan = sim.brute_force(index, REPEATED[0], "道路损坏", REPEATED[1], threshold=-1.0, ids=ids)
    assert by_index == by_scan


def test_document_frequencies_count_pending_and_sealed_segments(monkeypatch):
    monkeypatch.setattr(MemoryIndex, "SEGMENT", 3)
    index = MemoryIndex()
    for i in range(8):  # segments of 3 and 3 merged, then 2 pending
        index.add(i, f"幸福小区{i}号", {})
    terms = np.array(sorted({int(t) for t in sim.terms("幸福小区")[0]}), dtype=np.int64)
    assert index.document_frequencies(terms).tolist() == [8] * len(terms)
    assert len(index._segments) <= 2
    found = index.candidates(terms[-1:], np.ones(1), limit=5)
    assert found == [0, 1, 2, 3, 4]  # ties: the earlier clue first


def test_it_is_deterministic():
    def run():
        index = store(("earlier", EARLIER), ("same-town", SAME_TOWN), ("other-town", OTHER_TOWN))
        return sim.suggest(index, REPEATED[0], "道路损坏", REPEATED[1], threshold=-1.0, k=10)

    first = run()
    assert first == run()
    assert [int(t) for t in sim.terms(EARLIER[0])[0][:5]] == [int(t) for t in sim.terms(EARLIER[0])[0][:5]]
    # a term is its characters: the same value on every machine, no salted hash
    assert int(sim.terms("幸福")[0][-1]) == (ord("幸") << 21) | ord("福")

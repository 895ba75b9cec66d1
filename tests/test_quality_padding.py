"""Padding and missing facts in progress reports: the facts a report gives and those it only seems to give,
where the stock phrases are, the thresholds at their borders, the reasons a reviewer reads, and the
missing-values advice for a task with quantitative targets. Pure functions: no database."""

import json
from pathlib import Path

import pytest

from duban.quality.padding import (
    DEFAULT_STOCK_PHRASES,
    FEW_FACTS_PER_100,
    LONG_CHARS,
    SHORT_CHARS,
    STOCK_SHARE_PADDED,
    assess,
    content_chars,
    facts,
    stock_spans,
)

REPORTS = Path(__file__).resolve().parent.parent / "bench" / "quality" / "padding" / "reports.json"
FILLER = "甲乙丙丁戊己庚辛壬癸"  # characters that are neither a fact nor a stock phrase


def filler(n: int) -> str:
    return (FILLER * (n // len(FILLER) + 1))[:n]


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in facts(text)]


# --- facts, each kind -------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("排查隐患156处，整改率90.4%。", [("count", "156处"), ("number", "90.4%")]),
    # an area done is a measure, not a count of things
    ("完成土地平整3.2万亩，较4月提高4.1个百分点。", [("number", "3.2万亩"), ("date", "4月"), ("number", "4.1个百分点")]),
    ("参保率达到百分之九十五。", [("number", "百分之九十五")]),
    ("全县有1200余人参加。", [("number", "1200余人")]),
])
def test_it_finds_numbers_with_units_and_percentages(text, expected):
    assert kinds(text) == expected


@pytest.mark.parametrize("text, amount", [
    ("协议投资额52.3亿元", "52.3亿元"), ("追回资金46.8万元", "46.8万元"), ("每户补助3000元", "3000元"),
    ("拨付五十万元", "五十万元"), ("到位资金5万余元", "5万余元"),
])
def test_it_finds_amounts_of_money(text, amount):
    assert ("amount", amount) in kinds(text)


@pytest.mark.parametrize("text, date", [
    ("2026年5月底前完成", "2026年5月底"), ("5月20日召开", "5月20日"), ("计划6月上旬完成", "6月上旬"),
    ("1—5月新增就业2860人", "1—5月"), ("5月6日至17日开展检查", "5月6日至17日"), ("本月下旬开工", "本月下旬"),
    ("五月中旬以来持续干旱", "五月中旬"), ("一季度完成", "一季度"), ("2024—2025年发放的补贴", "2024—2025年"),
])
def test_it_finds_dates(text, date):
    assert ("date", date) in kinds(text)


@pytest.mark.parametrize("text, place", [
    ("青山县已完成修编", "青山县"), ("涉及白沙镇龙潭村3户", "白沙镇龙潭村"), ("到柳河镇督导", "柳河镇"),
    ("投诉反映的天桥路12号", "天桥路"), ("和平小区召开协商会", "和平小区"), ("青龙水库已完成防渗墙", "青龙水库"),
    ("拨付柳河镇灾后重建资金", "柳河镇"), ("东门社区托育中心开园", "东门社区"),
])
def test_it_finds_places_with_a_proper_name(text, place):
    assert ("place", place) in kinds(text)


def test_it_finds_named_projects_and_issued_documents():
    found = kinds("城北污水处理厂扩建工程5月28日封顶；修订《农机购置补贴资金管理办法》，5月8日印发。")
    assert ("project", "城北污水处理厂扩建工程") in found
    assert ("title", "《农机购置补贴资金管理办法》") in found
    assert ("project", "G352线白水至河口段改扩建工程") in kinds("G352线白水至河口段改扩建工程全长38.6公里")


def test_it_finds_people_named_with_their_position():
    found = kinds("5月20日，县长李建华带队到柳河镇督导；刘某某征地补偿案已签订协议。")
    assert ("person", "县长李建华") in found
    assert ("person", "刘某某") in found


def test_it_finds_counts_of_things_done_in_figures_and_in_words():
    found = kinds("已整改23个，召开两次听证，更换破损井盖两处。")
    assert found == [("count", "23个"), ("count", "两次"), ("count", "两处")]


def test_it_tells_traces_of_work_from_facts():
    found = kinds("召开专题推进会5次，印发通知3份，发放宣传资料2000余份，悬挂横幅30条，排查隐患156处。")
    assert [k for k, _ in found] == ["trace", "trace", "trace", "trace", "count"]
    assert [f.text for f in assess("召开专题推进会5次，排查隐患156处。").concrete] == ["156处"]
    # a finding about papers is not a trace, nor are public warnings
    assert ("trace", "12份") not in kinds("抽查档案200份，发现资料不全12份。")
    assert [k for k, _ in kinds("发布预警信息11期。")] == ["number"]


# --- what must not be a fact ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "一是加强组织领导；二是加大宣传力度；三是强化督查考核。",
    "第一时间召开会议，排名第3。",
    "科学编制“十四五”规划，全面贯彻党的二十大精神。",
    "坚决做到“两个维护”，增强“四个意识”，落实两个维护，建立问题、任务、责任“三张清单”。",
    "加快推进5G网络建设，畅通12345热线。",
    "全县上下、各乡镇、城乡社区、农村、行政村、老旧小区，进一步理清工作思路。",
    "重点项目和民生工程加快推进，坚持把招商引资作为“一号工程”。",
    "认真落实《保障农民工工资支付条例》。",
    "今年以来、近期、上半年、下一步，县长高度重视。",
    "压实政府、部门、学校、家庭四方责任，扎实推进产业、人才、文化、生态、组织“五个振兴”。",
])
def test_it_finds_no_fact_in_slogans_numbering_and_generic_words(text):
    assert facts(text) == []


def test_first_quarter_is_a_date_though_first_alone_is_not():
    assert kinds("第一季度完成投资") == [("date", "第一季度")]
    assert kinds("第一时间") == []


def test_facts_do_not_overlap_and_index_the_text():
    text = "5月18日，白水县24小时降雨127毫米，转移群众412户1135人，县交通局5月25日抢通。"
    found = facts(text)
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))
    assert all(text[f.start:f.end] == f.text for f in found)


# --- stock phrases ----------------------------------------------------------------------------------------

def test_stock_spans_take_the_longest_phrase_first_and_never_overlap():
    phrases = ("进一步加强", "加强组织领导", "责任感紧迫感", "切实增强责任感紧迫感")
    spans = stock_spans("进一步加强组织领导，切实增强责任感紧迫感。", phrases)
    assert [s.phrase for s in spans] == ["加强组织领导", "切实增强责任感紧迫感"]
    text = "我局高度重视，迅速行动、精心组织、周密部署，扎实推进，取得了阶段性成效。下一步，再接再厉。"
    spans = stock_spans(text)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    assert all(text[s.start:s.end] == s.phrase for s in spans)


def test_stock_spans_read_through_line_breaks_and_index_the_original_text():
    text = "我局高度\n重视，下 一步"
    spans = stock_spans(text, ("高度重视", "下一步"))
    assert [(text[s.start:s.end], s.phrase) for s in spans] == [("高度\n重视", "高度重视"), ("下 一步", "下一步")]


def test_the_offices_own_list_replaces_the_default():
    text = "我局高度重视，狠抓落实，确保安全度汛。"
    assert [s.phrase for s in stock_spans(text)] == ["高度重视", "狠抓落实"]
    assert [s.phrase for s in stock_spans(text, ("确保安全度汛",))] == ["确保安全度汛"]
    assert assess(text, phrases=("确保安全度汛",)).stock_share == pytest.approx(6 / content_chars(text))
    assert assess(text, phrases=()).stock_share == 0
    assert "确保安全度汛" not in DEFAULT_STOCK_PHRASES


def test_the_default_list_is_a_workable_size_without_repeats():
    assert 80 <= len(DEFAULT_STOCK_PHRASES) <= 160
    assert len(set(DEFAULT_STOCK_PHRASES)) == len(DEFAULT_STOCK_PHRASES)


# --- the thresholds at their borders ---------------------------------------------------------------------

def test_fact_density_border():
    one, two = "5月20日", "6月10日"  # five counted characters each
    at_border = filler(90) + "。" + one + "。" + two + "。"
    below = filler(95) + "。" + one + "。"
    assert assess(at_border).chars == assess(below).chars == 100
    assert assess(at_border).fact_density == FEW_FACTS_PER_100 and assess(at_border).flags == []
    assert assess(below).codes == ["few_facts"]


def test_short_report_border():
    just_short, just_long = "高度重视，" * 7 + "高", "高度重视，" * 7 + "高度"  # stock phrases, no fact
    assert content_chars(just_short) == SHORT_CHARS - 1 and content_chars(just_long) == SHORT_CHARS
    assert assess(just_short).flags == []
    assert assess(just_long).codes == ["padded"]
    assert assess("已完成。").flags == [] and assess("高度重视，已整改。").flags == []


def test_long_report_border_for_few_facts_without_stock_phrases():
    assert assess(filler(LONG_CHARS - 1)).flags == []
    assert assess(filler(LONG_CHARS)).codes == ["few_facts"]


def test_stock_share_border_picks_the_reason():
    at = "高度重视。" * 5 + filler(80)  # 20 of 100 characters
    below = "高度重视。" * 4 + "下一步。" + filler(81)  # 19 of 100
    assert assess(at).stock_share == STOCK_SHARE_PADDED and assess(at).codes == ["padded"]
    assert assess(below).stock_share == pytest.approx(0.19) and assess(below).codes == ["few_facts"]


def test_a_concrete_report_with_some_stock_phrases_is_not_flagged():
    text = ("我局高度重视燃气安全整治工作，成立了由局长任组长的工作专班。截至5月底，全县已完成瓶装液化气用户安检"
            "1.2万户，更换不合格减压阀3600个；关停无证经营气站2家（城关镇、河口镇各1家）；对检查发现的86处隐患"
            "已整改79处。下一步，我们将继续压实责任，确保6月底前全部整改到位。")
    result = assess(text)
    assert result.flags == [] and result.stock_share > 0.1 and result.fact_density > 5


# --- reasons in Chinese ----------------------------------------------------------------------------------

def test_reasons_say_why_in_chinese():
    padded = assess("我局高度重视，迅速行动，认真研究，周密部署，扎实推进，目前各项工作进展顺利，取得了阶段性成效。")
    assert padded.flags[0].code == "padded"
    assert padded.flags[0].reason == "套话占全文的70%，没有具体事实（数字、时间、地点、项目等）。"
    one_fact = assess("我县高度重视高标准农田建设，纳入重要议事日程，召开专题会议3次，多措并举，全力以赴推进，"
                      "确保5月底前完成年度建设任务，取得明显成效，为保障粮食安全作出新的更大贡献。")
    assert one_fact.codes == ["padded"]
    assert "只有1处具体事实" in one_fact.flags[0].reason
    assert "另有1处会议、发文、宣传的次数，是工作痕迹，不是成效" in one_fact.flags[0].reason
    few = assess(filler(120))
    assert few.padded and padded.padded and not assess("已完成。").padded
    assert few.flags[0].reason == "全文120字，没有具体事实（数字、时间、地点、项目等），看不出做了什么、做到什么程度。"


# --- missing values --------------------------------------------------------------------------------------

def test_missing_values_when_the_task_has_targets_and_the_report_none():
    text = "今年列入改造计划的老旧小区已开工15个，其余正在推进。"
    assert assess(text, expects_values=True, values_given=False).flags[0] == (
        "missing_values", "该事项设有量化指标，本次反馈未报送指标值；正文提到1处数字，可请报送单位核对后填入指标值。")
    assert assess("正在推进。", expects_values=True).flags == [
        ("missing_values", "该事项设有量化指标，本次反馈未报送指标值。")]
    assert assess(text, expects_values=True, values_given=True).flags == []
    assert assess(text, expects_values=False, values_given=False).flags == []


def test_values_not_known_are_judged_from_the_text_and_traces_are_not_values():
    assert assess("累计完成投资13.2亿元。", expects_values=True, values_given=None).flags == []
    traces_only = "召开专题会议5次，印发通知3份。"
    assert assess(traces_only, expects_values=True, values_given=None).codes == ["missing_values"]


def test_missing_values_comes_with_padding_advice_when_both_hold():
    text = ("招商引资工作方面，我县坚持把招商引资作为“一号工程”，主要领导亲自抓、分管领导具体抓，形成了全员招商的"
            "浓厚氛围，成功引进了一批好项目、大项目，招商引资工作取得了显著成效，为县域经济高质量发展注入了强劲动力。")
    assert assess(text, expects_values=True, values_given=None).codes == ["missing_values", "padded"]


# --- the hand-written set --------------------------------------------------------------------------------

def test_the_hand_written_set_is_labelled_and_the_advice_holds_on_it():
    reports = json.loads(REPORTS.read_text(encoding="utf-8"))
    assert len(reports) >= 120 and len({r["id"] for r in reports}) == len(reports)
    padded = [r for r in reports if r["padded"]]
    assert 0.4 <= len(padded) / len(reports) <= 0.6
    tp = fp = fn = 0
    for r in reports:
        said = assess(r["text"]).padded
        tp, fp, fn = tp + (said and r["padded"]), fp + (said and not r["padded"]), fn + (not said and r["padded"])
    assert tp / (tp + fp) >= 0.9 and tp / (tp + fn) >= 0.9

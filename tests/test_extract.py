"""智能分解: a 示范州 document read into proposed tasks — where each item begins and ends and the headings it
sits under, who leads and who cooperates, when it is due on the working-day calendar — from .docx, text PDF
and plain text, matched to the unit tree, and printed by `duban extract --json`."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from docx import Document
from PIL import Image, ImageDraw

from duban.bulletins.pdf import docx_to_pdf, pdf_available
from duban.extract.deadlines import read_deadline
from duban.extract.matching import UnitMatcher
from duban.extract.proposal import propose
from duban.extract.reading import DocumentUnreadable, read_document, read_text
from duban.extract.responsibility import responsibility_of
from duban.extract.structure import items_of
from duban.org.models import Unit
from duban.workdays.calendar import WorkCalendar
from duban.workdays.store import get_calendar, package_rows

D = dt.date
ISSUED = D(2026, 3, 1)  # the documents below are dated 1 March 2026 unless a test says otherwise
JSON_KEYS = {"section", "text", "lead_units", "other_units", "matched_units", "deadline_text", "deadline",
             "cadence", "span"}


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    """The real working-day calendar (holidays and 调休 Saturdays), without a database."""
    rows, years = package_rows()
    return WorkCalendar(days={d: w for d, w, _ in rows}, covered_years=frozenset(years),
                        names={d: n for d, _, n in rows})


def proposals(source, calendar, reference=ISSUED, matcher=None):
    found = propose(source, calendar=calendar, reference=reference, matcher=matcher)
    for p in found:
        assert source.text[p.span[0]:p.span[1]] == p.text  # every proposal points at its own words
    return found


def by_start(found, start: str):
    hits = [p for p in found if p.text.startswith(start)]
    assert len(hits) == 1, [p.text[:30] for p in found]
    return hits[0]


def docx_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ---- structure: numbering and section paths ----------------------------------------------------------

WORK_POINTS = """示范州人民政府办公室关于印发2026年优化营商环境重点任务分工的通知
各县（市）人民政府，州直各部门：
现将《2026年优化营商环境重点任务分工》印发给你们，请认真抓好落实。
一、提升政务服务效能
（一）深化“一网通办”改革
1.推进政务服务标准化
（1）编制政务服务事项目录，2026年6月底前完成。（州政务服务局牵头，州司法局配合）
（2）推行告知承诺制，年底前覆盖50个事项。（州政务服务局负责）
（3）规范涉企检查
①制定年度检查计划，3月底前公布。（州司法局负责）
②建立涉企检查“白名单”制度。（州市场监管局负责）
2.开展政务服务“好差评”，每月5日前报送上月评价结果。（州政务服务局负责）
（二）优化审批流程。压缩工程建设项目审批时间，第三季度完成。（州住建局牵头，州自然资源局配合）
二、加强要素保障
（一）保障用地需求。做好重点项目用地预审和报批工作，年内持续推进。（州自然资源局牵头，州发改委配合）
（二）强化调度服务。建立重点项目“红黄绿”调度机制，长期坚持。（州发改委负责）
"""


def test_it_gives_every_item_the_path_of_numbered_headings_above_it(calendar):
    found = proposals(read_text(WORK_POINTS), calendar)

    assert [p.text[:5] for p in found] == ["（1）编制", "（2）推行", "①制定年度", "②建立涉企", "2.开展政",
                                           "（二）优化", "（一）保障", "（二）强化"]
    assert by_start(found, "（1）编制").section == ["一、提升政务服务效能", "（一）深化“一网通办”改革",
                                                   "1.推进政务服务标准化"]
    assert by_start(found, "①制定").section == ["一、提升政务服务效能", "（一）深化“一网通办”改革",
                                               "1.推进政务服务标准化", "（3）规范涉企检查"]
    # A sibling of a heading's kind closes it: 2. sits under （一） again, not under 1. or （3）.
    assert by_start(found, "2.开展").section == ["一、提升政务服务效能", "（一）深化“一网通办”改革"]
    assert by_start(found, "（二）优化").section == ["一、提升政务服务效能"]
    assert by_start(found, "（一）保障").section == ["二、加强要素保障"]


def test_it_tells_a_heading_from_a_leaf(calendar):
    found = proposals(read_text(WORK_POINTS), calendar)
    texts = [p.text for p in found]

    # Headings (numbered paragraphs with numbered paragraphs below them) are section context, not tasks.
    assert not any(t.startswith(("一、", "（一）深化", "1.推进", "（3）规范")) for t in texts)
    # A leaf of a heading's kind is a task with its whole paragraph: its title, its work, its bracket.
    leaf = by_start(found, "（二）优化审批流程")
    assert leaf.text == "（二）优化审批流程。压缩工程建设项目审批时间，第三季度完成。（州住建局牵头，州自然资源局配合）"
    # The opening lines of the notice assign no numbered work.
    assert not any("请认真抓好落实" in t for t in texts)


def test_it_reads_chapters_and_articles_leaving_purpose_definition_and_penalty_articles_out(calendar):
    source = read_text("""示范州生活垃圾分类管理办法
第一章　总　则
第一条　为了加强生活垃圾分类管理，改善人居环境，根据有关法律法规，结合本州实际，制定本办法。
第二条　本办法所称生活垃圾，是指在日常生活中或者为日常生活提供服务的活动中产生的固体废物。
第三条　州住房和城乡建设主管部门负责全州生活垃圾分类工作的组织协调和监督管理。
第二章　分类投放
第四条　管理责任人应当履行下列职责：
（一）建立生活垃圾分类日常管理制度；
（二）设置生活垃圾分类收集容器；
（三）指导、监督单位和个人分类投放。
第五条　州、县（市）人民政府应当将生活垃圾分类经费纳入本级财政预算，每年3月底前公布上年度分类成效。
第六条　违反本办法第四条规定的，由城市管理综合执法部门责令限期改正；逾期不改正的，处一千元以上一万元以下罚款。
第七条　本办法自2026年5月1日起施行。
""")
    found = proposals(source, calendar)

    assert [p.text[:4] for p in found] == ["第三条 ", "第四条 ", "第五条 "]
    assert found[0].section == ["第一章 总 则"]
    assert found[0].lead_units == ["州住房和城乡建设主管部门"]
    # An article's list of duties is the article's, across its paragraphs.
    assert found[1].section == ["第二章 分类投放"]
    assert found[1].text.endswith("（三）指导、监督单位和个人分类投放。")
    assert found[1].text.count("\n") == 3
    assert found[1].lead_units == ["管理责任人"]
    assert found[2].lead_units == ["州、县（市）人民政府"]


def test_it_splits_yishi_points_that_each_name_their_unit_and_keeps_them_under_the_paragraph_title(calendar):
    source = read_text("""一、强化安全生产
（一）抓好汛期防范。一是州水利局要加强水库巡查，5月底前完成隐患排查；二是州应急管理局要组织防汛演练，6月底前完成；三是州气象局要及时发布预警信息。
（二）抓好森林防火。一是落实网格化巡护，二是开展火源管控，三是加强队伍建设。（州林草局牵头，各县（市）人民政府负责）
""")
    found = proposals(source, calendar)

    assert [p.text for p in found[:3]] == ["一是州水利局要加强水库巡查，5月底前完成隐患排查；",
                                           "二是州应急管理局要组织防汛演练，6月底前完成；",
                                           "三是州气象局要及时发布预警信息。"]
    assert [p.lead_units for p in found[:3]] == [["州水利局"], ["州应急管理局"], ["州气象局"]]
    assert [p.deadline for p in found[:3]] == [D(2026, 5, 29), D(2026, 6, 30), None]  # 31 May is a Sunday
    assert all(p.section == ["一、强化安全生产", "（一）抓好汛期防范。"] for p in found[:3])
    # Points that share the paragraph's one bracket are one task.
    shared = found[3]
    assert shared.text.startswith("（二）抓好森林防火。一是落实网格化巡护") and shared.text.endswith("负责）")
    assert shared.lead_units == ["州林草局"] and shared.other_units == ["各县（市）人民政府"]
    assert len(found) == 4


def test_it_splits_yishi_paragraphs_that_name_their_units_and_keeps_them_whole_when_a_label_follows(calendar):
    source = read_text("""二、重点任务
（一）打造诚信环境。
一是建立政务诚信承诺制度；
二是开展政府失信专项治理。
责任单位：州发改委、州市场监管局
（二）强化项目调度。
一是州发改委要建立重大项目台账，每月5日前报送进展；
二是州财政局要保障项目前期经费，年底前拨付到位。
""")
    found = proposals(source, calendar)

    whole = found[0]
    assert whole.text.startswith("（一）打造诚信环境。\n一是") and whole.text.endswith("州市场监管局")
    assert whole.lead_units == ["州发改委", "州市场监管局"]
    assert whole.section == ["二、重点任务"]
    assert [p.text[:7] for p in found[1:]] == ["一是州发改委要", "二是州财政局要"]
    assert all(p.section == ["二、重点任务", "（二）强化项目调度。"] for p in found[1:])
    assert found[1].cadence == "monthly" and found[1].report_day == 5
    assert found[2].deadline == D(2026, 12, 31)


def test_it_keeps_a_numbered_item_ending_in_a_colon_whole_with_its_list_and_label_lines(calendar):
    source = read_text("""一、安全生产专项整治
（一）开展隐患排查。州应急管理局要组织全面排查，6月底前完成。
（二）重点做好以下工作：
①摸清底数，建立问题隐患台账；
②分类处置，实行清单化销号管理；
③举一反三，健全长效机制。
牵头单位：州应急管理局
配合单位：州公安局、州交通运输局
完成时限：2026年9月底前
（三）加强宣传引导。开展“安全生产月”活动。
责任单位：州应急管理局、州委宣传部
（四）强化督查问责。对整治不力的严肃追责问责。
（州纪委监委机关、州委督查室负责）
""")
    found = proposals(source, calendar)

    assert [p.text[:4] for p in found] == ["（一）开", "（二）重", "（三）加", "（四）强"]
    listed = found[1]
    assert listed.text.startswith("（二）重点做好以下工作：\n①摸清底数")
    assert listed.text.endswith("完成时限：2026年9月底前")
    assert listed.lead_units == ["州应急管理局"]
    assert listed.other_units == ["州公安局", "州交通运输局"]
    assert (listed.deadline_text, listed.deadline) == ("2026年9月底前", D(2026, 9, 30))
    assert found[2].text.endswith("责任单位：州应急管理局、州委宣传部")
    assert found[2].lead_units == ["州应急管理局", "州委宣传部"]
    # A bracket on its own line names who does the item above it.
    assert found[3].text.endswith("（州纪委监委机关、州委督查室负责）")
    assert found[3].lead_units == ["州纪委监委机关", "州委督查室"]
    assert all(p.section == ["一、安全生产专项整治"] for p in found)


def test_it_keeps_points_whole_when_only_a_line_after_the_last_names_units_and_splits_points_with_their_own(
        calendar):
    source = read_text("""二、实施城市更新
5.推进老旧小区改造。
①摸清改造底数；
②分类制定改造方案。
（州住建局牵头，州财政局配合；第三季度）
6.推进城市基础设施补短板。
（1）实施城市管网更新改造。
牵头单位：州住建局
（2）完成城区易涝积水点整治。
牵头单位：龙溪市人民政府
配合单位：州水利局
""")
    found = proposals(source, calendar)

    assert [p.text[:4] for p in found] == ["5.推进", "（1）实", "（2）完"]
    whole = found[0]
    assert whole.text.endswith("②分类制定改造方案。\n（州住建局牵头，州财政局配合；第三季度）")
    assert (whole.lead_units, whole.other_units, whole.deadline) == (["州住建局"], ["州财政局"], D(2026, 9, 30))
    assert whole.section == ["二、实施城市更新"]
    assert found[1].section == found[2].section == ["二、实施城市更新", "6.推进城市基础设施补短板。"]
    assert found[1].text.endswith("牵头单位：州住建局") and found[1].lead_units == ["州住建局"]
    assert (found[2].lead_units, found[2].other_units) == (["龙溪市人民政府"], ["州水利局"])


def test_it_does_not_split_inside_a_bracket_or_a_quotation(calendar):
    source = read_text("""三、加强事中事后监管
（一）创新监管方式。实行“双随机、一公开”监管（1.日常检查；2.专项抽查），年底前实现全覆盖。（州市场监管局负责）
（二）推行清单管理。实行“一是列清单、二是定责任、三是抓销号”的工作方法。（州应急管理局负责）
（三）规范执法行为。落实“三项制度”（①行政执法公示；②执法全过程记录；③重大执法决定法制审核）。（州司法局牵头，州直各执法部门配合）
""")
    found = proposals(source, calendar)

    assert [p.text[:4] for p in found] == ["（一）创", "（二）推", "（三）规"]
    assert found[0].lead_units == ["州市场监管局"] and found[0].deadline == D(2026, 12, 31)
    assert found[1].lead_units == ["州应急管理局"]
    assert found[2].lead_units == ["州司法局"] and found[2].other_units == ["州直各执法部门"]


def test_it_splits_minutes_by_the_sentences_that_assign_work(calendar):
    source = read_text("""州政府第12次常务会议纪要
2026年3月5日，州长主持召开州政府第12次常务会议。会议听取了州住建局关于城市更新工作的汇报。
会议要求，由州住建局负责，6月底前完成老旧小区改造项目摸底。
会议决定，由州发改委牵头，州财政局、州自然资源局配合，第三季度完成项目储备库建设；由州交通运输局负责国省干线养护，年底前完成。
请州财政局会同州发改委研究制定专项资金管理办法。
""")
    found = proposals(source, calendar)

    assert [p.text for p in found] == [
        "会议要求，由州住建局负责，6月底前完成老旧小区改造项目摸底。",
        "会议决定，由州发改委牵头，州财政局、州自然资源局配合，第三季度完成项目储备库建设；",
        "由州交通运输局负责国省干线养护，年底前完成。",
        "请州财政局会同州发改委研究制定专项资金管理办法。",
    ]
    assert [(p.lead_units, p.other_units) for p in found] == [
        (["州住建局"], []), (["州发改委"], ["州财政局", "州自然资源局"]), (["州交通运输局"], []),
        (["州财政局"], ["州发改委"])]
    assert [p.deadline for p in found] == [D(2026, 6, 30), D(2026, 9, 30), D(2026, 12, 31), None]


# ---- responsibility ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "lead", "other"), [
    pytest.param("加快推进重大项目前期工作。（发展改革委、财政部牵头，各有关部门按职责分工负责）",
                 ["发展改革委", "财政部"], ["各有关部门"], id="bracket-lead-and-duty"),
    pytest.param("完善社会信用体系，强化守信激励、失信惩戒，推动信用修复。"
                 "（州发改委、人行示范州中心支行牵头，州市场监管局、州税务局配合）",
                 ["州发改委", "人行示范州中心支行"], ["州市场监管局", "州税务局"], id="commas-before-the-bracket"),
    pytest.param("统筹推进山水林田湖草沙一体化保护修复。（州发改委牵头，州财政局、州自然资源局（州林草局）配合）",
                 ["州发改委"], ["州财政局", "州自然资源局（州林草局）"], id="bracket-in-the-bracket"),
    pytest.param("推进“放管服”改革。（州发改委、州商务局，州税务局按职责分工负责）",
                 ["州发改委", "州商务局", "州税务局"], [], id="names-clause-shares-the-next-verb"),
    pytest.param("发展数字金融。（人行示范州中心支行牵头，州委金融办，州金融监管分局按职责分工负责）",
                 ["人行示范州中心支行"], ["州委金融办", "州金融监管分局"], id="names-clause-after-the-lead"),
    pytest.param("深化农村集体产权制度改革。〔责任单位：州农业农村局、州财政局，各县（市）人民政府按职责分工负责〕",
                 ["州农业农村局", "州财政局", "各县（市）人民政府"], [], id="hexagonal-bracket-label"),
    pytest.param("推进数字政府建设。责任单位：州大数据中心（牵头）、州政务服务局、州委网信办",
                 ["州大数据中心"], ["州政务服务局", "州委网信办"], id="label-with-qiantou-mark"),
    pytest.param("加强干部教育培训。责任单位：州委组织部、州人社局、州就业服务局",
                 ["州委组织部", "州人社局", "州就业服务局"], [], id="verbs-inside-unit-names"),
    pytest.param("推进两化深度融合。牵头单位：州工业和信息化局；配合单位：州科技局、州在线政务服务中心",
                 ["州工业和信息化局"], ["州科技局", "州在线政务服务中心"], id="lead-and-cooperate-labels"),
    pytest.param("由州住建局负责，6月底前完成老旧小区改造项目摸底。", ["州住建局"], [], id="you-fuze"),
    pytest.param("会议要求，州市场监督管理局牵头，州财政局、州商务局配合，9月底前完成涉企收费清理。",
                 ["州市场监督管理局"], ["州财政局", "州商务局"], id="paired-clauses"),
    pytest.param("部门分工：省发展改革委牵头，各地、各部门配合。", ["省发展改革委"], ["各地", "各部门"],
                 id="paired-generic-others"),
    pytest.param("由州发改委牵头，州财政局配合，编制2027年项目储备清单。", ["州发改委"], ["州财政局"],
                 id="you-qiantou-peihe"),
    pytest.param("请州财政局会同州发改委研究制定专项资金管理办法。", ["州财政局"], ["州发改委"], id="qing-huitong"),
    pytest.param("由州人社局会同州委组织部研究制定培训方案。", ["州人社局"], ["州委组织部"], id="huitong-zuzhibu"),
    pytest.param("州工业和信息化局要会同州科技局等部门制定专精特新企业培育方案。", ["州工业和信息化局"], ["州科技局"],
                 id="huitong-deng-bumen"),
    pytest.param("州政府督查室应当会同州发改委、州财政局开展年度专项督查。", ["州政府督查室"], ["州发改委", "州财政局"],
                 id="yingdang-huitong"),
    pytest.param("落实耕地保护责任。（州、县（市）人民政府负责）", ["州、县（市）人民政府"], [], id="zhou-xian-shi-whole"),
    pytest.param("推进两化融合。（工业和信息化厅、科技厅等负责）", ["工业和信息化厅", "科技厅"], [], id="he-in-a-name"),
    pytest.param("深化校地合作。（州教育局牵头，州人社局和州科技局配合）", ["州教育局"], ["州人社局", "州科技局"],
                 id="he-between-names"),
    pytest.param("推进制造业数字化转型。（省工业和信息化厅牵头，省科技厅、省财政厅等部门配合）",
                 ["省工业和信息化厅"], ["省科技厅", "省财政厅"], id="deng-bumen-dropped"),
    pytest.param("防汛抗旱。一是州水利局要加强水库巡查；", ["州水利局"], [], id="title-then-yishi-actor"),
    pytest.param("（二）州财政局负责统筹专项债券资金，每月5日前报送支付进度。", ["州财政局"], [],
                 id="numbered-subject-fuze"),
])
def test_it_reads_lead_and_other_units_in_the_forms_offices_write(text, lead, other):
    found = responsibility_of(text)

    assert (found.lead, found.other) == (lead, other)
    assert found.span is not None and text[found.span[0]:found.span[1]]


def test_it_finds_no_unit_where_none_is_named():
    assert not responsibility_of("（三）加强宣传引导，营造全社会共同参与的良好氛围。")


def test_it_reads_lead_and_cooperating_columns_of_a_task_table_with_merged_cells(calendar):
    document = Document()
    document.add_paragraph("示范州2026年重点项目建设任务分工方案")
    document.add_paragraph("一、总体要求")
    document.add_paragraph("（一）压实工作责任。各牵头单位要细化工作措施，确保按期完成。")
    document.add_paragraph("二、任务分工")
    table = document.add_table(rows=6, cols=5)
    for column, header in enumerate(["序号", "任务内容", "牵头单位", "配合单位", "完成时限"]):
        table.cell(0, column).text = header
    group = table.cell(1, 0).merge(table.cell(1, 4))  # a row merged across: the group of the rows below
    group.text = "（一）交通基础设施"
    rows = [["1", "开工建设龙溪至石门快速通道", "州交通运输局", "州自然资源局、石门县人民政府", "2026年6月底前"],
            ["2", "完成国省干线养护大中修工程", "", "各县（市）人民政府", "年底前"],
            ["3", "推进农村公路提质改造", "州农业农村局", "无", "长期坚持"],
            ["4", "实施客运站智能化改造", "", "", "第三季度"]]
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row):
            if value:
                table.cell(number, column).text = value
    table.cell(2, 2).merge(table.cell(3, 2))  # one lead unit for two tasks, merged down the column
    table.cell(5, 2).merge(table.cell(5, 3)).text = "州交通运输局"  # lead and cooperate merged across
    document.add_paragraph("三、保障措施")
    document.add_paragraph("（一）加强调度。州发改委每月5日前报送项目进展情况。")

    source = read_document("任务分工方案.docx", docx_bytes(document))
    found = proposals(source, calendar)

    assert source.kind == "docx"
    assert "序号\t任务内容\t牵头单位\t配合单位\t完成时限" in source.text
    assert "\n2\t完成国省干线养护大中修工程\t州交通运输局\t各县（市）人民政府\t年底前\n" in source.text
    assert [p.text for p in found] == ["（一）压实工作责任。各牵头单位要细化工作措施，确保按期完成。",
                                       "开工建设龙溪至石门快速通道", "完成国省干线养护大中修工程",
                                       "推进农村公路提质改造", "实施客运站智能化改造",
                                       "（一）加强调度。州发改委每月5日前报送项目进展情况。"]
    rows_found = found[1:5]
    assert all(p.section == ["二、任务分工", "（一）交通基础设施"] for p in rows_found)
    assert [(p.lead_units, p.other_units) for p in rows_found] == [
        (["州交通运输局"], ["州自然资源局", "石门县人民政府"]),
        (["州交通运输局"], ["各县（市）人民政府"]),
        (["州农业农村局"], []),  # 配合单位 “无”
        (["州交通运输局"], [])]
    assert [(p.deadline_text, p.deadline, p.cadence) for p in rows_found] == [
        ("2026年6月底前", D(2026, 6, 30), None), ("年底前", D(2026, 12, 31), None),
        ("长期坚持", None, "monthly"), ("第三季度", D(2026, 9, 30), None)]
    assert found[-1].section == ["三、保障措施"]


def test_it_reads_a_single_responsibility_column_marked_with_qiantou(calendar):
    document = Document()
    document.add_paragraph("附件")
    document.add_paragraph("2026年第二季度重点督查事项清单")
    table = document.add_table(rows=5, cols=4)
    rows = [["序号", "督查事项", "责任单位", "完成时限"],
            ["1", "州级重点项目一季度未开工项目全部开工。", "州发改委（牵头）、各县（市）人民政府", "6月底前"],
            ["2", "高标准农田建设进度。", "牵头：州农业农村局\n配合：州财政局、州水利局", "每月5日前报送进展"],
            ["3", "拖欠企业账款清偿。", "州工信局牵头，州财政局、州审计局配合", "9月底前完成清偿，年底前动态清零"],
            ["4", "城镇老旧小区改造项目开工。", "州住建局（牵头）\n各县（市）人民政府", "7月底前"]]
    for number, row in enumerate(rows):
        for column, value in enumerate(row):
            table.cell(number, column).text = value

    found = proposals(read_document("督查事项清单.docx", docx_bytes(document)), calendar, reference=D(2026, 4, 15))

    assert all(p.section == ["2026年第二季度重点督查事项清单"] for p in found)
    assert [(p.lead_units, p.other_units) for p in found] == [
        (["州发改委"], ["各县（市）人民政府"]),
        (["州农业农村局"], ["州财政局", "州水利局"]),
        (["州工信局"], ["州财政局", "州审计局"]),
        (["州住建局"], ["各县（市）人民政府"])]
    assert [(p.deadline_text, p.deadline, p.cadence) for p in found] == [
        ("6月底前", D(2026, 6, 30), None), ("每月5日前报送", None, "monthly"), ("年底前", D(2026, 12, 31), None),
        ("7月底前", D(2026, 7, 31), None)]


# ---- deadlines ---------------------------------------------------------------------------------------


def case(text, reference, phrase, due, cadence=None, report_day=None, *, id):
    return pytest.param(text, reference, phrase, due, cadence, report_day, id=id)


@pytest.mark.parametrize(("text", "reference", "phrase", "due", "cadence", "report_day"), [
    case("编制政务服务事项目录，2026年6月底前完成。", ISSUED, "2026年6月底前", D(2026, 6, 30), id="2026-june-end"),
    case("推行告知承诺制，年底前覆盖50个事项。", ISSUED, "年底前", D(2026, 12, 31), id="year-end"),
    case("做好重点项目用地预审和报批工作，年内持续推进。", ISSUED, "年内持续推进", D(2026, 12, 31), "monthly",
         id="within-year-ongoing"),
    case("建立“白名单”制度，第三季度完成首批企业入库。", ISSUED, "第三季度", D(2026, 9, 30), id="third-quarter"),
    case("开展“好差评”，每月5日前报送上月评价结果。", ISSUED, "每月5日前报送", None, "monthly", 5,
         id="monthly-by-the-5th"),
    case("强化招商引资项目跟踪服务。（州投资促进局负责，长期坚持）", ISSUED, "长期坚持", None, "monthly",
         id="standing"),
    case("开展防汛演练，5月底前完成。", ISSUED, "5月底前", D(2026, 5, 29), id="may-ends-on-a-sunday"),
    case("完成春季造林，2月底前完成。", D(2026, 1, 10), "2月底前", D(2026, 2, 28), id="february-ends-on-a-tiaoxiu-saturday"),
    case("完成老旧小区改造摸底，3月底前完成。", D(2026, 11, 5), "3月底前", D(2027, 3, 31),
         id="march-written-in-november"),
    case("完成项目储备库建设。（州发改委牵头；2026年底前）", ISSUED, "2026年底前", D(2026, 12, 31), id="2026-year-end"),
    case("完成项目储备库建设。（州发改委牵头；明年底前）", ISSUED, "明年底前", D(2027, 12, 31), id="next-year-end"),
    case("牵头单位：州应急管理局\n完成时限：2026年9月底前", ISSUED, "2026年9月底前", D(2026, 9, 30),
         id="deadline-label"),
    case("责任单位：州市场监管局\n时限：9月底前完成首批入库", ISSUED, "9月底前", D(2026, 9, 30),
         id="shixian-label-with-words"),
    case("（州统计局负责；每季度末报送）", ISSUED, "每季度末报送", None, "quarterly", id="quarterly"),
    case("各县（市）每周五报送防火巡查情况。", ISSUED, "每周五报送", None, "weekly", id="weekly-on-friday"),
    case("9月底前完成主体工程，年底前投入使用。", ISSUED, "年底前", D(2026, 12, 31), id="last-of-several-dates"),
])
def test_it_reads_the_deadline_phrase_into_a_date_on_the_working_day_calendar(
        calendar, text, reference, phrase, due, cadence, report_day):
    deadline = read_deadline(text, reference=reference, calendar=calendar)

    assert deadline is not None
    got = (deadline.text, deadline.date, deadline.cadence, deadline.report_day)
    assert got == (phrase, due, cadence, report_day)
    assert text[deadline.span[0]:deadline.span[1]] == phrase  # the phrase is kept as written, beside its date
    if due is not None:
        assert calendar.is_workday(due)


def test_it_takes_standing_words_inside_a_sentence_for_no_deadline(calendar):
    assert read_deadline("要坚持长期学习，持续推进作风建设。", reference=ISSUED, calendar=calendar) is None


def test_it_reads_the_deadlines_of_proposed_tasks_against_the_documents_date(calendar):
    source = read_text("""一、重点任务
（一）开展防汛检查。州水利局要在5月底前完成水库巡查。
（二）编制专项规划。州发改委要在3月底前形成初稿。
""")

    early, late = proposals(source, calendar, reference=D(2026, 1, 5)), proposals(source, calendar,
                                                                                reference=D(2026, 11, 20))

    assert [p.deadline for p in early] == [D(2026, 5, 29), D(2026, 3, 31)]
    assert [p.deadline for p in late] == [D(2027, 5, 31), D(2027, 3, 31)]
    assert [p.deadline_text for p in late] == ["5月底前", "3月底前"]


# ---- reading -----------------------------------------------------------------------------------------


def test_it_reads_a_text_pdf_made_from_a_docx(calendar):
    assert pdf_available(), "LibreOffice is missing: run scripts/docs-tools.sh (make docs-tools) as root"
    document = Document()
    document.add_paragraph("示范州2026年数字政府建设工作要点")
    document.add_paragraph("一、夯实数字基础设施")
    document.add_paragraph("1.推进政务云扩容升级，新增算力资源2000核，推动州直部门业务系统全部迁移上云，"
                           "实现集约化建设和统一运维管理。（州大数据中心牵头，州直各部门配合）")
    document.add_paragraph("2.完善电子政务外网，年底前实现乡镇（街道）全覆盖。（州委机要保密局负责）")
    document.add_paragraph("二、提升政务服务效能")
    document.add_paragraph("3.深化“一网通办”，2026年6月底前实现高频事项“掌上办”。（州政务服务局牵头，州大数据中心配合）")

    source = read_document("数字政府工作要点.pdf", docx_to_pdf(docx_bytes(document)))
    found = proposals(source, calendar)

    assert source.kind == "pdf"
    assert [p.text[:2] for p in found] == ["1.", "2.", "3."]
    # A paragraph the PDF broke over lines is one paragraph again.
    assert found[0].text.endswith("实现集约化建设和统一运维管理。（州大数据中心牵头，州直各部门配合）")
    assert [p.section for p in found] == [["一、夯实数字基础设施"], ["一、夯实数字基础设施"], ["二、提升政务服务效能"]]
    assert [(p.lead_units, p.other_units) for p in found] == [
        (["州大数据中心"], ["州直各部门"]), (["州委机要保密局"], []), (["州政务服务局"], ["州大数据中心"])]
    assert [p.deadline for p in found] == [None, D(2026, 12, 31), D(2026, 6, 30)]


def test_it_reads_a_text_file_written_in_gb18030(calendar):
    text = "一、重点任务\r\n（一）推进老旧小区改造，6月底前完成项目摸底。（州住建局牵头，州财政局配合）\r\n"
    data = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    source = read_document("分工方案.txt", data)
    (task,) = proposals(source, calendar)

    assert source.kind == "txt"
    assert source.text == "一、重点任务\n（一）推进老旧小区改造，6月底前完成项目摸底。（州住建局牵头，州财政局配合）"
    assert (task.lead_units, task.other_units, task.deadline) == (["州住建局"], ["州财政局"], D(2026, 6, 30))


def test_it_refuses_a_scanned_pdf_with_no_text_in_chinese():
    page = Image.new("RGB", (620, 877), "white")
    pen = ImageDraw.Draw(page)
    for y in range(80, 800, 28):
        pen.rectangle((60, y, 560, y + 12), fill="black")  # lines of “text” that are only pixels
    scan = io.BytesIO()
    page.save(scan, format="PDF")

    with pytest.raises(DocumentUnreadable) as raised:
        read_document("扫描件.pdf", scan.getvalue())
    assert str(raised.value) == "该 PDF 没有可提取的文字（可能是扫描件），请上传文字版 PDF 或 Word 文档。"


def test_it_refuses_an_old_word_doc_with_a_clear_message():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)

    with pytest.raises(DocumentUnreadable) as raised:
        read_document("分工方案.doc", ole)
    assert str(raised.value) == "旧版 Word（.doc）文件请先另存为 .docx 再上传。"
    with pytest.raises(DocumentUnreadable, match="扩展名不符"):
        read_document("分工方案.docx", "一、重点任务".encode())


# ---- matching to the unit tree -----------------------------------------------------------------------


def test_it_matches_names_to_the_unit_tree_by_full_short_alias_and_fuzzy_name(cast):
    matcher = UnitMatcher(Unit.objects.filter(is_active=True))

    assert matcher.match("州发展和改革委员会") == cast.pref_drc.pk
    assert matcher.match("州发改委") == cast.pref_drc.pk  # short name
    assert matcher.match("发展改革委") == cast.pref_drc.pk  # alias
    assert matcher.match("州发展改革委员会") == cast.pref_drc.pk  # fuzzy: 和 left out
    assert matcher.match("示范州财政局") == cast.pref_finance.pk  # fuzzy: the prefecture's name before it
    assert matcher.match("甲县发改局") == cast.county_drc.pk
    assert matcher.match("州统计局") is None  # a unit the tree does not know
    assert matcher.match("各有关部门") is None  # a group, not one unit
    assert matcher.match("乙县发改局") != cast.county_drc.pk  # never another county's bureau


def test_it_keeps_and_flags_a_unit_the_tree_does_not_know(cast, calendar):
    source = read_text("一、重点任务\n（一）开展州情调查，年底前完成。（州统计局牵头，州发改委、各有关部门配合）")
    (task,) = proposals(source, calendar, matcher=UnitMatcher(Unit.objects.filter(is_active=True)))

    assert task.lead_units == ["州统计局"]
    assert task.other_units == ["州发改委", "各有关部门"]
    assert task.matched_units == [None, cast.pref_drc.pk, None]


# ---- the command line --------------------------------------------------------------------------------


def test_it_prints_the_proposed_tasks_as_json_from_the_command_line(cast, tmp_path):
    path = tmp_path / "分工方案.txt"
    path.write_text("""示范州人民政府办公室关于做好2026年重点工作的通知
一、稳住经济基本盘
（一）扩大有效投资。州发改委要建立重大项目调度机制，5月底前完成首批项目开工。（州发改委牵头，州财政局、州统计局配合）
（二）提振消费需求。落实以旧换新政策，每月5日前报送兑付进展。（州商务局、州财政局按职责分工负责）
二、保障改善民生
（一）推进老旧小区改造，2026年6月底前完成项目摸底。〔责任单位：州住建局，各县（市）人民政府按职责分工负责〕
""", encoding="utf-8")
    out = io.StringIO()

    call_command("extract", str(path), "--json", "--date", "2026-03-01", stdout=out)

    tasks = json.loads(out.getvalue())
    text = read_document(path.name, path.read_bytes()).text
    assert len(tasks) == 3
    assert all(set(task) == JSON_KEYS for task in tasks)
    for task in tasks:
        assert text[task["span"][0]:task["span"][1]] == task["text"]
    first, second, third = tasks
    assert first["section"] == ["一、稳住经济基本盘"]
    assert first["lead_units"] == ["州发改委"] and first["other_units"] == ["州财政局", "州统计局"]
    assert first["matched_units"] == [cast.pref_drc.pk, cast.pref_finance.pk, None]
    assert (first["deadline_text"], first["deadline"], first["cadence"]) == ("5月底前", "2026-05-29", None)
    assert second["lead_units"] == ["州商务局", "州财政局"]
    assert (second["deadline_text"], second["deadline"], second["cadence"]) == ("每月5日前报送", None, "monthly")
    assert third["section"] == ["二、保障改善民生"]
    assert third["lead_units"] == ["州住建局", "各县（市）人民政府"]
    assert (third["deadline"], third["cadence"]) == ("2026-06-30", None)
    assert get_calendar().is_workday(D(2026, 5, 29)) and not get_calendar().is_workday(D(2026, 5, 31))


def test_it_says_in_chinese_why_the_command_cannot_read_a_file(db, tmp_path):
    path = tmp_path / "旧文件.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))

    with pytest.raises(CommandError, match=r"旧版 Word（\.doc）文件请先另存为 \.docx 再上传。"):
        call_command("extract", str(path), "--json", stdout=io.StringIO())
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("extract", str(tmp_path / "没有.docx"), stdout=io.StringIO())


# ---- spans -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    WORK_POINTS,
    "会议决定，由州发改委牵头，州财政局配合，第三季度完成项目储备库建设；由州交通运输局负责国省干线养护，年底前完成。",
    "一、重点任务\n（一）打造诚信环境。\n一是建立政务诚信承诺制度；\n二是开展政府失信专项治理。\n责任单位：州发改委\n",
    "第一章 总则\n第一条 为规范督查工作，制定本办法。\n第二条 州委督查室负责全州督查工作的统筹协调。\n",
])
def test_it_points_every_proposal_at_its_words_in_the_extracted_text(calendar, text):
    source = read_text(text)
    found = propose(source, calendar=calendar, reference=ISSUED)

    assert found
    for p in found:
        assert source.text[p.span[0]:p.span[1]] == p.text
        assert p.as_json()["span"] == [p.span[0], p.span[1]]


def _auto_numbered_docx() -> bytes:
    """A .docx whose numbering Word draws (w:numPr): 一、 at level 0, （一） at level 1, 1. at level 2."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = Document()
    numbering = document.part.numbering_part.element
    abstract = OxmlElement("w:abstractNum")
    abstract.set(qn("w:abstractNumId"), "90")
    for ilvl, (fmt, text) in enumerate((("chineseCounting", "%1、"), ("chineseCounting", "（%2）"),
                                         ("decimal", "%3."))):
        level = OxmlElement("w:lvl")
        level.set(qn("w:ilvl"), str(ilvl))
        for tag, value in (("w:start", "1"), ("w:numFmt", fmt), ("w:lvlText", text)):
            child = OxmlElement(tag)
            child.set(qn("w:val"), value)
            level.append(child)
        abstract.append(level)
    numbering.insert(0, abstract)
    num = OxmlElement("w:num")
    num.set(qn("w:numId"), "90")
    ref = OxmlElement("w:abstractNumId")
    ref.set(qn("w:val"), "90")
    num.append(ref)
    numbering.append(num)

    def numbered(text: str, ilvl: int) -> None:
        paragraph = document.add_paragraph(text)
        p_pr = paragraph._p.get_or_add_pPr()
        num_pr = OxmlElement("w:numPr")
        for tag, value in (("w:ilvl", str(ilvl)), ("w:numId", "90")):
            child = OxmlElement(tag)
            child.set(qn("w:val"), value)
            num_pr.append(child)
        p_pr.append(num_pr)

    document.add_paragraph("示范州2026年重点工作分工方案")
    numbered("稳增长", 0)
    numbered("扩大有效投资", 1)
    numbered("推进重点项目开工。（州发改委牵头）", 2)
    numbered("盘活闲置资产。（州财政局负责）", 2)
    numbered("促消费", 1)
    numbered("举办消费季活动。（州商务局负责）", 2)
    numbered("惠民生", 0)
    numbered("办好民生实事", 1)
    numbered("新增学位5000个。（州教育局负责）", 2)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_it_reads_the_numbering_word_draws_itself():
    source = read_document("方案.docx", _auto_numbered_docx())
    lines = source.text.split("\n")
    assert lines[1:6] == ["一、稳增长", "（一）扩大有效投资", "1.推进重点项目开工。（州发改委牵头）",
                          "2.盘活闲置资产。（州财政局负责）", "（二）促消费"]
    assert lines[7:9] == ["二、惠民生", "（一）办好民生实事"]  # each level restarts below its parent
    items = items_of(source)
    assert [source.text[i.start:i.end][:6] for i in items] == ["1.推进重点", "2.盘活闲置", "1.举办消费", "1.新增学位"]
    assert items[2].section == ["一、稳增长", "（二）促消费"]

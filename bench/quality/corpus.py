"""A seeded corpus of Chinese progress reports with planted near-duplicates, for the copy detector.

`build_corpus(seed)` returns the same reports every time for a seed. Most reports are written
independently from a subject's sentence stock (项目建设, 资金拨付, 问题整改, 招商引资, 安全生产 …) with
their own facts: these are the true non-duplicates, sharing stock phrasing and nothing else. Some are
then copied, the way copies happen in practice, each copy labelled with its kind and level:

    edited            a few words changed (level = number of edits: synonym swapped, word dropped or added,
                      character mistyped)
    reordered         the same sentences in another order (level = "swap" of two, or "shuffle")
    numbers           the same report with figures and dates changed (level = how many)
    sentence_added    one sentence added
    sentence_removed  one sentence dropped
    template          one text passed between units, each putting its own name in (level = units sharing it)
    reflowed          re-punctuated and re-wrapped, words untouched
    mixed             edited, figures changed and sentences swapped together (level = number of edits)
    same_subject      NOT a copy: the same sentence plan on the same subject, written with other facts

Each planted pair (original, copy) is listed in `pairs` with its kind and level; its true Jaccard is
measured, not assumed (`label_pairs`).

    .venv/bin/python bench/quality/corpus.py            # counts per kind and the Jaccard of planted pairs
    .venv/bin/python bench/quality/corpus.py --sample bench/quality/sample.json
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

SEED = 9
BASES = 850

COUNTIES = ["永宁县", "清河县", "龙泉县", "石门县", "东山县", "和平县", "安远县", "临江县", "白水县", "金沙县"]
DEPARTMENTS = [
    "发改局", "财政局", "住建局", "自然资源局", "交通运输局", "水务局", "农业农村局", "商务局", "应急管理局",
    "生态环境分局", "教育体育局", "卫生健康局", "人社局", "市场监管局", "工信局", "文旅局", "投资促进局",
    "林草局", "城市管理局", "民政局", "乡村振兴局", "公安局", "司法局", "审计局",
]
TOWNS = ["城关镇", "青山镇", "柳湾乡", "河口镇", "白石乡", "新桥街道", "龙潭镇", "三合乡", "马场镇", "平坝镇",
         "双河乡", "桃源街道", "高峰镇", "岔河乡", "长岭镇", "大田乡"]
VILLAGES = ["东坝村", "石桥村", "上寨村", "杨柳社区", "红星村", "水井村", "新民村", "凤凰社区", "沙坪村",
            "团结村", "银杏村", "坪上村", "中和村", "金竹村"]
PROJECT_KINDS = [
    "工业园区标准化厂房", "污水处理厂提标改造工程", "农贸市场改造项目", "人民医院住院综合楼", "第二中学教学楼",
    "城乡供水一体化工程", "国道改扩建工程", "高标准农田建设项目", "保障性租赁住房项目", "冷链物流园",
    "农光互补光伏电站", "旅游公路", "老旧小区改造项目", "垃圾焚烧发电项目", "中药材加工园", "职业教育实训基地",
    "应急物资储备库", "城市供热管网改造工程", "智慧停车场", "森林防火通道",
]
COMPANY_HEADS = ["华瑞", "鑫源", "天成", "宏达", "中科", "博远", "恒信", "金穗", "绿源", "远航", "嘉禾", "瑞丰",
                 "盛世", "汇通", "新锐", "正泰"]
COMPANY_TRADES = ["新材料", "食品", "农业科技", "电子科技", "建材", "物流", "新能源", "生物医药", "矿业",
                  "文化旅游", "智能装备", "茶业"]
DOCS = ["州委州政府2026年重点工作任务分工方案", "县委常委会会议纪要", "州政府常务会议纪要",
        "中央生态环境保护督察反馈问题整改方案", "州委督查室督办通知", "县政府工作报告重点任务分解表"]
DIFFICULTIES = [
    "项目用地报批进度滞后", "上级资金尚未全部下达", "施工队伍力量不足", "部分群众诉求较多、征拆协调难度大",
    "连续降雨影响施工进度", "企业融资困难", "专业技术人员缺乏", "环评手续办理周期较长", "钢材等原材料价格上涨",
    "配套资金筹措压力大",
]

# One sentence stock per subject. [a|b] chooses an alternative; {slot} takes a fact (see _fill).
OPENINGS = [
    "截至{date}，{unit}牵头负责的{task}工作[进展顺利|有序推进|总体按计划推进]。",
    "{unit}[高度重视|认真对待]此项工作，成立了以主要负责同志为组长的工作专班，[明确责任分工|细化任务清单]，[倒排工期|挂图作战]。",
    "按照{doc}的分工要求，{unit}对照任务清单逐项推进，现将进展情况报告如下。",
    "根据州委督查室督办通知要求，现将{unit}{task}[工作|任务]推进情况报告如下。",
    "{month}月以来，{unit}[紧紧围绕|聚焦]{task}[目标任务|年度目标]，[强化调度|压实责任]，各项工作[取得阶段性进展|稳步推进]。",
]
CLOSINGS = [
    "下一步，[我局|我单位]将继续加大工作力度，[倒排工期、挂图作战|强化调度、压实责任]，确保按期完成目标任务。",
    "下一步，将进一步压实责任，加强跟踪调度，及时协调解决推进中遇到的困难和问题。",
    "下一步，{unit}将[坚持问题导向|紧盯时间节点]，[每周|每半月]调度一次，确保{month}月底前[全面完成|完成]。",
    "[我局|我单位]将严格按照督办要求，[按月|按周]报送工作进展，确保任务不折不扣落实到位。",
]
DIFFICULTY_LINES = [
    "目前存在的主要困难是{difficulty}，[我局|我单位]已向县政府专题报告，请求协调解决。",
    "推进中[仍存在|还存在]{difficulty}等问题，[正在积极协调|已会同相关部门研究解决办法]。",
    "受{difficulty}影响，部分工作[较计划有所滞后|进度偏慢]，[我局|我单位]已制定[追赶|赶进度]措施。",
]
SUBJECTS: dict[str, dict] = {
    "项目建设": {
        "units": ["发改局", "住建局", "交通运输局", "工信局", "自然资源局", "水务局"],
        "task": ["重点项目建设", "{project}建设", "年度重大项目推进"],
        "body": [
            "{project}已于{date}[正式开工|开工建设]，目前完成主体工程的{pct}%，累计完成投资{yi}亿元。",
            "[全县|全镇]纳入调度的重点项目{n}个，已开工{n}个，开工率{rate}%，[累计|共]完成投资{yi}亿元。",
            "{project}[土地征收|用地报批]工作已完成{mu}亩，剩余{mu}亩正在[开展地上附着物清点|办理林地手续]。",
            "[施工单位|项目业主]已进场作业人员{n}人、大型机械{n}台，[实行|采取]“两班倒”施工。",
            "针对{difficulty}的问题，[县政府|县委]召开专题会议{n}次，协调解决具体问题{n}个。",
            "{project}[可研报告|初步设计]已于{date}取得批复，[施工图设计|招标文件编制]正在同步推进。",
            "{town}段路基工程完成{pct}%，桥梁桩基完成{n}根，涵洞完成{n}道。",
            "项目建设[过程中|期间]严格落实安全生产和扬尘治理措施，未发生安全事故。",
            "{month}月份完成投资{wan}万元，占年度计划的{pct}%，[较上月增加|环比提高]{pp}个百分点。",
            "[已|现已]完成{project}的招标工作，中标单位为{company}，合同金额{wan}万元。",
        ],
    },
    "资金拨付": {
        "units": ["财政局", "农业农村局", "乡村振兴局", "审计局", "发改局"],
        "task": ["专项资金拨付", "{project}资金保障", "涉农资金统筹整合"],
        "body": [
            "[上级|省级]下达[我县|我局]专项资金{wan}万元，已拨付{wan}万元，拨付率{rate}%。",
            "[县财政|本级财政]安排配套资金{wan}万元，已于{date}全部拨付到[项目单位|各乡镇]。",
            "[按照|根据]资金管理办法，对{n}个项目实行国库集中支付，[做到|确保]专款专用。",
            "截至{date}，衔接推进乡村振兴补助资金支出{wan}万元，支出进度{rate}%，高于[全州|全省]平均水平{pp}个百分点。",
            "对支出进度[滞后|偏慢]的{n}个项目进行了[通报|约谈]，督促[项目单位|主管部门]加快报账。",
            "{project}[争取到|获得]中央预算内投资{wan}万元，地方政府专项债券{yi}亿元。",
            "[开展|组织]资金使用情况专项检查{n}次，发现问题{n}个，已整改{n}个。",
            "{town}已完成{n}户[惠民惠农|耕地地力保护]补贴发放，发放金额{wan}万元，通过“一卡通”直达农户。",
            "[预计|计划]{month}月底前完成剩余{wan}万元资金拨付。",
        ],
    },
    "问题整改": {
        "units": ["生态环境分局", "住建局", "城市管理局", "水务局", "审计局", "市场监管局"],
        "task": ["督查反馈问题整改", "巡察反馈问题整改", "审计发现问题整改"],
        "body": [
            "{doc}[涉及|交办]我单位的问题{n}个，已完成整改{n}个，整改完成率{rate}%。",
            "针对{town}{village}反映的[生活污水直排|垃圾清运不及时|道路破损]问题，已于{date}完成整改并通过验收。",
            "[建立|制定]问题清单、任务清单、责任清单，明确整改时限和责任人，实行销号管理。",
            "对[整改不到位|进度滞后]的{n}个问题，由分管领导[逐一督办|挂牌督办]，[限期|确保{month}月底前]完成。",
            "[举一反三|以点带面]开展[自查自纠|排查整治]，新排查出问题{n}个，已整改{n}个。",
            "[问责|约谈]相关责任人{n}人，[完善|修订]制度{n}项，[建立健全|健全完善]长效机制。",
            "整改资料已[按要求|及时]报送州委督查室，[佐证材料|整改台账]齐全。",
            "{village}[黑臭水体|河道垃圾]整治完成清淤{n}立方米，[新建|改造]截污管网{km}公里。",
        ],
    },
    "招商引资": {
        "units": ["投资促进局", "商务局", "工信局", "发改局"],
        "task": ["招商引资", "{town}产业招商", "项目引进和落地"],
        "body": [
            "[今年以来|1至{month}月]，[全县|我局]共签约招商项目{n}个，协议投资{yi}亿元，到位资金{yi}亿元。",
            "{company}[年产|投资]{n}万吨{trade}项目已于{date}签约，计划投资{yi}亿元。",
            "[组织|带队]赴长三角、珠三角开展[小分队招商|以商招商]{n}次，拜访企业{n}家。",
            "{company}项目已完成[工商注册|用地摘牌]，[厂房建设|设备安装]正在推进，预计{month}月投产。",
            "对在谈的{n}个重点项目实行“一个项目、一名领导、一个专班”跟踪服务。",
            "[举办|承办]{trade}产业推介会{n}场，现场签约项目{n}个、金额{yi}亿元。",
            "已落地项目{n}个，开工率{rate}%，投产{n}个，新增就业岗位{big}个。",
            "[优化|完善]招商引资优惠政策，为{company}兑现奖补资金{wan}万元。",
        ],
    },
    "安全生产": {
        "units": ["应急管理局", "住建局", "交通运输局", "市场监管局", "公安局"],
        "task": ["安全生产大排查大整治", "{trade}行业安全专项整治", "汛期安全防范"],
        "body": [
            "[开展|组织]安全生产大检查{n}次，检查企业{n}家，发现隐患{n}条，已整改{n}条，整改率{rate}%。",
            "对{company}等{n}家企业[下达|送达]整改通知书，[责令|督促]限期整改。",
            "{town}[组织|开展]应急演练{n}场，参演人员{big}人次。",
            "[聘请|邀请]专家对[非煤矿山|危化品企业|建筑工地]开展[体检式|会诊式]检查{n}次。",
            "[立案|依法]查处安全生产违法行为{n}起，罚款{wan}万元。",
            "[排查|梳理]地质灾害隐患点{n}处，落实监测人员{n}名，[转移|避险]群众{big}人。",
            "[开展|组织]“安全生产月”宣传活动{n}场，发放宣传资料{big}份。",
            "今年以来全县未发生[较大以上|一般以上]生产安全事故，安全形势总体平稳。",
            "对{village}[自建房|经营性自建房]排查{big}栋，鉴定存在安全隐患的{n}栋已全部[清人停用|整治]。",
        ],
    },
    "生态环保": {
        "units": ["生态环境分局", "水务局", "林草局", "自然资源局", "城市管理局"],
        "task": ["河湖长制", "大气污染防治", "生态环境问题整治"],
        "body": [
            "[县级|乡级]河长巡河{n}次，[清理|打捞]河道垃圾{n}吨，[拆除|清理]违建{n}处。",
            "[城区|县城]空气质量优良天数{n}天，优良率{rate}%，PM2.5平均浓度{n}微克每立方米。",
            "{company}[脱硫脱硝|污水处理]设施改造已完成{pct}%，预计{month}月底前通过验收。",
            "[完成|推进]{town}集镇污水管网建设{km}公里，污水收集率提高到{rate}%。",
            "[开展|组织]“清废行动”，排查[固体废物|危险废物]点位{n}个，已清运处置{n}吨。",
            "[复绿|修复]矿山面积{mu}亩，[植树|种草]{n}万株。",
            "对{n}家[涉气|涉水]企业开展执法检查，[立案|查处]环境违法案件{n}起。",
        ],
    },
    "乡村振兴": {
        "units": ["农业农村局", "乡村振兴局", "人社局", "民政局"],
        "task": ["巩固拓展脱贫攻坚成果", "和美乡村建设", "{town}产业发展"],
        "body": [
            "[纳入|识别]防止返贫监测对象{big}户{n}人，已[消除风险|落实帮扶措施]{n}户。",
            "{village}[发展|种植]{trade}产业{mu}亩，带动[农户|群众]{big}户，户均增收{wan}万元。",
            "[实施|推进]农村人居环境整治，[改造|新建]户厕{n}座，[清理|整治]村庄{n}个。",
            "[脱贫人口|监测对象]务工就业{big}人，[完成|达到]年度目标的{pct}%。",
            "[村集体经济|集体经济]收入超过{n}万元的村达{n}个，占比{pct}%。",
            "[新建|改造]{village}通组硬化路{km}公里，[安装|维修]路灯{n}盏。",
            "[组织|开展]农村实用技术培训{n}期，培训{big}人次。",
            "{town}[建成|投用]{trade}加工车间{n}个，吸纳就业{big}人。",
        ],
    },
    "营商环境": {
        "units": ["政务服务管理局", "市场监管局", "司法局", "发改局", "工信局"],
        "task": ["优化营商环境", "“放管服”改革", "政务服务提质增效"],
        "body": [
            "[进驻|入驻]政务服务中心事项{big}项，“一窗通办”率{rate}%，[即办件|承诺件]占比{pct}%。",
            "企业开办时间[压缩|缩短]至{n}个工作日，[办理|受理]企业开办{n}户。",
            "[开展|组织]“[万企|千企]大走访”活动，走访企业{big}家，收集问题{n}个，已解决{n}个。",
            "[清理|清偿]拖欠民营企业账款{wan}万元，清偿率{rate}%。",
            "[推行|实行]工程建设项目审批“容缺受理”，审批时限压减{pct}%。",
            "为{company}等企业[协调|办理]融资贷款{yi}亿元。",
            "[12345|政务服务便民]热线受理营商环境诉求{big}件，办结率{rate}%，满意率{rate}%。",
        ],
    },
    "民生实事": {
        "units": ["人社局", "民政局", "教育体育局", "卫生健康局", "住建局"],
        "task": ["年度民生实事", "{project}建设", "城乡居民增收"],
        "body": [
            "[新增|新建]城镇就业{big}人，城镇登记失业率控制在{pct}%以内。",
            "{project}[主体|封顶]工程已完成，[内部装修|设备采购]完成{pct}%，计划{month}月交付使用。",
            "[改造|完成]老旧小区{n}个，惠及居民{big}户，[加装|安装]电梯{n}部。",
            "[发放|落实]城乡低保资金{wan}万元，惠及{big}户{n}人。",
            "[建成|新建]社区养老服务站{n}个，[开展|提供]上门服务{big}人次。",
            "{town}卫生院[改扩建|标准化建设]已完成投资{wan}万元，新增床位{n}张。",
            "[新建|改扩建]幼儿园{n}所，新增学位{big}个。",
        ],
    },
    "防汛抗旱": {
        "units": ["水务局", "应急管理局", "自然资源局", "农业农村局"],
        "task": ["防汛备汛", "抗旱保供水", "水利工程建设"],
        "body": [
            "[修订|完善]防汛应急预案{n}个，[落实|明确]防汛责任人{n}名。",
            "[储备|落实]防汛物资编织袋{big}条、救生衣{n}件、冲锋舟{n}艘。",
            "[排查|检查]水库、山塘{n}座，发现隐患{n}处，已整改{n}处。",
            "{town}[应急水源|小型水库]工程完成投资{wan}万元，[完成|达到]总工程量的{pct}%。",
            "[组织|调配]送水车{n}台次，解决{big}户{n}人临时饮水困难。",
            "[汛期|入汛以来]全县累计降雨{big}毫米，[转移|避险]群众{big}人，无人员伤亡。",
            "{village}[堤防加固|河道治理]工程治理河长{km}公里，预计{month}月完工。",
        ],
    },
}

SYNONYMS = [
    ("加快", "加速"), ("推进", "推动"), ("切实", "扎实"), ("积极", "主动"), ("完成", "实现"), ("开展", "组织"),
    ("督促", "要求"), ("进一步", "更加"), ("确保", "保证"), ("加强", "强化"), ("问题", "事项"), ("目前", "当前"),
    ("全面", "全部"), ("及时", "尽快"), ("协调", "衔接"), ("工作", "任务"), ("已", "已经"), ("召开", "组织召开"),
]
FILLERS = ["进一步", "全力", "认真", "积极", "扎实", "有序", "持续"]
DROPPABLE = ["进一步", "积极", "切实", "全面", "有序", "正式", "全部", "及时", "目前", "已"]
STOCK_CHARS = "的了和在是我县局项目工作完成推进开展情况进行建设发展管理服务单位企业资金问题整改安全"

_SLOT = re.compile(r"\{(\w+)\}")
_CHOICE = re.compile(r"\[([^\[\]]*)\]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_VERB = re.compile("推进|开展|完成|落实|加强|协调|组织|督促|解决|整改|排查|拨付|调度|压实")


def _date(rng: random.Random) -> str:
    return f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日"


def _fill(template: str, rng: random.Random, facts: dict) -> str:
    """Choose alternatives, then fill slots; the report's own unit/task/project stay the same throughout."""
    text = _CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), template)

    def slot(m: re.Match) -> str:
        name = m.group(1)
        if name in facts:
            return facts[name]
        return {
            "date": lambda: _date(rng),
            "month": lambda: str(rng.randint(1, 12)),
            "n": lambda: str(rng.choice([rng.randint(2, 12), rng.randint(2, 40), rng.randint(10, 200)])),
            "big": lambda: str(rng.choice([rng.randint(100, 900), rng.randint(200, 9000)])),
            "pct": lambda: str(rng.choice([rng.randint(10, 100), round(rng.uniform(1, 99), 1)])),
            "rate": lambda: str(rng.choice([rng.randint(75, 100), round(rng.uniform(75, 99.9), 1)])),
            "pp": lambda: str(rng.choice([rng.randint(1, 15), round(rng.uniform(0.5, 12), 1)])),
            "yi": lambda: str(round(rng.uniform(0.2, 60), rng.choice([1, 2]))),
            "wan": lambda: str(rng.choice([rng.randint(20, 9000), round(rng.uniform(10, 900), 1)])),
            "mu": lambda: str(rng.randint(30, 6000)),
            "km": lambda: str(round(rng.uniform(0.5, 40), 1)),
            "town": lambda: rng.choice(TOWNS),
            "village": lambda: rng.choice(VILLAGES),
            "company": lambda: _company(rng),
            "trade": lambda: rng.choice(COMPANY_TRADES),
            "difficulty": lambda: rng.choice(DIFFICULTIES),
            "doc": lambda: "《" + rng.choice(DOCS) + "》",
            "project": lambda: rng.choice(TOWNS) + rng.choice(PROJECT_KINDS),
        }[name]()

    return _SLOT.sub(slot, text)


def _company(rng: random.Random) -> str:
    return f"{rng.choice(COUNTIES)[:2]}{rng.choice(COMPANY_HEADS)}{rng.choice(COMPANY_TRADES)}有限公司"


@dataclass
class Report:
    id: int
    subject: str
    unit: str
    sentences: list[str]
    origin: int | None = None  # the report it was copied from
    kind: str = "original"
    level: str = ""
    sep: str = ""  # how sentences are joined: "", "\n", or a paragraph break

    @property
    def text(self) -> str:
        return self.sep.join(self.sentences)


@dataclass
class Corpus:
    reports: list[Report]
    pairs: list[dict] = field(default_factory=list)  # planted: {"a", "b", "kind", "level"}


class _Writer:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def plan(self, subject: str, want_unit: bool = False) -> list[tuple[str, str]]:
        """A sentence plan: (part, template) in order — the stock a report is written from."""
        rng, stock = self.rng, SUBJECTS[subject]
        if not want_unit and rng.random() < 0.08:  # a terse one- or two-line report
            return [("body", b) for b in rng.sample(stock["body"], rng.choice([1, 2]))]
        size = rng.choices(range(10), weights=[3, 10, 14, 16, 16, 12, 10, 8, 6, 5])[0]
        openings = [o for o in OPENINGS if "{unit}" in o] if want_unit else OPENINGS
        plan = [("opening", rng.choice(openings))]
        plan += [("body", b) for b in rng.sample(stock["body"], min(size, len(stock["body"])))]
        if rng.random() < 0.35:
            plan.append(("difficulty", rng.choice(DIFFICULTY_LINES)))
        if rng.random() < 0.75 or size == 0:
            plan.append(("closing", rng.choice(CLOSINGS)))
        return plan

    def facts(self, subject: str) -> dict:
        rng = self.rng
        unit = rng.choice(COUNTIES) + rng.choice(SUBJECTS[subject]["units"] + ["人民政府", rng.choice(TOWNS)])
        facts = {"unit": unit, "project": rng.choice(TOWNS) + rng.choice(PROJECT_KINDS), "company": _company(rng)}
        facts["task"] = _fill(rng.choice(SUBJECTS[subject]["task"]), rng, facts)
        return facts

    def write(self, ident: int, subject: str, plan: list[tuple[str, str]], facts: dict) -> Report:
        sentences = [_fill(t, self.rng, facts) for _, t in plan]
        while len("".join(sentences)) > 600 and len(sentences) > 2:
            del sentences[-2]  # keep the opening and the closing line
        return Report(ident, subject, facts["unit"], sentences, sep=self.rng.choice(["", "", "\n"]))


def _edit(rng: random.Random, sentences: list[str], edits: int) -> list[str]:
    """Apply a number of small word edits, each at a random place."""
    out = list(sentences)
    done = tries = 0
    while done < edits and tries < edits * 20:
        tries += 1
        i = rng.randrange(len(out))
        s = out[i]
        op = rng.random()
        if op < 0.4:
            a, b = rng.choice(SYNONYMS)
            if rng.random() < 0.5:
                a, b = b, a
            if a in s:
                pos = [m.start() for m in re.finditer(re.escape(a), s)]
                p = rng.choice(pos)
                out[i] = s[:p] + b + s[p + len(a):]
                done += 1
        elif op < 0.6:
            w = rng.choice(DROPPABLE)
            if w in s:
                out[i] = s.replace(w, "", 1)
                done += 1
        elif op < 0.85:
            verbs = [m.start() for m in _VERB.finditer(s)]
            if verbs:
                p = rng.choice(verbs)
                out[i] = s[:p] + rng.choice(FILLERS) + s[p:]
                done += 1
        else:  # a mistyped character
            cjk = [p for p, ch in enumerate(s) if "\u4e00" <= ch <= "\u9fff"]
            if cjk:
                p = rng.choice(cjk)
                out[i] = s[:p] + rng.choice(STOCK_CHARS) + s[p + 1:]
                done += 1
    return out


def _change_numbers(rng: random.Random, sentences: list[str], how_many: int | None) -> list[str]:
    """Change how_many of the figures (all when None) to other plausible ones."""
    places = [(i, m.start(), m.end()) for i, s in enumerate(sentences) for m in _NUMBER.finditer(s)]
    if not places:
        return list(sentences)
    chosen = places if how_many is None else rng.sample(places, min(how_many, len(places)))
    out = list(sentences)
    for i, start, end in sorted(chosen, key=lambda p: (p[0], -p[1])):  # right to left within a sentence
        old = out[i][start:end]
        if "." in old:
            new = f"{float(old) * rng.uniform(1.05, 1.6):.{len(old.split('.')[1])}f}"
        else:
            value = int(old)
            new = str(value + rng.randint(1, max(2, value // 3))) if value > 12 else str(value % 12 + 1)
        out[i] = out[i][:start] + new + out[i][end:]
    return out


def _reflow(rng: random.Random, sentences: list[str]) -> tuple[list[str], str]:
    """Same words, other punctuation and breaks: half-width commas, 。 made ；, spaces and line breaks."""
    out = []
    for s in sentences:
        s = s.replace("，", rng.choice([",", "， ", "，"]))
        if rng.random() < 0.5:
            s = s.replace("。", "；")
        if rng.random() < 0.3:
            s = s.replace("“", '"').replace("”", '"')
        out.append("  " + s if rng.random() < 0.3 else s)
    return out, rng.choice(["\n", "\n\n", " "])


def build_corpus(seed: int = SEED, bases: int = BASES) -> Corpus:
    """The corpus for a seed: `bases` independent reports, their copies, and same-subject look-alikes."""
    rng = random.Random(seed)
    writer = _Writer(rng)
    reports: list[Report] = []
    pairs: list[dict] = []
    plans: dict[int, tuple[list, dict]] = {}

    def add(report: Report) -> Report:
        reports.append(report)
        return report

    def copy_of(base: Report, sentences: list[str], kind: str, level: str, sep: str | None = None,
                unit: str | None = None) -> Report:
        r = add(Report(len(reports), base.subject, unit or base.unit, sentences, base.id, kind, level,
                       base.sep if sep is None else sep))
        pairs.append({"a": base.id, "b": r.id, "kind": kind, "level": level})
        return r

    subjects = list(SUBJECTS)
    for _ in range(bases):
        subject = rng.choice(subjects)
        plan, facts = writer.plan(subject), writer.facts(subject)
        r = add(writer.write(len(reports), subject, plan, facts))
        plans[r.id] = (plan, facts)

    originals = list(reports)
    chosen = rng.sample(originals, 300)
    for base in chosen[:70]:
        copy_of(base, _edit(rng, base.sentences, e := rng.choice([1, 2, 3, 4, 6, 8, 12])), "edited", str(e))
    for base in chosen[70:105]:
        if len(base.sentences) < 3:
            continue
        s = list(base.sentences)
        if rng.random() < 0.5:
            i, j = rng.sample(range(len(s)), 2)
            s[i], s[j] = s[j], s[i]
            level = "swap"
        else:
            while s == base.sentences:
                rng.shuffle(s)
            level = "shuffle"
        copy_of(base, s, "reordered", level)
    for base in chosen[105:155]:
        n = rng.choice([1, 2, 3, 5, None])
        copy_of(base, _change_numbers(rng, base.sentences, n), "numbers", "all" if n is None else str(n))
    for base in chosen[155:180]:
        plan, facts = plans[base.id]
        extra = _fill(rng.choice(SUBJECTS[base.subject]["body"]), rng, facts)
        s = list(base.sentences)
        s.insert(rng.randint(1, len(s)), extra)
        copy_of(base, s, "sentence_added", "1")
    for base in chosen[180:205]:
        if len(base.sentences) < 4:
            continue
        s = list(base.sentences)
        del s[rng.randrange(1, len(s))]
        copy_of(base, s, "sentence_removed", "1")
    for base in chosen[205:220]:
        s, sep = _reflow(rng, base.sentences)
        copy_of(base, s, "reflowed", "", sep=sep)
    for base in chosen[220:250]:
        e = rng.choice([1, 2, 3, 4])
        s = _change_numbers(rng, _edit(rng, base.sentences, e), rng.choice([1, 2, 3]))
        if len(s) >= 3:
            i, j = rng.sample(range(len(s)), 2)
            s[i], s[j] = s[j], s[i]
        copy_of(base, s, "mixed", str(e))
    for base in chosen[250:300]:
        # Not a copy: the same plan (same stock sentences, same order) on the same subject, other facts.
        plan, _ = plans[base.id]
        other = writer.write(len(reports), base.subject, plan, writer.facts(base.subject))
        other.origin, other.kind = base.id, "same_subject"
        add(other)
        pairs.append({"a": base.id, "b": other.id, "kind": "same_subject", "level": ""})

    # Templates: one text passed among units, each putting its own name in.
    for _ in range(30):
        subject = rng.choice(subjects)
        plan, facts = writer.plan(subject, want_unit=True), writer.facts(subject)
        first = add(writer.write(len(reports), subject, plan, facts))
        units = rng.randint(2, 6)
        first.kind, first.level = "template_source", str(units)
        copies = [first]
        for _ in range(units - 1):
            unit = rng.choice(COUNTIES) + rng.choice(DEPARTMENTS)
            if unit == first.unit:
                continue
            s = [x.replace(first.unit, unit) for x in first.sentences]
            copies.append(copy_of(first, s, "template", str(units), unit=unit))
        for i, a in enumerate(copies[1:], 1):  # copies among themselves are template pairs too
            for b in copies[i + 1:]:
                pairs.append({"a": a.id, "b": b.id, "kind": "template", "level": str(units)})
    return Corpus(reports, pairs)


def label_pairs(corpus: Corpus) -> list[dict]:
    """Each planted pair with its exact Jaccard (the brute-force truth for that pair)."""
    from duban.quality.similarity import jaccard

    texts = {r.id: r.text for r in corpus.reports}
    return [dict(p, jaccard=round(jaccard(texts[p["a"]], texts[p["b"]]), 4)) for p in corpus.pairs]


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--sample", type=Path, help="write a small JSON sample (a few reports of each kind)")
    args = parser.parse_args()
    corpus = build_corpus(args.seed)
    labelled = label_pairs(corpus)
    lengths = sorted(len(r.text) for r in corpus.reports)
    print(f"{len(corpus.reports)} reports, length p5/p50/p95 {lengths[len(lengths) // 20]}/"
          f"{lengths[len(lengths) // 2]}/{lengths[len(lengths) * 19 // 20]} characters, "
          f"{len(labelled)} planted pairs")
    kinds: dict[str, list[float]] = {}
    for p in labelled:
        kinds.setdefault(p["kind"], []).append(p["jaccard"])
    for kind, js in kinds.items():
        js.sort()
        above = sum(j >= 0.8 for j in js)
        print(f"  {kind:17} {len(js):4} pairs  Jaccard min/median/max {js[0]:.2f}/{js[len(js) // 2]:.2f}/"
              f"{js[-1]:.2f}  ≥0.8: {above}")
    if args.sample:
        by_id = {r.id: r for r in corpus.reports}
        sample, seen = [], {}
        for p in labelled:
            if seen.get(p["kind"], 0) < 3:
                seen[p["kind"]] = seen.get(p["kind"], 0) + 1
                a, b = by_id[p["a"]], by_id[p["b"]]
                sample.append({**p, "a_text": a.text, "b_text": b.text, "subject": a.subject})
        args.sample.write_text(json.dumps({"seed": args.seed, "reports": len(corpus.reports),
                                           "pairs": sample}, ensure_ascii=False, indent=1) + "\n",
                               encoding="utf-8")
        print(f"wrote {len(sample)} pairs to {args.sample}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


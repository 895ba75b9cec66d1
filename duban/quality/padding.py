"""Padding and missing facts in a progress report: advice to the reviewer, never a verdict.

The 2024 rules against formalism (《整治形式主义为基层减负若干规定》) name the habit this reads for:
堆砌材料、凑足字数 — a report that says the unit 高度重视、精心组织、取得明显成效 and never says what was
done, where, when or how much. `assess` measures two things in a report's text — the share of it taken by
stock phrases and the concrete facts it gives per 100 characters — and flags a report with few facts:
`padded` when stock phrases make up much of it, `few_facts` when it is long and says little in other words.
Separately it flags `missing_values`: a report on a task with quantitative targets that carries none.
Every flag comes with its reason in words a reviewer can check against the text; none rejects anything.

Stock phrases are the office's own list (`DEFAULT_STOCK_PHRASES` is where a new office starts). Facts are
found by regular expressions that prefer missing a fact to inventing one (see `facts`); numbers of meetings,
papers and leaflets are found too but count as traces of work, not as facts. The thresholds were chosen on
the hand-written reports in bench/quality/padding/reports.json (bench/padding_eval.py evaluates them).

Pure functions over strings: no models, no database.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

# ---------------------------------------------------------------------------------------------------------
# Stock phrases

DEFAULT_STOCK_PHRASES: tuple[str, ...] = (
    # attitude, study, the leadership's word
    "高度重视", "重要议事日程", "摆在重要位置", "放在首位", "重中之重", "提高政治站位", "提高思想认识",
    "统一思想认识", "深刻领会", "充分认识", "重要性和紧迫性", "重大意义", "重要举措", "责任感紧迫感",
    "责任感和紧迫感", "认真贯彻落实", "贯彻落实", "认真落实", "传达学习", "决策部署", "部署要求",
    "重大政治任务", "重要政治任务", "牢固树立", "始终坚持", "紧紧围绕", "坚强领导", "以人民为中心",
    "人民至上", "急难愁盼", "党建引领", "第一时间", "问题导向",
    # organisation and responsibility
    "强化组织领导", "加强组织领导", "高位推动", "主要领导亲自抓", "分管领导具体抓", "亲自部署", "亲自过问",
    "工作领导小组", "领导小组", "工作专班", "制定工作方案", "层层抓落实", "压实责任", "压紧压实", "主体责任",
    "履职尽责", "责任担当", "责任分工", "党政同责", "一岗双责", "齐抓共管", "失职追责", "守土有责",
    "形成合力", "协调联动", "统筹推进",
    # action
    "迅速行动", "精心组织", "周密部署", "安排部署", "扎实推进", "稳步推进", "有序推进", "全力推进",
    "深入推进", "持续推进", "大力推进", "加快推进", "狠抓落实", "抓好落实", "落到实处", "多措并举",
    "全力以赴", "真抓实干", "标本兼治", "严防死守", "进一步加强", "进一步提升", "进一步完善", "进一步强化",
    "进一步加大", "不断完善", "不断提升", "不断增强", "持续深化", "持续加大", "全面加强", "切实加强",
    "切实做好", "扎实做好", "全力做好", "积极推动", "积极开展", "深入开展", "扎实开展", "建立健全",
    "长效机制", "常态化", "全覆盖", "无死角", "多渠道", "加大宣传力度", "宣传引导", "为抓手", "为引领",
    "排查整治", "专项整治", "攻坚克难", "担当作为", "举一反三", "立行立改",
    # results
    "取得明显成效", "取得了明显成效", "取得显著成效", "取得了显著成效", "取得阶段性成效", "取得了阶段性成效",
    "取得积极成效", "取得了积极成效", "成效明显", "效果明显", "明显改善", "明显提升", "显著提升", "稳步提升",
    "持续提升", "明显增强", "显著增强", "得到有效遏制", "持续向好", "总体平稳", "总体稳定", "进展顺利",
    "焕然一新", "获得感幸福感安全感", "获得感、幸福感、安全感", "满意度", "良好态势", "良好氛围", "浓厚氛围",
    "深入人心", "生命财产安全", "有力保障", "高质量发展", "再上新台阶", "新的更大贡献", "迈上新台阶",
    # the close
    "下一步", "再接再厉", "巩固成果", "以更加饱满的热情", "以更加务实的作风", "落地见效",
    "全面完成全年目标任务", "目标任务",
)


class Stock(NamedTuple):
    start: int
    end: int
    phrase: str


def _compact(text: str) -> tuple[str, list[int]]:
    """`text` without whitespace, and each kept character's index in `text`."""
    keep = [i for i, ch in enumerate(text) if not ch.isspace()]
    return "".join(text[i] for i in keep), keep


@lru_cache(maxsize=32)
def _phrase_list(phrases: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = {re.sub(r"\s+", "", p) for p in phrases}
    return tuple(sorted((p for p in cleaned if p), key=lambda p: (-len(p), p)))


def stock_spans(text: str, phrases=DEFAULT_STOCK_PHRASES) -> list[Stock]:
    """Where the stock phrases occur in `text`, in order, none overlapping another.

    Longest match first: every occurrence of every phrase is a candidate, the longest taken first (then the
    leftmost), and a candidate touching one already taken is dropped — so 切实增强责任感紧迫感 is one span,
    not 责任感紧迫感 inside it. Whitespace and line breaks inside a phrase are ignored; spans index `text`.
    """
    compact, where = _compact(text)
    candidates = []
    for phrase in _phrase_list(tuple(phrases)):
        at = compact.find(phrase)
        while at >= 0:
            candidates.append((-len(phrase), at, phrase))
            at = compact.find(phrase, at + 1)
    candidates.sort()
    taken = bytearray(len(compact))
    spans = []
    for negative, at, phrase in candidates:
        end = at - negative
        if any(taken[at:end]):
            continue
        taken[at:end] = b"\x01" * (end - at)
        spans.append(Stock(where[at], where[end - 1] + 1, phrase))
    return sorted(spans)


# ---------------------------------------------------------------------------------------------------------
# Facts

FACT_KINDS = ("number", "amount", "count", "date", "place", "project", "title", "person", "trace")


class Fact(NamedTuple):
    kind: str
    start: int
    end: int
    text: str


D = "0-9０-９"
NUM = rf"[{D}]+(?:[,，][{D}]{{3}})*(?:[.．][{D}]+)?"
NOT_AFTER_NUM = rf"(?<![A-Za-z{D}.．第])"
UNITS = sorted("""个百分点 百分点 人次 户次 家次 车次 架次 批次 个工作日 工作日 个月 个 家 户 人 名 位 处 项 件 宗 起 例 笔
    条 份 册 本 篇 张 次 场 期 批 轮 所 座 栋 幢 套 间 台 辆 艘 头 只 株 棵 亩 公顷 平方公里 平方米 ㎡ 立方米 方
    公里 千米 延米 厘米 毫米 米 吨 千克 公斤 千瓦时 千瓦 兆瓦 天 小时 分钟 分 周 年 岁 倍 盏 根 块 眼 口 支 段 组 类
    种 门 床 层 课时 学时 微克/立方米 毫克/升 吨/日 % ％ ‰""".split(), key=len, reverse=True)
NUMBER = re.compile(rf"{NOT_AFTER_NUM}{NUM}(?:\s*[-—~～至到]\s*{NUM})?\s*[万亿千百]?[余多]?\s*"
                    rf"(?:{'|'.join(map(re.escape, UNITS))})")
PERCENT_WORDS = re.compile(r"百分之[零〇一二两三四五六七八九十点]+")
CN_NUM = "零〇一二两三四五六七八九十百千万亿"
AMOUNT = re.compile(rf"{NOT_AFTER_NUM}{NUM}\s*[万亿千]?[余多]?\s*[万亿]?元"
                    rf"|(?<![{CN_NUM}])[一二两三四五六七八九十][{CN_NUM}]*[十百千万亿]元")

MONTH = r"(?:1[0-2]|0?[1-9])\s*月"
DAY = r"(?:3[01]|[12][0-9]|0?[1-9])\s*日"
PART = r"(?:上旬|中旬|下旬|初|底|末|份|中下旬|上中旬)"
CN_MONTH = r"(?:十[一二]?|[一二三四五六七八九])月"
DATE = re.compile("|".join([
    rf"(?<![{D}])(?:19|20)[0-9]{{2}}\s*[-—~～至到－]\s*(?:19|20)[0-9]{{2}}\s*年度?",
    rf"(?<![{D}])(?:19|20)[0-9]{{2}}\s*年(?:度|{MONTH}(?:{DAY}|{PART})?)?",
    rf"(?<![{D}.．第])(?:1[0-2]|0?[1-9])\s*[-—~～至到－]\s*{MONTH}(?:{PART})?",
    rf"(?<![{D}.．第]){MONTH}(?:{DAY}(?:\s*[-—~～至到－]\s*(?:{MONTH})?{DAY})?|{PART})?",
    r"[本上下]月(?:上旬|中旬|下旬|初|底|末)",
    rf"(?<![{CN_NUM}]){CN_MONTH}(?:份|底|初|末|上旬|中旬|下旬|{DAY}|(?:[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])日)",
    r"(?:第[一二三四]|(?<![第\w])[一二三四]|(?<![0-9])[1-4])季度",
]))

# Places: a proper name of two to four characters before a place word. What a name is cannot be told without
# a gazetteer, so the word before a suffix is tested instead: 全县, 各乡镇, 城乡, 农村, 行政村, 老旧小区,
# 工作思路 … end in a character that no proper name before that suffix ends in (PLACE_GENERIC), and the name
# stops at characters that begin a clause (PLACE_BREAK).
PLACE_SUFFIXES = sorted("""县 市 州 镇 乡 街道 村 社区 路 大道 街 巷 小区 园区 产业园 工业园 开发区 高新区 新区 片区
    广场 公园 水库 中学 小学 幼儿园 医院 卫生院 景区 河 江 湖""".split(), key=len, reverse=True)
PLACE_GENERIC = {
    "县": "全各我本该此每外邻两多辖市省州乡郡区个", "市": "城超上菜集股都省县州全各我本该夜早门黑开闹互街面新个",
    "州": "全各我本该此外邻省个", "镇": "乡城村集小重名古全各我本该此每个两",
    "乡": "城家下老返同故异他县回送水全各我本该每个两", "街道": "各全该本个镇",
    "村": "农乡政然困贫范点远心中全各该本每村个美新老邻外", "社区": "城乡各全该本个居区家",
    "路": "思道出线门套公铁马网电水老小弯进来去走半一正歧末后前活生退销心找探开修筑问带引迷领上新有无绝归同党条"
          "好明短长业的耕损",
    "大道": "各全康阳", "街": "行业食老小大沿临上扫各全个背", "巷": "小深街大各全个",
    "小区": "旧各业宅置民房个全该本些余多新型点范",
    "园区": "业流技各全个该本", "产业园": "各全个", "工业园": "各全个", "开发区": "各全个济", "高新区": "各全个",
    "新区": "各全个城", "片区": "各全个重城", "广场": "化市各全个民心", "公园": "市袋地题态各全个民",
    "水库": "型险座类各全该本干骨", "中学": "中小各全通初高完所该本村镇乡城", "小学": "中各全所该本村镇乡城完",
    "幼儿园": "各全所该本村镇乡惠办学套", "医院": "各立营级全家类些点定所该本", "卫生院": "镇乡各全所该本",
    "景区": "各全个级该本", "河": "江大小山护巡治条内沿界运清母入长黄", "江": "长大各全条", "湖": "河江各全"}
PLACE_NOT_AFTER = {"县": "域城里", "市": "场民容值面井级里", "镇": "里", "乡": "村镇贤亲土情愁风里",
                   "村": "庄民委干级务规容貌道里",
                   "河": "道长湖流库岸堤床边水段镇乡村县区街路", "江": "湖河镇乡村县区街路", "湖": "泊镇乡村县区街路",
                   "路": "径线子数况面基灯网"}
# A name stops at a function word, at the last character of a verb that often comes before a place (拨付柳河镇,
# 协调县住建局, 明确县农业农村局, 发挥社区作用) and at the suffix of the place before it (白沙镇龙潭村 is two names).
PLACE_BREAK = set("的了在对与及是为将把被从向到以于由其这那并也都又还就等全各我本该每赴往至经沿涉、已正未曾要应可需"
                  "成实进建有自出入确调照馈绕挥付围理纳括施设办展织督导促接报请示求署议开召动合委同盖"
                  "县市州镇乡村区路街")
LEADING_VERBS = ("深入", "走访", "前往", "来到", "位于", "覆盖", "涉及", "其中", "检查", "改造", "修复", "整治", "新设")
PLACE = re.compile("|".join(map(re.escape, PLACE_SUFFIXES)))
CJK = re.compile(r"[\u4e00-\u9fff]")
PROJECT_END = re.compile(r"项目|工程")
PROJECT_OBJECTS = re.compile(r"厂|站|馆|桥|路|线|库|渠|港|楼|院|校|房|中心|管网|隧道|小区|片区|新区|基地|市场|机场|"
                             r"公园|广场|园区|产业园|农田|[A-Z]+[0-9]+")
PROJECT_GENERIC = re.compile(r"(?:重点|民生|民心|重大|在建|新建|续建|招商|产业|惠民|实事|德政|各类|相关|有关|一批|储备|"
                             r"签约|示范|系统|骨干|亿元|基础设施|的|一号)$")
PROJECT_BREAK = set("，。；：、！？（）()“”《》的了和与及在是将把对从向为以于等到赴往经由,;:")
TITLE = re.compile(r"《([^《》\n]{4,60})》")
TITLE_ISSUED = re.compile(r"(?:印发|制定|出台|修订|编制|发布|签订|起草|形成|报送|下发|修改|编印|完成|制发|审议通过)了?$")

SURNAMES = set("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姚卢"
               "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤欧")
POSITIONS = sorted("""第一书记 副书记 书记 副县长 县长 副镇长 镇长 副乡长 乡长 副市长 市长 副州长 州长 副主任 主任 村主任
    副局长 局长 所长 站长 队长 院长 校长 组长 支书 网格员 经理 负责人 部长 科长 股长 主席 委员 专干""".split(),
                   key=len, reverse=True)
NAME_FOLLOW = "带率主到赴在于牵召同等一、，。（(：对深现检督调前走看陪参出作就也并再"
NAME_NOT_IN = set("长任记员级部组局县镇乡村委主副为要和的了在是对把将亲带高全各有应负分具度强真切同")
PERSON = re.compile(rf"(?:{'|'.join(POSITIONS)})([{''.join(SURNAMES)}][\u4e00-\u9fff]{{1,2}}?)(?=[{NAME_FOLLOW}]|同志|$)"
                    rf"|([{''.join(SURNAMES)}]某{{1,2}})"
                    rf"|(?<![\u4e00-\u9fff])([{''.join(SURNAMES)}][\u4e00-\u9fff]{{1,2}}?)同志")

DONE_VERBS = re.compile(r"完成|整改|办结|化解|建成|新建|改造|拆除|清理|查处|查出|排查|发现|检查|召开|开展|组织|举办|培训|"
                        r"走访|慰问|帮扶|劝返|转移|处理|处罚|立案|追回|签约|引进|新增|累计|修复|安装|更换|关停|取缔|销号|"
                        r"抽检|出动|接待|受理|解决|办理|清偿|拨付|发放|新设|配备|聘用|落实|抓获|打掉|收治|救助")
COUNT_UNITS = set("个家户人名位处项件宗起例笔条份场次期批轮所座栋套台辆株棵眼口")
CN_COUNT = re.compile(r"(?<![一二两三四五六七八九十百千万第])(?:[两二三四五六七八九]|[一二三四五六七八九]?十[一二三四五六七八九]?|"
                      r"[一二三四五六七八九]百[零一二三四五六七八九十]*)(?:个|家|户|人|名|处|项|件|起|条|场|次|所|座|轮)"
                      r"(?!维护|确立|意识|自信|全面|代表|务必|一批|振兴|最严|清单|不摘|必须|坚持|结合|优先|导向|一律)")
QUOTES = "“‘「『\"'"
# Meetings held, papers issued, leaflets handed out: numbers, but of the work's traces, not of its results
# (the 2024 rules count neither such traces nor photos as results). Kept as facts of kind "trace", not counted.
# A trace is a meeting or round of 督查 counted in 次/场/轮/期, or paper or publicity with the verb that issues it,
# within the same list item — 发现资料不全12份 is a finding, not a trace.
MEETINGS = re.compile(r"会议|[党组委题度进谈署调员商席例]会|督查")
PAPERS = re.compile(r"文件|通知|方案|简报|(?<!预警)信息|资料|明白纸|宣传|横幅|标语|展板|知识|倡议书")
ISSUING = re.compile(r"印发|下发|转发|编发|发放|张贴|悬挂|制作|推送|发布|传达|报送|刊发|开展|组织")
MEETING_UNITS = ("次", "场", "轮", "期")
CLAUSE_END = re.compile(r"[，。；：！？,;:\n]")


def _clause_before(text: str, start: int, reach: int = 14) -> str:
    before = text[max(0, start - reach):start]
    parts = CLAUSE_END.split(before)
    return parts[-1]


def _counted(text: str, start: int) -> bool:
    """A Chinese numeral counts things done when a verb of doing comes shortly before it in the same list item
    (召开两次, 化解信访积案两件), not inside a quotation (组织“五个振兴”) or a list (政府、部门、学校、家庭四方)."""
    before = _clause_before(text, start, reach=8)
    return bool(DONE_VERBS.search(before)) and not any(ch in before for ch in QUOTES + "、")


def _trace(text: str, start: int, end: int) -> bool:
    item = re.split(r"[、]", _clause_before(text, start, reach=16))[-1]
    if MEETINGS.search(item) and text[start:end].endswith(MEETING_UNITS):
        return True
    return bool(PAPERS.search(item) and ISSUING.search(item))


def _places(text: str):
    for m in PLACE.finditer(text):
        suffix = m.group()
        if text[m.end():m.end() + 1] and text[m.end()] in PLACE_NOT_AFTER.get(suffix, ""):
            continue
        begin = m.start()
        while begin > 0 and m.start() - begin < 4 and CJK.match(text[begin - 1]) and text[begin - 1] not in PLACE_BREAK:
            begin -= 1
        name = text[begin:m.start()]
        for verb in LEADING_VERBS:
            if name.startswith(verb) and len(name) - len(verb) >= 2:
                name, begin = name[len(verb):], begin + len(verb)
                break
        if len(name) < 2 or name[-1] in PLACE_GENERIC.get(suffix, ""):
            continue
        yield begin, m.end()


def _projects(text: str):
    for m in PROJECT_END.finditer(text):
        begin = m.start()
        while begin > 0 and m.start() - begin < 24 and text[begin - 1] not in PROJECT_BREAK:
            begin -= 1
        name = text[begin:m.start()]
        quoted = begin > 0 and text[begin - 1] == "“" and text[m.end():m.end() + 1] == "”"
        if len(name) < 4 or PROJECT_GENERIC.search(name) or not PROJECT_OBJECTS.search(name):
            continue
        yield (begin - 1, m.end() + 1) if quoted else (begin, m.end())


def _titles(text: str):
    for m in TITLE.finditer(text):
        if TITLE_ISSUED.search(text[max(0, m.start() - 6):m.start()]):
            yield m.start(), m.end()


def _people(text: str):
    for m in PERSON.finditer(text):
        name = m.group(1) or m.group(3)
        if name and any(ch in NAME_NOT_IN for ch in name[1:]):
            continue
        yield m.start(), m.end()


def facts(text: str) -> list[Fact]:
    """The concrete facts in `text`, in order, none overlapping another.

    Kinds (each pattern prefers missing a fact to inventing one):
    - number: an Arabic number with a unit or a percent sign (12个, 3.2万亩, 85%, 4.1个百分点, 1—3个), or
      百分之八十五. A bare number (12345热线, 5G, G352) is not one, nor an ordinal (第3), nor a Chinese numeral
      outside a count — 一是/二是, 第一, 两个维护, 四个意识, 三张清单, 二十大, “十四五” are slogans and numbering.
    - amount: money (86万元, 3.2亿元, 五十万元).
    - count: a number of things done — a number whose clause has a verb of doing before it (整改23个, 完成改厕
      420户), or a Chinese numeral from 两 up with a measure word after such a verb (召开三次, 化解两件).
    - date: 2026年, 2026年5月, 5月20日, 5月6日至17日, 1—5月, 5月底, 6月上旬, 本月下旬, 五月份, 一季度.
      Vague times (今年以来, 近期, 下一步, 上半年) are not dates.
    - place: a name of two to four characters before a place word (青山县, 柳河镇, 红岩村, 天桥路, 幸福小区,
      龙潭水库, 新材料产业园), adjacent ones joined (白沙镇龙潭村 is one); 全县, 各乡镇, 农村, 城乡, 老旧小区,
      工作思路 are not.
    - project: a name ending in 项目/工程 that holds a built thing or a code (城北污水处理厂扩建工程, G352线…改扩建
      工程); 重点项目, 民生工程, “一号工程” are not.
    - title: a 《…》 document the unit issued or signed (修订《…办法》); a document cited (认真落实《…条例》) is not.
    - person: a position with a name (县长李建华, 副县长王晓东), an anonymised name (刘某某), or 某某同志.
    - trace: a number of meetings, papers or publicity (召开专题会5次, 印发通知3份, 发放宣传资料2000余份, 悬挂
      横幅30条) — found, but not counted as a fact by `assess`: it records that work was done, not what it did.
    """
    candidates = []
    for kind, found in (
        ("amount", ((m.start(), m.end()) for m in AMOUNT.finditer(text))),
        ("date", ((m.start(), m.end()) for m in DATE.finditer(text))),
        ("number", ((m.start(), m.end()) for m in NUMBER.finditer(text))),
        ("number", ((m.start(), m.end()) for m in PERCENT_WORDS.finditer(text))),
        ("count", ((m.start(), m.end()) for m in CN_COUNT.finditer(text) if _counted(text, m.start()))),
        ("title", _titles(text)),
        ("project", _projects(text)),
        ("person", _people(text)),
        ("place", _places(text)),
    ):
        for start, end in found:
            candidates.append((start, end, kind))
    priority = {kind: i for i, kind in enumerate(("amount", "date", "project", "title", "person", "number", "count",
                                                  "place"))}
    candidates.sort(key=lambda c: (-(c[1] - c[0]), priority[c[2]], c[0]))
    taken = bytearray(len(text))
    kept = []
    for start, end, kind in candidates:
        if any(taken[start:end]):
            continue
        taken[start:end] = b"\x01" * (end - start)
        kept.append((start, end, kind))
    kept.sort()
    out: list[Fact] = []
    for start, end, kind in kept:
        if kind == "place" and out and out[-1].kind == "place" and out[-1].end == start:
            start = out.pop().start
        elif kind in ("number", "count") and _trace(text, start, end):
            kind = "trace"
        elif kind == "number" and text[end - 1] in COUNT_UNITS and DONE_VERBS.search(_clause_before(text, start)):
            kind = "count"
        out.append(Fact(kind, start, end, text[start:end]))
    return out


# ---------------------------------------------------------------------------------------------------------
# The assessment

class Flag(NamedTuple):
    code: str
    reason: str


PADDING_CODES = ("padded", "few_facts")  # either says: the text gives little a reviewer could check


@dataclass(frozen=True)
class Assessment:
    chars: int  # characters that carry content: letters, digits, Chinese characters (no spaces or punctuation)
    stock: list[Stock]
    stock_share: float  # share of `chars` inside stock phrases, 0..1
    facts: list[Fact]
    fact_density: float  # facts per 100 of `chars`, traces left out
    flags: list[Flag]

    @property
    def codes(self) -> list[str]:
        return [flag.code for flag in self.flags]

    @property
    def padded(self) -> bool:
        """Padding advice of either kind (`padded` or `few_facts`)."""
        return any(flag.code in PADDING_CODES for flag in self.flags)

    @property
    def concrete(self) -> list[Fact]:
        """The facts that count: all but the traces of meetings, papers and publicity."""
        return [f for f in self.facts if f.kind != "trace"]


# Thresholds, chosen on the reports of split "dev" in bench/quality/padding/reports.json and not changed after
# (bench/padding_eval.py --scatter prints every report's figures; the README there gives the later splits).
# In dev, concrete reports carry 3.4 to 14 facts per 100 characters and padded ones 0 to 1.2:
# FEW_FACTS_PER_100 = 2 (under one fact in 50 characters) sits in that gap, nearer
# the padded side, because calling a concrete report padded costs a unit more than missing a padded one costs
# the reviewer, who reads the report anyway. The stock-phrase share only picks the reason: at 20% or more the
# reviewer is told the share (padded reports there run 6% to 70% on the default list, concrete ones 0% to 21%,
# and a text with few facts and under a fifth in stock phrases is better described by its length).
# Under SHORT_CHARS a report is short, not padded: 已完成。 or 已于5月20日完成整改。 is what the rules against
# formalism ask for, so brevity alone is never flagged (the reviewer sees it at a glance) — only a missing value
# is. Between SHORT_CHARS and LONG_CHARS only a text made mostly of stock phrases is flagged (我局高度重视，迅速
# 行动…取得了阶段性成效。); a text with few facts and few stock phrases needs LONG_CHARS before it is "long".
SHORT_CHARS = 30
LONG_CHARS = 60
FEW_FACTS_PER_100 = 2.0
STOCK_SHARE_PADDED = 0.20
FACT_KINDS_ZH = "数字、时间、地点、项目等"


def content_chars(text: str) -> int:
    return sum(1 for ch in text if ch.isalnum())


def _content_in(text: str, spans) -> int:
    return sum(content_chars(text[s.start:s.end]) for s in spans)


def assess(text: str, *, phrases=DEFAULT_STOCK_PHRASES, expects_values: bool = False,
           values_given: bool | None = False) -> Assessment:
    """Read one report's text and say what a reviewer may want to look at.

    `phrases` is the office's stock-phrase list. `expects_values`: the task has quantitative targets.
    `values_given`: the report carries target values (None when that is not known — a report taken in as
    text alone — and then a number, amount or count in the text counts as values given; a trace does not).
    """
    text = text or ""
    chars = content_chars(text)
    stock = stock_spans(text, phrases)
    found = facts(text)
    concrete = [f for f in found if f.kind != "trace"]
    traces = len(found) - len(concrete)
    share = _content_in(text, stock) / chars if chars else 0.0
    density = 100 * len(concrete) / chars if chars else 0.0
    flags: list[Flag] = []
    if expects_values:
        quantities = [f for f in found if f.kind in ("number", "amount", "count")]
        given = bool(quantities) if values_given is None else values_given
        if not given:
            if quantities:
                reason = (f"该事项设有量化指标，本次反馈未报送指标值；正文提到{len(quantities)}处数字，"
                          "可请报送单位核对后填入指标值。")
            else:
                reason = "该事项设有量化指标，本次反馈未报送指标值。"
            flags.append(Flag("missing_values", reason))
    few = chars >= SHORT_CHARS and density < FEW_FACTS_PER_100
    have = f"只有{len(concrete)}处具体事实" if concrete else "没有具体事实"
    also = f"；另有{traces}处会议、发文、宣传的次数，是工作痕迹，不是成效" if traces else ""
    if few and share >= STOCK_SHARE_PADDED:
        flags.append(Flag("padded", f"套话占全文的{round(share * 100)}%，{have}（{FACT_KINDS_ZH}）{also}。"))
    elif few and chars >= LONG_CHARS:
        flags.append(Flag("few_facts", f"全文{chars}字，{have}（{FACT_KINDS_ZH}）{also}，"
                                       "看不出做了什么、做到什么程度。"))
    return Assessment(chars=chars, stock=stock, stock_share=share, facts=found, fact_density=density,
                      flags=flags)

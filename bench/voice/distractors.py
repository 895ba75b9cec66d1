"""Distractor clues: what a supervision office has on file besides the clues of the test set.

Each clue is written from a category's stock of problems, places, durations, answers from the office and
requests, put together in a random order and wording, seeded, so that the store is the same on every run.
The places are the demo prefecture's (its counties, the towns of the test set and more) — a distractor is
most often in the same county and town as a test clue and about the same kind of problem, which is what
makes finding the one earlier clue that a new one repeats hard. With `wide=True` the towns and villages
come from longer lists (about 700 counties and towns), as a province's store over several years would.

A distractor must not be a duplicate of a test clue (it would be a right answer counted as wrong): a
distractor never names a place (village, 小区, road) or an institution (卫生院, 中心小学 …) together with a
town that a test pair names together, and never names a place of a test pair in that pair's category.

    from voice.distractors import Writer
    writer = Writer(seed=1, avoid=[texts of each test pair])
    category, place, text = writer.clue()
"""

from __future__ import annotations

import random
from collections.abc import Iterable

COUNTY_TOWNS = {
    "青山县": ["清水镇", "高桥镇", "城关街道", "桃溪镇", "马坪乡", "新塘镇"],
    "云岭县": ["柳河镇", "新场镇", "城关街道", "枫坝镇", "高岭镇", "东林乡"],
    "石门县": ["桃坪乡", "双河镇", "城关街道", "杨湾镇", "梅口镇", "安田镇"],
    "河口县": ["杨坝镇", "东山镇", "城关街道", "黄塘镇", "西沟乡", "永桥镇"],
    "松林县": ["梅溪镇", "花溪镇", "城关街道", "竹山镇", "宝坪乡", "长岭镇"],
    "白水县": ["枫岭镇", "黄田镇", "城关街道", "南湾镇", "鹤溪镇", "银营乡"],
    "金沙县": ["马口镇", "银山镇", "岩口镇", "城关街道", "沙铺镇", "玉林乡"],
    "龙溪市": ["城南街道", "城关街道", "北场镇", "红寨镇", "鹿田镇", "太河镇"],
}

# Syllables for the wide lists, as bench/quality_scale.py makes its places.
FIRST = "安宁平清长永和兴丰泰新乐康明瑞福嘉盛源远华德昌隆阜宜同顺"
SECOND = "山河川林泉溪阳原江湖岭水城峰坪石桥湾口台屯庄坝沟"

VILLAGE_SYLLABLES = "石板岩脚新民龙井团结光明红旗大湾桃园竹林向阳中坝马鞍青龙白鹤桂花团山金星五里三合双龙观音水井"
ESTATES = [
    "幸福小区", "阳光花园", "锦绣华庭", "翠湖家园", "滨江新城", "教师新村", "金桂苑", "和谐家园", "世纪花园",
    "江南名都", "书香门第", "御景湾", "明珠花园", "电力小区", "粮食局宿舍", "水岸名城", "凤凰城", "丽景苑",
    "新华社区", "滨河花园", "兴隆小区", "南苑小区", "东方花园", "金色家园", "康馨苑", "悦府",
]
ROADS = ["人民路", "建设路", "解放路", "滨河路", "新华街", "迎宾大道", "老街", "新街", "中山路", "文化路",
         "工业园路", "站前路", "滨江路", "幸福路", "兴隆街", "东环路", "西环路", "学府路", "商贸街", "步行街"]
INSTITUTIONS = ["中心小学", "中学", "幼儿园", "卫生院", "派出所", "便民服务中心", "农贸市场", "敬老院",
                "财政所", "林业站", "农机站", "供电所", "自来水厂", "客运站", "民政办", "社保站"]
COMPANY_WORDS = "鑫宏恒华永盛兴隆金源达通利丰顺泰昌嘉瑞富"
INDUSTRIES = ["食品厂", "建筑公司", "石材厂", "砖厂", "纺织厂", "物流公司", "化工厂", "木业公司", "电子厂",
              "养殖场", "采石场", "商砼站", "家具厂", "服装厂", "劳务公司", "矿业公司", "水泥厂", "塑料厂"]

OPENINGS = ["", "", "", "我要反映一个问题，", "你好，", "领导你们好，", "实名反映：", "请帮忙看看，", "再次反映！",
            "我是本地村民，", "我们是附近的居民，", "麻烦问一下，"]
REQUESTS = ["", "", "希望尽快解决。", "请有关部门管一管！", "麻烦领导过问一下。", "盼回复。", "到底有没有人管？",
            "希望给个说法。", "请尽快处理，谢谢。", "老百姓等不起了。", "已经反映好多次了。"]
DURATIONS = ["一个多月了", "两个月了", "半年多了", "快一年了", "好几个星期了", "三个多月了", "大半年了", "二十多天了",
             "从去年到现在", "好长时间了", "{n}个月了", "{n}天了"]

CATEGORIES: dict[str, dict[str, list[str]]] = {
    "惠民补贴未发放": {
        "thing": ["耕地地力保护补贴", "高龄津贴", "残疾人护理补贴", "残疾人生活补贴", "低保金", "危房改造补助",
                  "退耕还林补助", "农机购置补贴", "生态护林员补助", "特困供养金", "独生子女奖扶金", "退役军人优待金",
                  "种粮补贴", "能繁母猪补贴", "光伏收益分红", "学前教育资助", "孤儿基本生活费", "冬季取暖补贴",
                  "易地搬迁补助", "寄宿生生活补助", "临时救助金", "养老服务补贴", "稻谷补贴", "改厕奖补"],
        "issue": ["{who}的{thing}{when}还没发", "{thing}{when}一直没到账", "{who}{when}的{thing}只发了一半",
                  "{thing}被停发了，{who}都没领到", "{who}申请的{thing}批了钱却没到", "{thing}到现在一分没见到"],
        "who": ["我家", "我们组", "村里好几户", "我父亲", "我奶奶", "我们几家", "全组", "我弟弟", "我们小区的老人"],
        "when": ["今年", "去年", "上半年", "2024年", "2025年", "下半年", "这个季度", "去年下半年"],
        "answer": ["问村里说上面没拨", "镇上说在核对名单", "说资金没到位", "说系统出问题了", "村干部说等通知",
                   "说名额有限", "财政所说要重新审核", "问了几次都没个准话"],
        "place": ["village", "village", "estate"],
    },
    "道路损坏": {
        "thing": ["路面", "水泥路", "沥青路", "人行道", "井盖", "护栏", "路灯", "便桥", "机耕道", "减速带", "排水沟",
                  "桥面", "通村公路", "边坡", "挡墙", "斑马线"],
        "issue": ["{thing}坏了", "{thing}塌了一大块", "{thing}裂开了好几道缝", "{thing}被大车压烂了",
                  "{thing}没了一直没人补", "有一段{thing}下沉", "{thing}被挖开以后没恢复", "{thing}积水严重"],
        "who": ["行人", "骑电动车的", "学生", "老人", "开车的", "摩托车"],
        "when": [""],
        "answer": ["问交通局说不归他们管", "村里说没钱修", "镇上说已经上报", "施工方说等验收", "打电话没人理",
                   "说要列入明年计划", "住建局和交通局互相推"],
        "place": ["road", "road", "village", "estate"],
    },
    "噪音扰民": {
        "thing": ["机器声", "音响", "电锯", "破碎机", "广场舞音乐", "夜间施工", "烧烤摊", "KTV", "装修电钻",
                  "大喇叭叫卖", "改装摩托车", "狗叫", "搅拌站", "放炮", "冷却塔", "风机"],
        "issue": ["{source}的{thing}吵得睡不着", "{source}天天晚上{thing}不停", "{source}{thing}太吵了",
                  "{thing}从早到晚响，是{source}弄的", "半夜{source}还在{thing}"],
        "who": ["住户", "老人", "孩子", "学生", "病人"],
        "when": ["每天晚上", "凌晨两三点", "一大早", "周末", "半夜", "通宵"],
        "answer": ["找过物业没用", "城管来了一次就走了", "派出所说调解", "环保局说不归他们管", "跟老板说了不听",
                   "投诉好几次没结果"],
        "place": ["estate", "road", "village"],
    },
    "拖欠工资": {
        "thing": ["工资", "工钱", "绩效", "年终奖", "加班费", "运费", "劳务费", "提成", "社保"],
        "issue": ["{source}欠我们{n}个人的{thing}", "{source}拖欠{thing}{dur}", "在{source}干活，{thing}一直不结",
                  "{source}老板跑了，{thing}没发", "{source}的包工头欠{thing}不给", "{source}扣着{thing}不发"],
        "who": ["工人", "农民工", "司机", "服务员", "保洁员", "老师", "保安", "木工", "钢筋工"],
        "when": [""],
        "answer": ["老板说没钱", "项目部说开发商没拨款", "劳动监察说在调查", "电话打不通", "说等年底一起结",
                   "说等验收以后给"],
        "place": ["company", "company", "project"],
    },
    "违规收费": {
        "thing": ["资料费", "服务费", "手续费", "停车费", "卫生费", "加急费", "赞助费", "管理费", "入户费",
                  "开户费", "补课费", "照相费", "评议费", "押金", "材料费", "保证金"],
        "issue": ["{inst}要收{money}的{thing}", "{inst}乱收{thing}，每人{money}", "去{inst}办事被收了{money}{thing}",
                  "{inst}强制收{thing}{money}", "{inst}收{thing}不给票据"],
        "who": ["家长", "群众", "老人", "业主", "农户", "商户"],
        "when": [""],
        "answer": ["说是上面规定的", "不交就不给办", "也说不出收费依据", "没有发票", "说是自愿其实强制"],
        "place": ["institution", "institution", "estate"],
    },
    "环境污染": {
        "thing": ["污水", "黑烟", "粉尘", "臭味", "垃圾", "废水", "油漆味", "粪水", "泥浆", "焦油味", "死鱼", "废渣"],
        "issue": ["{source}排{thing}", "{source}的{thing}太大了", "{source}偷偷往河里排{thing}",
                  "{source}{thing}熏得人头疼", "有人在{place}乱倒{thing}", "{source}附近全是{thing}"],
        "who": ["村民", "居民", "学生", "老人"],
        "when": ["晚上", "天天", "下雨天", "每天下午", "一到夏天"],
        "answer": ["环保局来看了没下文", "村里说管不了", "厂里说达标排放", "镇上说在整改", "反映了没人来"],
        "place": ["company", "village", "estate"],
    },
    "办事难": {
        "thing": ["营业执照", "户口", "身份证", "不动产证", "残疾证", "低保", "医保报销", "社保转移", "公积金提取",
                  "林权证", "建房审批", "居住证", "养老认证", "出生证明", "失业金", "临时救助", "转学手续"],
        "issue": ["在{inst}办{thing}跑了{n}趟", "{inst}办{thing}一直拖", "{thing}在{inst}办不了，让去县里",
                  "{inst}办{thing}要的证明一大堆", "{inst}窗口办{thing}没人", "{thing}网上办不了，{inst}又让回去网上办"],
        "who": ["老人", "群众", "我", "我们"],
        "when": [""],
        "answer": ["每次说缺一样材料", "互相推", "说系统坏了", "说在走流程", "窗口没人", "说要等上级文件"],
        "place": ["institution", "institution", "village"],
    },
    "政策不落实": {
        "thing": ["老旧小区改造", "免费公交", "就近入学", "集中供水", "家庭医生签约", "营养午餐", "客运班线",
                  "高标准农田", "扶贫车间", "社区食堂", "减租政策", "贷款贴息", "村务公开", "改厕", "养老服务站",
                  "光伏并网", "人才安家费", "农村电网改造"],
        "issue": ["{thing}说了好久没落实", "{thing}挂了牌子就没下文", "{thing}到现在没动静", "{thing}的政策在我们这没执行",
                  "{thing}成了摆设", "说好的{thing}一直不兑现"],
        "who": ["群众", "老百姓", "村民", "居民", "家长", "老人"],
        "when": ["今年", "去年", "两年了", ""],
        "answer": ["问镇上说没文件", "说资金没到", "说在规划", "相关部门互相推", "说明年再说"],
        "place": ["village", "estate", "institution"],
    },
}


def _wide_towns() -> dict[str, list[str]]:
    pairs = [a + b for a in FIRST for b in SECOND]
    counties = [p + "县" for p in pairs[::3]]
    towns = [p[1] + p[0] + ("镇" if i % 3 else "乡") for i, p in enumerate(pairs)]
    rng = random.Random(7)
    return {c: rng.sample(towns, 8) + ["城关街道"] for c in counties}


def _core(town: str) -> str:
    """How a citizen may write a town: 梅溪镇 → 梅溪, 城关街道 → 城关."""
    return town[:-2] if town.endswith("街道") else town[:-1]


class Writer:
    """Writes distractor clues, seeded. `avoid`: (category, all the text of one test pair) for each pair."""

    def __init__(self, *, seed: int, avoid: Iterable[tuple[str, str]] = (), wide: bool = False,
                 local_share: float = 0.6):
        self.rng = random.Random(seed)
        self.local = COUNTY_TOWNS
        self.wide = _wide_towns() if wide else {}
        self.local_share = local_share if wide else 1.0
        villages = {a + b + "村" for a in VILLAGE_SYLLABLES[::2] for b in VILLAGE_SYLLABLES[1::2]}
        villages |= {VILLAGE_SYLLABLES[i : i + 2] + "村" for i in range(0, len(VILLAGE_SYLLABLES), 2)}
        self.villages = sorted(villages)
        self.companies = [a + b + c for a in COMPANY_WORDS for b in COMPANY_WORDS if a != b for c in INDUSTRIES]
        self.companies = [c for c in self.companies if c[:2] not in ("鑫源", "宏达", "恒通", "永盛", "鑫隆", "顺达", "华兴")]
        self.categories = sorted(CATEGORIES)
        # (town core, place) pairs named together by a test pair, and places named by a test pair without a town
        self.blocked: set[tuple[str, str]] = set()
        fines = set(self.villages) | set(ESTATES) | set(ROADS) | set(INSTITUTIONS)
        towns = {t for ts in COUNTY_TOWNS.values() for t in ts}
        self.category_blocked: set[tuple[str, str]] = set()
        for category, text in avoid:
            named = [f for f in fines if f in text]
            here = [_core(t) for t in towns if _core(t) in text] or ["*"]
            self.blocked |= {(t, f) for t in here for f in named}
            self.category_blocked |= {(category, f) for f in named}
        self.anywhere_blocked = {f for t, f in self.blocked if t == "*"}

    def _town(self) -> tuple[str, str]:
        table = self.local if self.rng.random() < self.local_share else self.wide
        county = self.rng.choice(list(table))
        return county, self.rng.choice(table[county])

    def _fine(self, kind: str, town: str, category: str) -> str:
        core = _core(town)
        for _ in range(20):
            if kind == "village":
                fine = self.rng.choice(self.villages)
            elif kind == "estate":
                fine = self.rng.choice(ESTATES)
            elif kind == "road":
                fine = self.rng.choice(ROADS)
            elif kind == "institution":
                fine = self.rng.choice(INSTITUTIONS)
            else:
                return self.rng.choice(self.companies)
            if ((core, fine) not in self.blocked and fine not in self.anywhere_blocked
                    and (category, fine) not in self.category_blocked):
                return fine
        return self.rng.choice(self.companies)

    def clue(self) -> tuple[str, str, str]:
        """(category, place as typed, text) of one new distractor."""
        rng = self.rng
        category = rng.choice(self.categories)
        stock = CATEGORIES[category]
        county, town = self._town()
        kind = rng.choice(stock["place"])
        fine = self._fine(kind, town, category)
        if kind == "institution":
            fine_text = (town if rng.random() < 0.6 else _core(town)) + fine
        elif kind == "project":
            fine_text = rng.choice(ESTATES[:12]) + rng.choice(["项目", "工地", "二期工地"])
        else:
            fine_text = fine
        n = rng.randint(2, 60)
        money = rng.choice([f"{rng.choice([20, 50, 100, 200, 300, 500, 800, 1000, 1500, 3000])}元",
                            rng.choice(["五十块", "一百块", "两百块", "三百块", "五百", "一千块"])])
        fill = {
            "thing": rng.choice(stock["thing"]),
            "who": rng.choice(stock["who"]),
            "when": rng.choice(stock["when"]),
            "source": fine_text if kind in ("company", "project", "institution") else rng.choice(self.companies),
            "inst": fine_text if kind == "institution" else _core(town) + self._fine("institution", town, category),
            "place": fine_text,
            "n": n,
            "money": money,
            "dur": rng.choice(DURATIONS).format(n=rng.randint(2, 11)),
        }
        issue = rng.choice(stock["issue"]).format(**fill)
        where = rng.choice([
            f"{county}{town}{fine_text}", f"{town}{fine_text}", f"{_core(town)}{fine_text}", f"{fine_text}",
            f"我们{town}{fine_text}", f"{town}的{fine_text}",
        ]) if kind not in ("company", "project", "institution") else rng.choice([town, county + town, "", ""])
        if kind == "institution" and _core(town) in fine_text:
            where = rng.choice([county, "", ""])
        parts = [where + ("，" if where and rng.random() < 0.4 else "") + issue]
        if rng.random() < 0.7:
            parts.append(rng.choice(DURATIONS).format(n=rng.randint(2, 11)))
        if rng.random() < 0.7:
            parts.append(rng.choice(stock["answer"]))
        if rng.random() < 0.5:
            parts.append(rng.choice(["{}受不了".format(fill["who"]), "影响很大", "{}很有意见".format(fill["who"]),
                                     "出了事谁负责", "大家都很着急", "生活都成问题"]))
        tail = parts[1:]
        rng.shuffle(tail)  # the problem first; the rest in any order
        parts = parts[:1] + tail
        text = rng.choice(OPENINGS) + "，".join(p for p in parts if p) + "，" + rng.choice(REQUESTS)
        text = text.rstrip("，")
        place = rng.choice([county + town, town, county, county + town + (fine if kind in ("village", "estate") else "")])
        return category, place, text

"""Reference data and generators shared by the ``seed_demo`` and ``seed_scale`` commands.

Reference data (tags, categories, deadline policies, escalation rules) is upserted by its
natural key with ``get_or_create``, so running a seed twice, or after an administrator edited
a row, never duplicates or overwrites anything.
"""

import random
from datetime import date, timedelta

from accountability.models import EscalationRule
from casework.models import Category, DeadlinePolicy, Urgency
from households.models import Tag

# (code, name, detail label); order is the display order.
TAGS = [
    ("needy", "困难户", ""),
    ("dibao", "低保户", ""),
    ("wubao", "五保户", ""),
    ("out-of-poverty", "脱贫户", ""),
    ("monitored", "监测户", "风险类型"),
    ("petitioner", "上访户", ""),
    ("well-off", "富裕户", ""),
    ("veteran-party-member", "老党员", ""),
    ("retired-cadre", "老干部", ""),
    ("model-worker", "老模范", ""),
    ("left-behind-elderly", "留守老人", ""),
    ("left-behind-child", "留守儿童", ""),
    ("disability", "残疾", ""),
]
RISK_TYPES = ["因病返贫风险", "因残致贫风险", "因学返贫风险", "因灾返贫风险", "务工就业不稳", "突发严重困难"]

CATEGORIES = [
    ("employment", "就业"),
    ("healthcare", "医疗"),
    ("education", "教育"),
    ("housing", "住房"),
    ("infrastructure", "基础设施"),
    ("social-assistance", "社会救助"),
    ("land", "土地"),
    ("dispute", "矛盾纠纷"),
    ("environment", "环境"),
    ("policy-question", "政策咨询"),
    ("other", "其他"),
]

# Working days per urgency for every category, then the categories that differ.
DEFAULT_DEADLINES = {Urgency.NORMAL: 10, Urgency.URGENT: 5, Urgency.CRITICAL: 2}
CATEGORY_DEADLINES = {
    ("housing", Urgency.NORMAL): 20,
    ("infrastructure", Urgency.NORMAL): 30,
    ("infrastructure", Urgency.URGENT): 10,
    ("land", Urgency.NORMAL): 20,
    ("policy-question", Urgency.NORMAL): 5,
    ("social-assistance", Urgency.URGENT): 3,
}

# (code, name, subject, offset days from the due date, working days?, audience).
# A concern's "due date" is when it was raised: it should reach an outcome within days.
ESCALATION_RULES = [
    ("commitment-reminder", "承诺事项到期前提醒", "commitment", -2, True, "owner"),
    ("commitment-overdue", "承诺事项逾期", "commitment", 0, False, "supervisor"),
    ("commitment-overdue-7", "承诺事项逾期7天以上", "commitment", 7, False, "next_supervisor"),
    ("commitment-overdue-30", "承诺事项逾期30天以上", "commitment", 30, False, "inspectors"),
    ("concern-idle-7", "诉求7天未处理", "concern", 7, False, "owner"),
    ("concern-idle-14", "诉求14天未处理", "concern", 14, False, "supervisor"),
    ("concern-idle-30", "诉求30天未处理（只记不办）", "concern", 30, False, "inspectors"),
    ("commitment-stalled-14", "承诺事项14天无进展", "stalled", 14, False, "owner"),
    ("petition-reminder", "信访件办理期限前提醒", "petition", -3, True, "owner"),
    ("petition-overdue", "信访件超期", "petition", 0, False, "supervisor"),
    ("petition-overdue-30", "信访件超期30天以上", "petition", 30, False, "inspectors"),
]


def seed_reference_data() -> dict:
    """Create the tags, categories, deadline policies and escalation rules that are missing."""
    tags = {}
    for order, (code, name, detail_label) in enumerate(TAGS):
        tags[code], _ = Tag.objects.get_or_create(
            code=code, defaults={"name": name, "detail_label": detail_label, "sort_order": order * 10}
        )
    categories = {}
    for order, (code, name) in enumerate(CATEGORIES):
        categories[code], _ = Category.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": order * 10}
        )
    for urgency, days in DEFAULT_DEADLINES.items():
        DeadlinePolicy.objects.get_or_create(category=None, urgency=urgency, defaults={"working_days": days})
    for (code, urgency), days in CATEGORY_DEADLINES.items():
        DeadlinePolicy.objects.get_or_create(
            category=categories[code], urgency=urgency, defaults={"working_days": days}
        )
    rules = {}
    for code, name, subject, offset, working, audience in ESCALATION_RULES:
        rules[code], _ = EscalationRule.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "subject": subject,
                "offset_days": offset,
                "working_days": working,
                "audience": audience,
            },
        )
    return {"tags": tags, "categories": categories, "rules": rules}


# Common surnames, the most frequent repeated so that they come up more often.
SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    "蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊白孟秦邱江尹薛闫段雷侯龙史陶黎"
)
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉建国华斌鹏飞波宇浩俊峰文志海林福贵永德兴旺忠山春生荣家庆"
GIVEN_FEMALE = "芳娟敏静丽秀英霞燕玲桂兰红梅琳婷雪慧萍凤珍琴云洁娜玉美月翠金花香素春"


def chinese_name(rng: random.Random, *, sex: str = "M", surname: str | None = None) -> str:
    chars = GIVEN_MALE if sex == "M" else GIVEN_FEMALE
    given = rng.choice(chars) if rng.random() < 0.3 else rng.choice(chars) + rng.choice(chars)
    return (surname or rng.choice(SURNAMES)) + given


def phone_number(rng: random.Random) -> str:
    return rng.choice(["13", "15", "17", "18", "19"]) + "".join(str(rng.randrange(10)) for _ in range(9))


def id_number(rng: random.Random, *, region_prefix: str, birth_year: int, sex: str) -> str:
    """A well-formed 18-character resident ID number (GB 11643) for a made-up person."""
    born = date(birth_year, 1, 1) + timedelta(days=rng.randrange(365))
    sequence = rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)  # odd for men, even for women
    body = f"{region_prefix[:6]}{born:%Y%m%d}{sequence:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


# Small phrase lists for visit records (所思所想所盼所怨) and casework texts.
THOUGHTS = [
    "关心今年茶叶收购价格",
    "惦记在外务工的儿子",
    "担心老人身体一年不如一年",
    "想着孩子明年升学的事",
    "琢磨着把闲置房屋改成民宿",
    "关心医保报销比例有没有变化",
    "想趁农闲学门手艺",
    "觉得村里这两年变化很大",
    "担心今年雨水多影响收成",
    "想把老房子翻修一下",
    "关心村里集体经济分红",
    "对村里垃圾分类有想法",
]
WANTS = [
    "希望就近找份稳定工作",
    "想了解养老保险缴费档次",
    "想申请小额信贷发展养殖",
    "希望办理慢性病卡",
    "想给老人申请高龄津贴",
    "希望孩子能参加职业技能培训",
    "想了解危房改造补助标准",
    "希望村里多组织招聘会",
    "想把承包地流转出去",
    "希望有人帮忙销售农产品",
]
HOPES = [
    "盼望村里早日通公交",
    "盼着自来水早点入户",
    "希望村卫生室常驻医生",
    "盼望村道装上路灯",
    "希望村里建个老年活动室",
    "盼望网络信号更好些",
    "希望多开展文化下乡活动",
    "盼着河道整治早日完工",
]
COMPLAINTS = [
    "雨天村道积水严重",
    "垃圾清运不够及时",
    "办事要来回跑好几趟",
    "低保评定过程不够公开",
    "邻里宅基地边界有争议",
    "附近养殖场有异味",
    "灌溉水渠年久失修",
    "村务公开栏很久没更新",
]
POLICIES = [
    "宣讲了城乡居民医保参保政策",
    "讲解了低保申请条件和流程",
    "介绍了防止返贫动态监测帮扶政策",
    "宣传了农村危房改造补助政策",
    "讲解了就业技能培训补贴政策",
    "介绍了高龄津贴发放标准",
    "讲解了宅基地管理和耕地保护规定",
    "宣传了雨露计划教育资助政策",
    "介绍了残疾人两项补贴政策",
]
HELP = [
    "帮助填写医保报销材料",
    "送去米、油等慰问品",
    "协调村医上门体检",
    "帮助联系镇劳动保障所",
    "代办了社保卡挂失补办",
    "帮忙联系农技员指导种植",
    "帮助老人网上缴纳医保",
]
# How often each category comes up among concerns.
CONCERN_WEIGHTS = {
    "employment": 12,
    "healthcare": 14,
    "education": 7,
    "housing": 10,
    "infrastructure": 14,
    "social-assistance": 12,
    "land": 7,
    "dispute": 6,
    "environment": 7,
    "policy-question": 9,
    "other": 2,
}
CONCERN_TEXTS = {
    "employment": [
        "家中劳动力闲置，希望推荐附近企业就业",
        "儿子返乡后想参加技能培训",
        "想申请公益性岗位",
        "务工工资被拖欠，希望帮助追讨",
    ],
    "healthcare": [
        "老人慢性病用药负担重，希望办理慢病卡",
        "大病住院费用高，申请医疗救助",
        "希望家庭医生上门随访",
        "医保异地报销手续不清楚",
    ],
    "education": ["孩子上学路远，希望解决接送问题", "申请雨露计划教育资助", "孩子有特殊需要，希望送教上门"],
    "housing": ["房屋墙体开裂，申请危房鉴定和改造", "屋顶漏雨需要修缮", "老房子年久失修，希望纳入改造计划"],
    "infrastructure": [
        "门前道路破损，雨天积水",
        "自来水水压不足",
        "路灯损坏不亮",
        "桥梁护栏缺失存在安全隐患",
        "灌溉水渠堵塞",
    ],
    "social-assistance": ["家庭收入下降，申请低保", "残疾人两项补贴未到账", "高龄津贴未按时发放", "申请临时救助"],
    "land": ["承包地边界与邻居有争议", "土地流转租金未按时支付", "宅基地审批进度慢"],
    "dispute": ["与邻居因排水沟发生纠纷", "家庭赡养纠纷需要调解", "与施工方因噪音产生矛盾"],
    "environment": ["附近养殖场异味扰民", "垃圾收集点清运不及时", "河道有生活垃圾", "企业夜间噪音扰民"],
    "policy-question": [
        "咨询城乡居民养老保险补缴政策",
        "咨询耕地地力保护补贴发放",
        "咨询医保报销范围",
        "咨询生育补贴申领条件",
    ],
    "other": ["希望村里组织文化活动", "反映村务公开信息更新不及时", "希望增设快递收发点"],
}
PLEDGES = {
    "employment": "联系镇劳动保障所推荐岗位并跟进落实",
    "healthcare": "协助办理慢病卡和医疗救助申请并跟踪审批",
    "education": "协调教育部门研究解决并反馈",
    "housing": "组织危房鉴定并申报改造补助",
    "infrastructure": "协调相关部门现场勘查并安排修复",
    "social-assistance": "协助提交申请材料并跟踪审核结果",
    "land": "组织双方现场勘界并调解",
    "dispute": "组织村调委会调解并回访",
    "environment": "协调环保和属地部门整治并反馈",
    "policy-question": "向主管部门书面咨询后上门答复",
    "other": "提交村两委研究并答复",
}
RESOLVED_NOTES = ["现场讲解政策，群众表示理解", "当场联系村医上门处理", "现场协调邻里达成一致", "当场帮助完成线上申请"]
NOT_ACTIONABLE_NOTES = [
    "诉求超出政策范围，已当面解释",
    "属于个人民事纠纷，已引导通过司法途径解决",
    "经核实不符合申请条件，已当面说明",
]
PROGRESS_TEXTS = [
    "已联系相关部门，等待答复",
    "已现场查看并提交申请材料",
    "施工队已进场",
    "材料已报镇里审核",
    "已与群众电话沟通进展",
]
EXTENSION_REASONS = ["需等待县级部门审批", "施工受雨季影响", "资金需纳入下一批次计划"]
CANCEL_REASONS = ["群众已自行解决，申请撤销", "户主已迁出本村", "经核实与其他事项重复"]
REOPEN_REASONS = ["群众回访不满意：问题未彻底解决", "群众反映修复后再次损坏"]

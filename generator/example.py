"""The example unit: 桃源县郑家驿镇人民政府, 2024 — the one source of the example data.

The figures and texts are those of the published report
(``shared/reference/zhengjiayi-2024-report.txt``), typed as a clerk would,
including its slips (the audit must find them). The published report has no
attachment tables, so the figures used only there (项目 sheets, 基础数据,
三公 budget, indicator weights, bands and reasons) are illustrative and the
workbook says so.

It lives in the package so that an installed ``generator`` can build the
example workbook anywhere: ``tools/build_example.py`` writes ``data/2024.xlsx``
from it, ``generate --template-check`` renders templates against it, and the
field reference (``docs/fields.md``) shows its values.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import tempfile
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from . import schema
from .xlsx_writer import write_workbook

BASIC = {
    "year": 2024,
    "unit_name": "桃源县郑家驿镇人民政府",
    "unit_short": "郑家驿镇政府",
    "area_name": "郑家驿镇",
    "unit_rank": "正科级行政机关",
    "address": "桃源县郑家驿镇墟场",
    "report_date": dt.datetime(2025, 9, 15),
    "internal_count": 6,
    "subunit_summary": None,
    "competent_dept": "桃源县郑家驿镇人民政府",
}

ORGS = [{"type": "内设机构", "name": n} for n in
        ("党政办公室", "党建办公室", "经济发展办公室", "平安法治和应急管理办公室")] + \
       [{"type": "下设机构", "name": n} for n in
        ("农业综合服务中心", "社会事务综合服务中心（加挂安全生产监督管理站牌子）", "生态事务中心",
         "退役军人服务站", "综合行政执法大队")]

STAFF = [
    {"category": "合计", "name": "全镇", "established": 81, "actual": 72},
    {"category": "行政编制", "name": "行政", "established": 30, "actual": 26},
    {"category": "机关工勤", "name": "机关工勤", "established": 1, "actual": 0},
    {"category": "财政所", "name": "财政所", "established": 6, "actual": 5},
    {"category": "事业编制", "name": "事业编制合计", "established": 50, "actual": 43},
    {"category": "事业单位", "name": "农业综合服务中心", "established": 18, "actual": 16},
    {"category": "事业单位", "name": "社会事务综合服务中心", "established": 14, "actual": 11},
    {"category": "事业单位", "name": "生态事务中心", "established": 5, "actual": 4},
    {"category": "事业单位", "name": "综合行政执法大队", "established": 10, "actual": 7},
    {"category": "事业单位", "name": "退役军人服务站", "established": 3, "actual": 3},
]

FINANCE = {
    "assets_total": D("1813.15"), "assets_current": D("1320.99"), "assets_noncurrent": D("492.16"),
    "liabilities": D("1173.31"), "net_assets": D("639.84"),
    "income_budget": D("3247.99"), "income_total": D("2826.23"), "income_general": D("2717.40"),
    "income_fund": D("21.90"), "income_state_capital": D("0.39"), "income_special": D("0.00"),
    "income_other": D("86.55"), "carry_in": D("0.00"),
    "exp_budget": D("3247.99"), "exp_budget_basic": D("601.41"), "exp_budget_project": D("2646.58"),
    "budget_full_year": D("3321.47"),
    "exp_total": D("2826.23"), "exp_basic": D("1437.78"), "exp_project": D("1388.46"),
    "carry_out": D("0.00"), "exp_project_prev": D("1450.00"),
}

SANGONG = {
    "total": {"prev_actual": D("96380.00"), "budget": D("96400.00"), "actual": D("46000.00")},
    "vehicle": {"prev_actual": D("0.00"), "budget": D("0.00"), "actual": D("0.00")},
    "vehicle_purchase": {"prev_actual": D("0.00"), "budget": D("0.00"), "actual": D("0.00")},
    "vehicle_running": {"prev_actual": D("0.00"), "budget": D("0.00"), "actual": D("0.00")},
    "abroad": {"prev_actual": D("0.00"), "budget": D("0.00"), "actual": D("0.00")},
    "reception": {"prev_actual": D("96380.00"), "budget": D("96400.00"), "actual": D("46000.00")},
}

BASE_DATA = {
    "public": {"prev_actual": D("150.00"), "budget": D("120.00"), "actual": D("180.50")},
    "office": {"prev_actual": D("40.00"), "budget": D("35.00"), "actual": D("45.20")},
    "utilities": {"prev_actual": D("15.00"), "budget": D("12.00"), "actual": D("16.30")},
    "meetings": {"prev_actual": D("5.00"), "budget": D("4.00"), "actual": D("6.10")},
    "procurement": {"prev_actual": D("80.00"), "budget": D("100.00"), "actual": D("95.60")},
}

OTHER = {
    "frugality": "严格执行中央八项规定及其实施细则精神，建立公务接待、公务用车、会议培训等内部管理制度，"
                 "经费支出实行事前审批、集体决策，压减一般性支出。",
}

P, B, S = schema.LEVEL1_OUTPUT, schema.LEVEL1_BENEFIT, schema.LEVEL1_SATISFACTION
PCT = "%"


def ind(l1, l2, name, comp, target, actual, unit, weight, band=None, manual=None, reason=None, source=None):
    return {"level1": l1, "level2": l2, "name": name, "comparator": comp, "target": target, "actual": actual,
            "unit": unit, "weight": D(weight), "band": band, "manual_score": D(manual) if manual else None,
            "reason": reason, "source": source}


INDICATORS = [
    ind(P, "数量指标", "开展党建工作：中心组", None, D(1), D(1), "次/月", "2"),
    ind(P, "数量指标", "党建工作：开展村、社区党员干部集中教育培训", None, D(1), D(1), "次/年", "2"),
    ind(P, "数量指标", "安全隐患排查", None, D(40), D(40), "次", "2"),
    ind(P, "数量指标", "人居环境整治项目", None, D(12), D(12), "个", "2"),
    ind(P, "数量指标", "村组道路修建硬化", None, D(5), D(5), "个村组", "2"),
    ind(P, "数量指标", "走访慰问困难群众和特殊群众", None, "20次/1100人次", "22次/1150人次", "", "2", band="达成"),
    ind(P, "数量指标", "粮食种植面积", None, D(72804), D(72804), "亩", "2"),
    ind(P, "数量指标", "油茶新造面积", None, D(500), D(500), "亩", "2"),
    ind(P, "数量指标", "塘坝清淤数", None, D(28), D(28), "口", "2"),
    ind(P, "数量指标", "禁毒、消防宣传活动发放资料", "超过", D(2000), D(1500), "份", "2",
        reason="宣传活动以线上推送和入户宣讲为主，纸质资料印发少于计划；下一步结合赶集日集中宣传，按计划足量发放。"),
    ind(P, "质量指标", "厕所革命验收合格率", None, D(1), D(1), PCT, "1.5"),
    ind(P, "质量指标", "工程验收合格率", None, D(1), D(1), PCT, "1.5"),
    ind(P, "质量指标", "安全生产、秸秆禁烧、森林防火宣传覆盖率", None, D(1), D(1), PCT, "1.5"),
    ind(P, "质量指标", "行政村考核达标率", None, D(1), D(1), PCT, "1.5"),
    ind(P, "质量指标", "基层治理水平达标率", None, D(1), D(1), PCT, "1.5"),
    ind(P, "质量指标", "预算支出执行率", "≥", D("0.95"), D("0.85"), PCT, "1.5",
        reason="其他收入和非税收入不在年初预算编制范围内，年中追加项目资金未在年内支付完毕；下一步细化预算编制，加快项目实施和资金支付进度。",
        source="执行率"),
    ind(P, "质量指标", "工作人员考核达标率", "≥", D("0.95"), D(1), PCT, "1.5"),
    ind(P, "质量指标", "年度重点工作完成率", "≥", D("0.90"), D(1), PCT, "1.5"),
    ind(P, "质量指标", "医保参保率", "≥", D("0.90"), D("0.80"), PCT, "1.5",
        reason="外出务工人员较多，部分群众在务工地参保或参保意愿不强；下一步加强政策宣传，逐户动员参保。"),
    ind(P, "质量指标", "司法调解率", "≥", D("0.90"), D("0.95"), PCT, "1.5"),
    ind(P, "时效指标", "资金拨付及时率", None, D(1), D(1), PCT, "2"),
    ind(P, "时效指标", "工程完成及时率", None, D(1), D(1), PCT, "2"),
    ind(P, "时效指标", "应急处置及时率", None, D(1), D(1), PCT, "2"),
    ind(P, "时效指标", "各类补贴发放及时率", None, D(1), D(1), PCT, "2"),
    ind(P, "成本指标", "成本控制率", "≤", D(1), D("0.85"), PCT, "2"),
    ind(P, "成本指标", "三公经费控制", "≤", D("9.64"), D("4.60"), "万元", "2", source="三公经费本年"),
    ind(P, "成本指标", "成本总额", "≤", D("3247.99"), D("2826.23"), "万元", "3", source="决算支出"),
    ind(B, "经济效益指标", "人均收入和地区经济增长", None, "都有一定提升", "有一定提升", "", "2.5",
        band="部分达成", manual="1.36",
        reason="产业基础薄弱，农民增收渠道较窄，经济增长幅度有限；下一步做强粮食、油茶等主导产业，加大招商引资力度。"),
    ind(B, "社会效益指标", "重大安全事故、重大动物疫病和重大森林火灾", None, "0发生", "0发生", "", "2.5"),
    ind(B, "社会效益指标", "困难就业人员就业率", "≥", D("0.80"), D("0.85"), PCT, "2.5"),
    ind(B, "社会效益指标", "交通事故发生减少率", None, "降低", "降低", "", "2.5"),
    ind(B, "社会效益指标", "群众生活幸福指数", None, "提高", "提高", "", "2.5"),
    ind(B, "生态效益指标", "辖区内环境美化提升度", None, "提升", "提升", "", "2.5"),
    ind(B, "生态效益指标", "河涌整治覆盖率", "≥", D("0.90"), D("0.95"), PCT, "2.5"),
    ind(B, "生态效益指标", "生态破坏事件", None, "0发生", "0发生", "", "2.5"),
    ind(B, "生态效益指标", "秀美桃源排名", None, "全县前10", "未进入全县前10", "", "2.5", band="部分达成",
        reason="每月不定期检查各村居卫生情况，但在全县排名中未能靠前；明年针对存在的问题和不足进行整改提升，争取提高排名。"),
    ind(B, "可持续影响指标", "党风廉政宣传率", "达到", D(1), D(1), PCT, "2.5"),
    ind(B, "可持续影响指标", "党员干部思想认识度", None, "提高", "提高", "", "2.5"),
    ind(B, "可持续影响指标", "机构运行保障度", None, "有效保障", "有效保障", "", "2.5"),
    ind(S, "服务对象满意度指标", "直接受益对象满意度", "以上", D("0.90"), D("0.93"), PCT, "10"),
]


def project(name, prev, initial, full, executed, goal, achieved):
    return {"name": name, "department": "桃源县郑家驿镇人民政府", "implementer": "桃源县郑家驿镇人民政府",
            "prev_actual": D(prev), "initial_fiscal": D(initial), "initial_carry": D("0.00"), "initial_other": D("0.00"),
            "full_fiscal": D(full), "full_carry": D("0.00"), "full_other": D("0.00"),
            "exec_fiscal": D(executed), "exec_carry": D("0.00"), "exec_other": D("0.00"),
            "goal": goal, "achieved": achieved, "note": "示意数据"}


PROJECTS = [
    project("乡村振兴及人居环境整治项目", "700.00", "1200.00", "1250.00", "620.35",
            "完成人居环境整治项目12个，推进农村厕所革命，巩固拓展脱贫攻坚成果。",
            "完成人居环境整治项目12个，改厕验收合格率100%，监测户和脱贫户逐户走访全覆盖。"),
    project("农村基础设施建设项目", "450.00", "946.58", "970.06", "518.11",
            "完成5个村组道路修建硬化，推进安全饮水工程和塘坝清淤。",
            "完成5个村组道路硬化，清淤塘坝28口，工程验收合格率100%。"),
    project("基层治理与民生保障项目", "300.00", "500.00", "500.00", "250.00",
            "保障村（社区）组织正常运转，做好走访慰问、司法调解和应急处置。",
            "14个村（社区）组织正常运转，走访慰问困难群众22次/1150人次，司法调解率95%。"),
]


def pind(project_name, l1, l2, name, comp, target, actual, unit, weight, **kw):
    row = ind(l1, l2, name, comp, target, actual, unit, weight, **kw)
    row.pop("source")
    return {"project": project_name, **row}


PROJECT_INDICATORS = []
for _name, _count_name, _count, _unit in (
    ("乡村振兴及人居环境整治项目", "人居环境整治项目", 12, "个"),
    ("农村基础设施建设项目", "村组道路修建硬化", 5, "个村组"),
    ("基层治理与民生保障项目", "走访慰问困难群众", 22, "次"),
):
    PROJECT_INDICATORS += [
        pind(_name, P, "数量指标", _count_name, "≥", D(_count), D(_count), _unit, "12.5"),
        pind(_name, P, "质量指标", "验收合格率", None, D(1), D(1), PCT, "12.5"),
        pind(_name, P, "时效指标", "资金拨付及时率", None, D(1), D(1), PCT, "12.5"),
        pind(_name, P, "成本指标", "成本控制率", "≤", D(1), D("0.96"), PCT, "12.5"),
        pind(_name, B, "社会效益指标", "群众生产生活条件", None, "改善", "改善", "", "15"),
        pind(_name, B, "可持续影响指标", "长效管护机制", None, "建立", "建立", "", "15"),
        pind(_name, S, "服务对象满意度指标", "受益群众满意度", "≥", D("0.90"), D("0.93"), PCT, "10"),
    ]


def t(section, text, title=None):
    return {"section": schema.TEXT_SECTIONS[section], "title": title, "text": text}


TEXTS = [
    t("duties", "宣传和贯彻执行党的路线方针政策和党中央、上级党组织及本级党员代表大会（党员大会）的决议。执行本级人民代表大会的决议和上级国家行政机关的决定和命令，发布决定和命令。"),
    t("duties", "讨论和决定本辖区党的建设、政治建设、经济建设、文化建设、社会建设、生态文明建设以及乡村振兴中的重大问题。执行辖区经济和社会发展计划、预算，管理辖区内的经济、教育、科学、文化、卫生、体育、城乡建设等事业和生态环境保护，自然资源、财政、民政、社会保障、公安、民族宗教、司法行政、人口与计划生育等行政工作。"),
    t("duties", "加强镇党委自身建设和村（社区）党组织建设，以及其他隶属镇党委的党组织建设，抓好发展党员工作，加强党员队伍建设。维护和执行党的纪律，监督党员、干部和其他工作人员严格遵守国家法律法规。"),
    t("duties", "按照干部管理权限，负责干部教育、培训、选拔、考核和监督。协助管理上级有关部门驻镇单位的工作人员。做好人才服务和引进工作。"),
    t("duties", "负责辖区内公共服务、公共管理、公共安全等工作，依法履行综合管理、统筹协调、应急处置和行政执法等职责，反映居民的意见和要求。"),
    t("duties", "领导本辖区的基层治理，加强社会主义民主法治建设和精神文明建设，加强社会治安综合治理，做好美丽乡村建设等工作。"),
    t("duties", "完成县委、县政府交办的其他任务。"),
    t("goals", "全面深化基层党建标准化建设。"),
    t("goals", "完成农村人居环境整治、厕所革命等乡村振兴工作。"),
    t("goals", "完善基础设施建设与惠民项目资金的管理，道路修扩建、硬化工程、安全饮水工程等验收。"),
    t("goals", "加强民生事业，保障社会和谐稳定。"),
    t("goals", "全面推进居民医保、养老保险，完善社会救助模式。"),
    t("goals", "狠抓招商引资提质增量。"),
    t("goals", "财务方面严格按照“三公”经费预算管理的规定实施。"),
    t("goals", "走访慰问困难群众和特殊群体。"),
    t("goals", "保证社区、村级组织健康、正常运转。"),
    t("goals", "处理好群众性突发事件，做好司法调解工作，群众满意度普遍提升。"),
    t("goals_achieved", "全年完成基层党建标准化建设、人居环境整治项目12个、村组道路修建硬化5个村组等重点工作，民生保障、基层治理和安全生产总体平稳，预算执行率{执行率}。禁毒、消防宣传资料发放和医保参保率未达到年度目标。"),
    t("sangong_note", "今年本镇严格控制三公经费支出，降低运行成本"),
    t("evaluation_work", "根据县财政相关部门统一部署，我单位{年度}年部门整体支出绩效自评情况将在单位门户网站公开，接受社会监督。对绩效自评工作中发现的问题及时整改，解决好绩效评价管理中存在的问题，提高工作效能。"),
    t("benefits", "{年度}年，我镇强化产业建设，促进农民增收。加大粮食生产力度，做强做大粮食生产主导产业。", "提升地区经济效益"),
    t("benefits", "一是确保安全生产不出事故。集中力量狠抓农用车载客、企业安全生产和校车规范运营等安全生产查处和管理工作，制定了有效的工作方案措施，明确综治工作职责和责任追究制度。加大安全生产宣传力度，制作安全生产警示牌，对道路交通安全、学校食堂餐馆食品卫生安全、地质灾害监测点、防汛安全等进行了不定期的全面大排查、大整治。二是及时调解纠纷，确保无进京、赴省信访人员。认真落实矛盾纠纷排查调处制度，做到重点信访对象有效稳控，无进京、赴省信访发生。纠纷调解及时，调解成功率达95%以上,无刑事案件发生，治安形势较好。三是巩固拓展脱贫攻坚成果同乡村振兴有效衔接。突出重点关键，对照上级考核指标和有关要求，采取针对性措施，特别是监测户和脱贫户，要严格按照“逐户走访、逐项核对”的原则，了解脱贫户及监测户家庭成员情况、生产生活情况、外出务工情况、收入情况、厕所革命和饮水安全的落实情况等。同时，保障乡村道路硬化工作的稳步推进，进一步完善镇村基础设施建设。", "提升地区社会效益"),
    t("benefits", "全面推进环境整治工作，积极响应“秀美桃源”建设的号召，每月不定期检查各村居卫生情况，但在全县排名中未能靠前，明年要根据自身存在的问题和不足之处进行整改提升，争取提高排名。规范经营门店管理，做到规范有序；切实做好环境整治，将村级环境卫生保洁任务发包到责任人，大大改善了全镇的人居环境。", "改善地区生态环境"),
    t("benefits", "政府服务职能提升把为民办实事作为重要内容，聚焦群众“急难愁盼”问题，以民生“小切口”撬动政府服务职能的“大提升”。一是全面抓好食品卫生工作，推进新型农村合作医疗，深入开展农村大病医疗救助，有效缓解了群众“看病贵、看病难”的问题。二是全面实施乡村振兴战略。实现了全镇14个村（社区）巩固拓展脱贫攻坚成果同乡村振兴有效衔接，加强农村人居环境整治。", "提升政府服务职能"),
    t("problems", "{年度}年全年预算调整{预算调整}万元，调整率{预算调整率}，年底预算结余{预算结余}万元，存在较大数额预算资金在年底未使用完的情况。", "部门预算调整较大"),
    t("problems", "一笔大类资金只分到单一的款项中，没有具体到哪一类资金，使预决算的细分资金存在一定出入。", "预算编制不够细化"),
    t("problems", "单位部分项目资金未制定专项项目管理制度，且在平时工作中未加强绩效监控工作的重视，绩效监控工作滞后，规范管理有盲点。", "制度建设欠完善"),
    t("problems", "绩效目标有一定的目标空泛性，绩效管理内容体系和评价标准的设置不科学，绩效评估衡量方式简单，导致评价内容不够全面，相关绩效评价工作比较粗浅。", "绩效目标管理有待提质"),
    t("causes", "部门预算调整大的主要原因为其他收入和非税收入均不在部门年初预算编制范围内；其次也还有思想上的不重视，“重分配、轻管理；重支出、轻绩效”的思想还存在，导致预算工作存在一定的应付过关的心思，使绩效工作质量难以保证。"),
    t("causes", "随着对预、决算编制工作水平要求越来越高，编制数据要求越来越精准、规范；时间紧、任务大；加之现行决算工作与实际账务处理工作的衔接还存在一定差异；会计人员业务明显增加，人员紧缺，加之业务操作水平有限，实际操作中确实感到力不从心。"),
    t("causes", "与业务部门衔接度不高，未联合相关部门制定项目管理制度，缺少相关业务部门的协调配合，简单地将绩效目标制定等专业性工作归口于财务人员，导致业务管理与绩效管理脱节。"),
    t("causes", "对绩效目标管理理念不够深入，缺少绩效目标设定意识，缺乏相应管理制度，重投入轻效益，导致在目标设立上浮在面上、缺乏深度和联系性、匹配性。"),
    t("measures", "细化预算编制工作，进一步加强内设机构的预算管理意识，严格按照预算编制的相关制度和要求进行预算编制。全面编制预算项目，优先保障固定性的、相对刚性的费用支出项目，尽量压缩变动性、有控制空间的费用项目，进步提高预算编制的科学性、严谨性和可控性。", "加强预算管理"),
    t("measures", "合理安排绩效管理项目专人，增强业务知识培训，加强决算工作与账务处理工作衔接。对相关人员加强培训，特别是针对《中华人民共和国预算法》《行政事业单位会计制度》等的学习培训，规范部门预算收支核算，切实提高部门预算收支管理水平，同时通过培训，了解各项资金的具体使用方向，能科学合理细分各项资金的使用途径，提高资金的利用效率。", "细分预算资金"),
    t("measures", "强化项目资金管理，提升资金使用效益。年度内合理编制项目资金用款计划，督促各项目单位按进度实施项目及申报资金，避免资金长期滞留账上，未能发挥其应有的效益。加强单位财务管理，健全单位财务管理制度体系，规范单位财务行为。在费用报账支付时，按照预算规定的费用项目和用途进行资金使用审核、财务严格核算，杜绝超支现象的发生。", "加强制度建设"),
    t("measures", "强化思想认识，重视绩效管理理念，在目标设立前期对目标设立做好充分准备工作，在与各业务部门做好本年年度计划后，合理设立绩效目标，在不同项目核心绩效指标的细化、量化上下功夫，特别是要对专项资金设立与资金规模匹配、细化量化、可监督可评价的绩效目标及指标。", "科学设立目标"),
    t("suggestions", "无"),
]

OVERRIDES = [{"sentence": s, "override": None} for s in schema.SENTENCES.values()]
for _l2 in dict.fromkeys(r["level2"] for r in INDICATORS):
    OVERRIDES += [{"sentence": f"{_l2}（目标）", "override": None}, {"sentence": f"{_l2}（完成）", "override": None}]

NOTES = [
    "",
    "【关于本示例】本工作簿的数据取自桃源县郑家驿镇人民政府公开的《2024年度整体支出绩效自评报告》，按原文照录（包括原文中前后不一致的数字，生成时审核会逐一指出）。",
    "原报告未公开三张附表，因此以下内容为示意数据：“三公经费”表的本年预算数，“基础数据”表，“楼堂馆所及节约”表，“项目”“项目指标”两表"
    "（三个项目的年初预算和执行数合计与“财务”表的项目支出一致），绩效指标的分值、评价等级、偏差原因，以及“总体目标完成情况”。",
    "手工评分：“绩效指标”表中“人均收入和地区经济增长”一行的得分 1.36 为手工填写，其余得分均按规则自动计算，合计自评分 95.29 分与原报告一致。",
]


def build(path: Path) -> None:
    data = {
        "basic": BASIC, "orgs": ORGS, "staff": STAFF, "finance": FINANCE, "sangong": SANGONG,
        "base_data": BASE_DATA, "other": OTHER, "indicators": INDICATORS, "projects": PROJECTS,
        "project_indicators": PROJECT_INDICATORS, "texts": TEXTS, "overrides": OVERRIDES,
    }
    write_workbook(path, data, notes=NOTES)


YEAR = BASIC["year"]


@functools.lru_cache(maxsize=1)
def _context() -> dict[str, Any]:
    from .pipeline import load  # the same read → validate → compute path as a clerk's workbook

    with tempfile.TemporaryDirectory(prefix="generator-example-") as tmp:
        path = Path(tmp) / f"{YEAR}.xlsx"
        build(path)
        _data, ctx, _notices = load(path, YEAR)
    return ctx


def context() -> dict[str, Any]:
    """The template context of the example workbook (built once per process; a fresh copy each call)."""
    return copy.deepcopy(_context())


"""How a street's 评分标准 text reads as a scoring kind (used by :mod:`assessment.rubric.importer`).

One pure function, :func:`recognise`, takes the text of one row (评分标准 and 考核内容) and the row's
points and returns the kind with its fields, or :class:`Unreadable` with the reason in Chinese. It
recognises the phrasings real 评分细则 use (see DOMAIN.md, "Real scoring sheets"):

- 一票否决 / 当年不得评为一类                      → ``flag`` (plus a grade cap for eligibility.yaml)
- 5篇奖1分、10篇奖2分 / 奖1分、封顶、不累计          → ``stepped``, ``bonus: true``
- 出勤率90%以下每低10%扣1分                         → ``rate_steps``
- 一般的扣0.5分、不好的不得分                        → ``level`` (好/一般/不好 with points)
- 每季度1次，少一次扣0.5分                           → ``count_shortfall`` (target from the text)
- 每缺一项扣1分、扣完为止                            → ``deduction`` (``evidence_deduction`` when the
  text lists the evidence)
- several deductions in one cell                     → ``multi_deduction``
- 酌情扣分 / 视情况给分                              → ``points``

Anything else is :class:`Unreadable`: the analyst finishes it by hand. Text is compared after NFKC
normalisation (full-width digits, ％ and punctuation become ASCII) and Chinese numerals before a
measure word become digits (每缺一项 → 每缺1项).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from fractions import Fraction

from .types import format_fraction

NUM = r"(\d+(?:\.\d+)?)"
_CN_DIGITS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_MEASURE = "项次件个篇本盒份处人名条种块期"


@dataclass(frozen=True)
class Recognised:
    kind: str
    fields: dict = field(default_factory=dict)
    points: Fraction | None = None  # the item's points when the text fixes them (bonus caps, flags)
    bonus: bool = False
    # For a flag: the grade the branch may at most reach ("veto": the lowest grade), and what is ticked.
    cap: str | None = None
    notes: tuple[str, ...] = ()  # choices the importer made, said in the report


@dataclass(frozen=True)
class Unreadable:
    reason: str


def normalise(text: str) -> str:
    """NFKC, no blanks, Chinese numerals before a measure word as digits."""
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"\s+", "", text)
    text = text.replace("个百分点", "%").replace("百分点", "%")
    return re.sub(rf"([一两二三四五六七八九十])(?=[{_MEASURE}])", lambda m: str(_CN_DIGITS[m.group(1)]), text)


def number(text: str) -> Fraction:
    return Fraction(text)


# ------------------------------------------------------------------ flags
_VETO = re.compile(r"一票否决|取消.{0,8}资格")
_NOT_RATED = re.compile(r"不得(?:评为|评定为|评选为|确定为|定为|评)(?:\"|“)?([^,;。\"”]{1,8})")


def _flag(text: str, content: str) -> Recognised | Unreadable | None:
    veto = _VETO.search(text)
    not_rated = _NOT_RATED.search(text)
    if not veto and not not_rated:
        return None
    clause = next(c for c in _clauses(text) if _VETO.search(c) or _NOT_RATED.search(c))
    condition = re.split(
        r"[,]?(?:实行|予以|执行|实施)?一票否决|[,]?(?:当年|当年度|本年度)?不得(?:评|定|确定)|[,]?取消", clause
    )[0]
    condition = re.sub(r"^(?:凡|如|若|对)", "", condition).removesuffix("的").strip(",")
    if not condition:
        condition = _head(normalise(content)) if content else ""
    if not condition:
        return None
    if _DEDUCT.search(text) or _AWARD.search(text):
        return Unreadable("同一格中既有否决又有扣分或加分，请拆成一个否决项和一个计分的指标")
    cap = "veto" if veto else not_rated.group(1)
    return Recognised("flag", {"flag_label": condition}, points=Fraction(0), cap=cap)


# ------------------------------------------------------------------ stepped bonuses
_AWARD = re.compile(rf"(?:奖|加)\s*{NUM}\s*分")
_STEP = re.compile(rf"(\d+)(?:[{_MEASURE}])?(?:以上|及以上)?(?:的)?(?:奖|加)\s*{NUM}\s*分")
MAX_STEPS = 20
_PER_STEP = re.compile(rf"每(\d*)[{_MEASURE}]?[^,;。]{{0,10}}?(?:奖|加)\s*{NUM}\s*分")
_CAP = re.compile(rf"(?:最高|封顶|最多|上限)(?:加|奖|为)?\s*{NUM}\s*分|{NUM}\s*分封顶")


def _stepped(text: str, points: Fraction | None) -> Recognised | Unreadable | None:
    if not _AWARD.search(text) or "扣" in text:
        return None
    cap_match = _CAP.search(text)
    cap = number(next(g for g in cap_match.groups() if g)) if cap_match else None
    per = _PER_STEP.search(text)
    notes: list[str] = []
    if per and "不累计" not in text:
        every, award = int(per.group(1) or 1), number(per.group(2))
        top = cap if cap is not None else points
        if top is None:
            return Unreadable("按次数累计加分，但没有写明最高加几分（封顶）")
        if award <= 0 or top / award > MAX_STEPS:
            return Unreadable(f"按次数累计加分，折成逐档加分超过{MAX_STEPS}档")
        steps, k = [], 1
        while award * k <= top:
            steps.append({"at": every * k, "points": award * k})
            k += 1
        notes.append(f"每{every}次加{format_fraction(award)}分累计，写为逐档加分，最高{format_fraction(top)}分")
        return Recognised("stepped", {"steps": steps}, points=top, bonus=True, notes=tuple(notes))
    steps = [{"at": int(at), "points": number(p)} for at, p in _STEP.findall(text)]
    if not steps:
        award = number(_AWARD.search(text).group(1))
        steps = [{"at": 1, "points": award}]
        notes.append("加分条件达到1次即加分（按次数计，选择）")
    steps.sort(key=lambda s: s["at"])
    if any(s["at"] <= 0 or s["points"] <= 0 for s in steps):
        return Unreadable("加分的次数和分值应大于0")
    if any(b["points"] <= a["points"] for a, b in itertools.pairwise(steps)):
        return Unreadable("加分档次的分值没有随次数增加")
    top = cap if cap is not None else (points if points is not None else steps[-1]["points"])
    return Recognised("stepped", {"steps": steps}, points=top, bonus=True, notes=tuple(notes))


# ------------------------------------------------------------------ rate steps
_RATE = re.compile(
    rf"{NUM}%(?:以上|以下)?[^;。]{{0,10}}?每(?:低|少|下降|降低|减少)\s*{NUM}\s*%\s*(?:的)?(?:扣|减)\s*{NUM}\s*分"
)


def _rate_steps(text: str) -> Recognised | None:
    match = _RATE.search(text)
    if not match:
        return None
    target, step, per = (number(g) for g in match.groups())
    if not (0 < target <= 100 and step > 0 and per > 0):
        return Unreadable("按比例扣分，但比例、每档或扣分为0或超过100%")
    notes: list[str] = []
    if re.search(r"按比例|按实际", text):
        partial = "prorate"
    elif re.search(r"不足(?:\d+(?:\.\d+)?%|一档)[^;。]{0,6}(?:按一档|按\d+(?:\.\d+)?%|扣\d)", text):
        partial = "ceil"
    elif re.search(r"不足(?:\d+(?:\.\d+)?%|一档)[^;。]{0,6}不扣", text):
        partial = "floor"
    else:
        partial = "floor"
        notes.append("评分标准没有写不足一档怎么算：草稿按不足一档不扣（partial: floor，选择），请核对")
    fields = {"target": target, "step": step, "per": per, "partial": partial}
    return Recognised("rate_steps", fields, notes=tuple(notes))


# ------------------------------------------------------------------ levels
_QUALITY = "基本合格|不合格|不达标|不好|较好|较差|优秀|良好|一般|合格|好|差"
_LEVEL = re.compile(rf"({_QUALITY})(?:的)?,?(?:扣\s*{NUM}\s*分|(不得分|得0分)|(?:得|给|计)\s*{NUM}\s*分|(得满分))")
_TOP_LABEL = {"优秀": "优秀", "良好": "优秀", "合格": "合格", "基本合格": "合格", "不合格": "合格"}


def _level(text: str, points: Fraction | None) -> Recognised | Unreadable | None:
    found = _LEVEL.findall(text)
    if not found:
        return None
    if points is None:
        return Unreadable("按档次评分，但没有找到本项分值")
    levels: dict[str, Fraction] = {}
    for label, minus, zero, given, full in found:
        if minus:
            value = points - number(minus)
        elif zero:
            value = Fraction(0)
        elif given:
            value = number(given)
        else:
            value = points if full else Fraction(0)
        if not 0 <= value <= points:
            return Unreadable(f"档次“{label}”的分值 {format_fraction(value)} 不在0到{format_fraction(points)}分之间")
        levels[label] = value
    if points not in levels.values():
        top = next((_TOP_LABEL[label] for label in levels if label in _TOP_LABEL), "好")
        if top in levels:
            top = "达到要求"
        levels = {top: points, **levels}
    ordered = sorted(levels.items(), key=lambda kv: kv[1], reverse=True)
    return Recognised("level", {"levels": [{"label": k, "points": v} for k, v in ordered]})


# ------------------------------------------------------------------ counts and deductions
_DEDUCT = re.compile(rf"(?:扣|减)\s*{NUM}\s*分")
_SHORT_TIMES = re.compile(rf"(?:每)?(?:少|缺|缺少|少开|少于规定)\s*(\d*)\s*次[^,;。]{{0,6}}?(?:扣|减)\s*{NUM}\s*分")
_MISSING = re.compile(
    rf"每?(?:缺|少|缺少|缺失|没有|无|发现)\s*(\d*)\s*([项件个本盒份处种类块人名条])[^,;。]{{0,8}}?(?:扣|减)\s*{NUM}\s*分"
)
_EVERY = re.compile(rf"每(?:发现)?\s*(\d*)\s*([项件个本盒份处种类块人名条])[^,;。]{{0,10}}?(?:扣|减)\s*{NUM}\s*分")
_FREQUENCIES = (
    (re.compile(r"每(?:个)?月(?:召开|开展|组织|举行|至少|不少于|应|讲|上)*\s*(\d+)\s*次"), 12),
    (re.compile(r"每(?:个)?季度(?:召开|开展|组织|举行|至少|不少于|应|讲|上)*\s*(\d+)\s*次"), 4),
    (re.compile(r"每半年(?:召开|开展|组织|举行|至少|不少于|应|讲|上)*\s*(\d+)\s*次"), 2),
    (
        re.compile(
            r"(?:每年|全年|年度|一年|每年度)(?:内)?(?:召开|开展|组织|举行|至少|不少于|应|讲|上|累计)*\s*(\d+)\s*次"
        ),
        1,
    ),
    (re.compile(r"(?:少于|不足|不少于|至少)\s*(\d+)\s*次"), 1),
)


def _annual_targets(text: str) -> set[int]:
    targets: set[int] = set()
    taken: list[tuple[int, int]] = []
    for pattern, times in _FREQUENCIES:
        for match in pattern.finditer(text):
            if any(s <= match.start() < e for s, e in taken):
                continue
            taken.append(match.span())
            targets.add(int(match.group(1)) * times)
    return targets


def _evidence(content: str, criteria: str) -> list[str]:
    """A list of ≥3 short names separated by 、 (after a colon, or the whole text), else []."""
    for text in (content, criteria):
        text = unicodedata.normalize("NFKC", text or "")
        for run in re.findall(r"(?:[^、,;:。\s()]{2,14}、){2,}[^、,;:。\s()]{2,14}", text):
            names = run.split("、")
            names[-1] = re.sub(r"(?:等)?(?:齐全|完整|完备|规范)?(?:等)?(?:材料|资料)?$", "", names[-1]) or names[-1]
            names[0] = re.sub(r"^(?:有|建立|包括|包含|含|建有|配备|设有)", "", names[0]) or names[0]
            if all(2 <= len(n) <= 14 for n in names) and not any(_DEDUCT.search(n) for n in names):
                return names
    return []


@dataclass(frozen=True)
class _Deduction:
    clause: str
    per: Fraction
    what: str  # "times" | "missing" | "every" | "condition"
    count_unit: str = ""


def _each(amount: str, count: str) -> Fraction:
    """扣 ``amount`` 分 per ``count`` things (每缺2项扣1分 → 1/2); 0 when the text says 0 of either."""
    things = int(count or 1)
    return number(amount) / things if things else Fraction(0)


def _deductions(text: str) -> list[_Deduction]:
    found: list[_Deduction] = []
    for clause in _clauses(text):
        if not _DEDUCT.search(clause):
            continue
        if m := _SHORT_TIMES.search(clause):
            found.append(_Deduction(clause, _each(m.group(2), m.group(1)), "times", "次"))
        elif m := _MISSING.search(clause):
            found.append(_Deduction(clause, _each(m.group(3), m.group(1)), "missing", m.group(2)))
        elif m := _EVERY.search(clause):
            found.append(_Deduction(clause, _each(m.group(3), m.group(1)), "every", m.group(2)))
        else:
            m = _DEDUCT.search(clause)
            found.append(_Deduction(clause, number(m.group(1)), "condition"))
    return found


def _rule_label(clause: str) -> str:
    label = _DEDUCT.split(clause)[0]
    label = re.sub(r"^(?:否则|凡|如|若)", "", label)
    label = re.sub(r"(?:的|者)?,?$", "", label).removeprefix("每")
    return label or clause


def _counted(text: str, content: str, criteria: str, points: Fraction | None) -> Recognised | Unreadable | None:
    rules = _deductions(text)
    if not rules:
        return None
    if points is None:
        return Unreadable("扣分项，但没有找到本项分值")
    if any(r.per <= 0 for r in rules):
        return Unreadable("扣分为0，或按0件、0次扣分")
    if len(rules) > 1:
        labels = [_rule_label(r.clause) for r in rules]
        if len(set(labels)) != len(labels):
            return Unreadable("同一格中有几条扣分规则，但无法分清各条的名称")
        fields = {
            "rules": [
                {"id": f"r{n}", "label": label, "per": r.per} for n, (label, r) in enumerate(zip(labels, rules), 1)
            ]
        }
        return Recognised("multi_deduction", fields)
    rule = rules[0]
    if rule.what == "times":
        targets = _annual_targets(normalise(content) + ";" + text)
        targets.discard(0)
        if len(targets) != 1:
            why = "没有写明应有次数（如 每季度1次、全年4次）" if not targets else "写了几种次数，无法确定应有次数"
            return Unreadable(f"按次数扣分，但{why}")
        return Recognised("count_shortfall", {"target": targets.pop(), "per": rule.per})
    if rule.what in ("missing", "every"):
        evidence = _evidence(content, criteria) if rule.what == "missing" else []
        if evidence:
            return Recognised("evidence_deduction", {"per": rule.per, "evidence": evidence})
        return Recognised("deduction", {"per": rule.per})
    # One condition and its deduction ("未按期换届的扣2分"): the evaluator picks whether it happened.
    label = _rule_label(rule.clause)
    lower = max(points - rule.per, Fraction(0))
    levels = [{"label": "达到要求", "points": points}, {"label": label, "points": lower}]
    return Recognised("level", {"levels": levels}, notes=(f"“{rule.clause}”写为两档：达到要求 / {label}",))


# ------------------------------------------------------------------ plain points
_NOT_DONE = re.compile(r"^((?:未|没有|无|不)[^,;。]{1,20}?)(?:的|者)?,?(?:不得分|得0分)$")
_PLAIN = re.compile(r"酌情|视情|视.{0,8}情况|根据.{0,12}情况|综合评定|综合评价|综合打分|按.{0,6}质量")
_PASS_FAIL = re.compile(
    rf"(?:达到|完成|符合|做到|按要求|按时)[^,;。]{{0,12}}?得(?:满分|\s*{NUM}\s*分)[^;。]*?(?:否则|未)[^;。]*?不得分"
)


def _plain(text: str, points: Fraction | None) -> Recognised | Unreadable | None:
    if _PASS_FAIL.search(text):
        if points is None:
            return Unreadable("达到得分、否则不得分，但没有找到本项分值")
        levels = [{"label": "达到要求", "points": points}, {"label": "未达到", "points": Fraction(0)}]
        return Recognised("level", {"levels": levels})
    clauses = _clauses(text)
    if len(clauses) == 1 and (match := _NOT_DONE.match(clauses[0])):
        if points is None:
            return Unreadable("未做到不得分，但没有找到本项分值")
        levels = [{"label": "达到要求", "points": points}, {"label": match.group(1), "points": Fraction(0)}]
        return Recognised("level", {"levels": levels})
    if _PLAIN.search(text) and not _DEDUCT.search(re.sub(_PLAIN, "", text)):
        if points is None:
            return Unreadable("考评人打分，但没有找到本项分值")
        return Recognised("points")
    return None


# ------------------------------------------------------------------ all together
def recognise(
    criteria: str, content: str = "", points: Fraction | None = None, *, veto_section: bool = False
) -> Recognised | Unreadable:
    """The kind of one row: ``criteria`` is its 评分标准 (or the whole text of a Word-like row),
    ``content`` its 考核内容, ``points`` its 分值 when known. ``veto_section``: the row stands under a
    否决项 heading, so a bare condition ("发生严重违纪违法问题的") is a veto too."""
    text = normalise(criteria)
    if points is not None and points <= 0:
        points = None  # a 分值 of 0 is no points at all
    if not text:
        return Unreadable("评分标准为空")
    flag = _flag(text, content)
    if flag is not None:
        return flag
    if veto_section and not _DEDUCT.search(text) and not _AWARD.search(text):
        condition = re.sub(r"^(?:凡|如|若|对)", "", _head(text)).removesuffix("的")
        return Recognised("flag", {"flag_label": condition}, points=Fraction(0), cap="veto")
    for step in (
        lambda: _stepped(text, points),
        lambda: _rate_steps(text),
        lambda: _level(text, points),
        lambda: _counted(text, content, criteria, points),
        lambda: _plain(text, points),
    ):
        found = step()
        if found is not None:
            return found
    return Unreadable("没有识别出计分方式")


def _clauses(text: str) -> list[str]:
    return [c for c in re.split(r"[;。\n]|,(?=每|未|缺|少|没有|无|凡|如|若|否则|不|一般|较|好|差|发现)", text) if c]


def _head(text: str) -> str:
    return re.split(r"[,;。:]", text)[0][:30]

"""``assessment rubric import 细则.xlsx --out 新标准/``: a street's scoring sheet as a rubric draft.

A typical 评分细则 sheet has a title row or two, then a header (考核项目 / 考核内容 / 分值 / 评分标准 /
考核方式, or synonyms), and below it the levels as merged cells (目标（16分）→ 项目（4分）→ 细则 rows
with 2分 each). Some are copied from Word: one 评分标准 column whose rows read "一、组织建设（20分）"
and "1. 三会一课（10分）：……少一次扣0.5分".

:func:`read_sheets` finds the header by name in every sheet, follows the merged cells and the
numbered headings to build the areas, and reads each row's kind with
:func:`assessment.rubric.phrasing.recognise`. :func:`write_draft` writes ``checklist.yaml`` in points
(each area and item with ``source: "细则.xlsx 工作表 X 第N行"``), the other rubric files copied from
the built-in rubric, and ``导入说明.md`` listing every row it could not read, with its text, so the
analyst finishes the draft by hand and checks it with ``rubric check``. Nothing is half-written: the
draft is built in a temporary directory beside ``--out`` and moved into place.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from .phrasing import Recognised, Unreadable, recognise
from .types import format_fraction

REPORT_NAME = "导入说明.md"
HEADER_SEARCH_ROWS = 30

# Header names → a column's role (compared without blanks and without a trailing "（分）" or the like).
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "level": (
        "考核项目",
        "考核目标",
        "考核指标",
        "一级指标",
        "二级指标",
        "三级指标",
        "考核类别",
        "考核模块",
        "评价项目",
        "评价指标",
        "考核要素",
        "项目",
        "目标",
        "指标",
        "类别",
        "类型",
        "内容分类",
    ),
    "content": (
        "考核内容",
        "考核要点",
        "工作内容",
        "具体内容",
        "指标内容",
        "工作要求",
        "考核要求",
        "工作标准",
        "内容",
        "标准要求",
        "评价内容",
        "考核标准内容",
    ),
    "points": ("分值", "分数", "标准分", "满分", "分值分", "权重分", "基础分"),
    "criteria": (
        "评分标准",
        "评分细则",
        "扣分标准",
        "评分说明",
        "考核标准",
        "计分方法",
        "评分办法",
        "评分方法",
        "计分标准",
        "评分依据",
        "扣分细则",
        "考评标准",
    ),
    "method": ("考核方式", "检查方式", "考评方式", "考核方法", "检查方法", "评估方式", "考评方法", "核查方式"),
    "ignore": (
        "序号",
        "编号",
        "自查分",
        "自评分",
        "自评得分",
        "自查得分",
        "考核得分",
        "得分",
        "考核分",
        "实得分",
        "备注",
        "自查情况",
        "扣分原因",
        "扣分情况",
        "佐证材料",
    ),
}
_HEADINGS = (
    re.compile(r"^第[一二三四五六七八九十]+(?:部分|章|项)"),
    re.compile(r"^[一二三四五六七八九十]+[、.．]"),
    re.compile(r"^[（(][一二三四五六七八九十]+[）)]"),
)
_ITEM_NUMBER = re.compile(r"^(?:\d+|[（(]\d+[）)]|[①-⑳])[、.．]?\s*")
_POINTS_IN_TEXT = re.compile(r"[（(]\s*(\d+(?:\.\d+)?)\s*分\s*[）)]|(?<![扣奖加减得计记\d.])(\d+(?:\.\d+)?)\s*分\s*$")
_POINTS_IN_PARENTHESES = re.compile(r"[（(]\s*(\d+(?:\.\d+)?)\s*分\s*[）)]")
_TOTAL_IN_TITLE = re.compile(r"(?:满分|总分|共)\s*(\d+(?:\.\d+)?)\s*分|[（(]\s*(\d+(?:\.\d+)?)\s*分\s*[）)]|百分制")
_TOTAL_ROW = re.compile(r"^(?:合计|总计|总分|共计)")
_BONUS_AREA = re.compile(r"加分|奖励|附加")
_VETO_AREA = re.compile(r"否决")
_METHOD_SPLIT = re.compile(r"[、,，;；/\s]+")

# Keywords that suggest an item's 五强 dimension (the draft must name one; the report says they are guesses).
STRENGTH_WORDS: dict[str, tuple[str, ...]] = {
    "political": ("政治", "思想", "理论学习", "意识形态", "党风廉政", "廉洁", "纪律", "第一议题", "主题教育"),
    "life": (
        "组织生活",
        "三会一课",
        "主题党日",
        "组织生活会",
        "民主评议",
        "谈心",
        "党课",
        "支委会",
        "党员大会",
        "会议",
    ),
    "mass": ("群众", "民生", "志愿", "走访", "联系服务", "为民", "诉求"),
    "team": (
        "队伍",
        "班子",
        "书记",
        "党员管理",
        "发展党员",
        "组织建设",
        "设置",
        "换届",
        "培训",
        "党费",
        "委员",
        "党员教育",
    ),
    "role": ("作用", "服务", "阵地", "保障", "经费", "中心工作", "创新", "品牌", "台账", "活动室", "宣传"),
}
DEFAULT_STRENGTH = "role"


class SheetImportError(Exception):
    """The sheet cannot be imported at all (not a workbook, no header anywhere); Chinese message."""


# ------------------------------------------------------------------ what the reader finds
@dataclass
class DraftArea:
    id: str
    label: str
    points: Fraction | None
    parent: str | None
    source: str
    outside_sums: bool = False  # a 加分项 or 否决项 heading: its items add to no sum


@dataclass
class DraftItem:
    id: str
    label: str
    area: str
    points: Fraction | None
    kind: str
    fields: dict
    source: str
    description: str
    methods: list[str]
    bonus: bool = False
    strength: str | None = None
    cap: str | None = None  # flags: the grade named in 不得评为X, or "veto"


@dataclass(frozen=True)
class UnreadRow:
    sheet: str
    row: int
    text: str
    reason: str
    points: Fraction | None = None

    def __str__(self) -> str:
        points = f"（{format_fraction(self.points)}分）" if self.points is not None else ""
        return f"工作表“{self.sheet}”第{self.row}行{points}：{self.reason}。原文：{self.text}"


@dataclass
class SheetImport:
    """What was read: areas and items in sheet order, the rows left for the analyst, and notes."""

    file_name: str
    areas: list[DraftArea] = field(default_factory=list)
    items: list[DraftItem] = field(default_factory=list)
    unread: list[UnreadRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sheets: list[tuple[str, int | None]] = field(default_factory=list)  # (sheet, header row or None)
    declared_total: Fraction | None = None

    def area(self, area_id: str) -> DraftArea:
        return next(a for a in self.areas if a.id == area_id)

    def children(self, area_id: str | None) -> list[DraftArea]:
        return [a for a in self.areas if a.parent == area_id]

    def area_sum(self, area_id: str) -> Fraction:
        """Points of the area's base items and child areas (a child without points: its own sum)."""
        total = sum((i.points for i in self.items if i.area == area_id and not i.bonus and i.points), Fraction(0))
        for child in self.children(area_id):
            if not child.outside_sums:
                total += child.points if child.points is not None else self.area_sum(child.id)
        return total

    def base_total(self) -> Fraction:
        return sum((i.points for i in self.items if not i.bonus and i.kind != "flag" and i.points), Fraction(0))

    def top_total(self) -> Fraction | None:
        """The top-level areas' declared points added up, when every top-level base area declares them."""
        tops = [a for a in self.children(None) if not a.outside_sums]
        if not tops or any(a.points is None for a in tops):
            return None
        return sum((a.points for a in tops), Fraction(0))

    def total_points(self) -> Fraction:
        for total in (self.declared_total, self.top_total()):
            if total is not None:
                return total
        return self.base_total() if not self.unread else Fraction(100)

    def mismatches(self) -> list[str]:
        found = []
        for area in self.areas:
            if area.points is None or area.outside_sums:
                continue
            summed = self.area_sum(area.id)
            if summed != area.points:
                found.append(
                    f"“{area.label}”（{area.source}）标为{format_fraction(area.points)}分，"
                    f"已读出的下级合计{format_fraction(summed)}分"
                )
        total, base = self.total_points(), self.base_total()
        if base != total:
            found.append(f"总分应为{format_fraction(total)}分，已读出的基础指标合计{format_fraction(base)}分")
        return found


# ------------------------------------------------------------------ reading
def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\s+", "", text)
    return re.sub(r"\(.*?\)$", "", text)


def header_role(text: str) -> str | None:
    key = _key(text)
    if not key:
        return None
    for role, names in HEADER_NAMES.items():
        if key in names:
            return role
    for role, names in HEADER_NAMES.items():
        if any(key.startswith(name) and len(key) <= len(name) + 6 for name in names if len(name) >= 3):
            return role
    return None


def points_in_text(text: str, *, parenthesised: bool = False) -> Fraction | None:
    """ "组织建设（16分）" → 16; "支部设置 4分" → 4 unless ``parenthesised`` (then only "（4分）")."""
    pattern = _POINTS_IN_PARENTHESES if parenthesised else _POINTS_IN_TEXT
    match = pattern.search(unicodedata.normalize("NFKC", text or ""))
    if not match:
        return None
    return Fraction(next(g for g in match.groups() if g))


def _points_cell(value) -> Fraction | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return Fraction(str(value)) if value > 0 else None
    text = unicodedata.normalize("NFKC", str(value)).strip().removesuffix("分").strip()
    try:
        number = Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
    return number if number > 0 else None


def clean_label(text: str) -> str:
    """A short label from a cell: no numbering, no "（16分）", the part before a colon or first clause."""
    text = re.sub(r"\s+", "", text or "")
    for pattern in (*_HEADINGS, _ITEM_NUMBER):
        text = pattern.sub("", text, count=1)
    head = re.split(r"[：:]", text, maxsplit=1)[0]
    head = _POINTS_IN_TEXT.sub("", unicodedata.normalize("NFKC", head))
    head = re.split(r"[，。；,;]", head)[0].strip()
    head = head.replace("(", "（").replace(")", "）")
    return head[:30] or text[:30]


def _after_colon(text: str) -> str:
    parts = re.split(r"[：:]", text or "", maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""


def _heading_level(text: str) -> int | None:
    flat = re.sub(r"\s+", "", text)
    for level, pattern in enumerate(_HEADINGS):
        if pattern.match(flat):
            return level
    return None


def open_workbook(path: Path):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.exists():
        raise SheetImportError(f"找不到评分细则文件：{path}")
    if path.suffix.lower() != ".xlsx":
        raise SheetImportError(
            f"{path.name}：只能导入 .xlsx 工作簿（.xls 或 Word 文件请在 Excel/WPS 中另存为 .xlsx；"
            "Word 中的表格可复制到 Excel 后保存）"
        )
    try:
        return load_workbook(path, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SheetImportError(f"{path.name}：无法作为 .xlsx 工作簿打开（{error}）") from None


@dataclass
class _Columns:
    levels: list[int]
    content: int | None
    points: int | None
    criteria: int | None
    methods: list[int]


def _find_header(sheet) -> tuple[int, _Columns] | None:
    for row in sheet.iter_rows(min_row=1, max_row=min(sheet.max_row, HEADER_SEARCH_ROWS)):
        roles: dict[int, str] = {}
        for cell in row:
            role = header_role(_text(cell.value))
            if role is not None:
                roles[cell.column] = role
        found = set(roles.values())
        if "criteria" in found or {"content", "points"} <= found or ({"level", "points"} <= found and len(roles) >= 3):
            first = {r: min((c for c, rr in roles.items() if rr == r), default=None) for r in found}
            columns = _Columns(
                levels=sorted(c for c, r in roles.items() if r == "level"),
                content=first.get("content"),
                points=first.get("points"),
                criteria=first.get("criteria"),
                methods=sorted(c for c, r in roles.items() if r == "method"),
            )
            return row[0].row, columns
    return None


class _Merged:
    """Top-left cell and row span of every cell in a merged range."""

    def __init__(self, sheet):
        self.top: dict[tuple[int, int], tuple[int, int]] = {}
        self.rows: dict[tuple[int, int], tuple[int, int]] = {}
        for merged in sheet.merged_cells.ranges:
            for r in range(merged.min_row, merged.max_row + 1):
                for c in range(merged.min_col, merged.max_col + 1):
                    self.top[(r, c)] = (merged.min_row, merged.min_col)
                    self.rows[(r, c)] = (merged.min_row, merged.max_row)

    def anchor(self, r: int, c: int) -> tuple[int, int]:
        return self.top.get((r, c), (r, c))

    def span(self, r: int, c: int) -> tuple[int, int]:
        return self.rows.get((r, c), (r, r))


@dataclass(frozen=True)
class _Level:
    """One level above the items: a level column's cell (merged or repeated) or a numbered heading row."""

    identity: tuple  # where it was written: (sheet, column, first row) or (sheet, "h", row, depth)
    label: str
    points: Fraction | None
    row: int
    outside_sums: bool
    text: str


class _Reader:
    def __init__(self, file_name: str):
        self.result = SheetImport(file_name)
        self._area_ids: dict[tuple, str] = {}

    def source(self, sheet: str, row: int) -> str:
        return f"{self.result.file_name} 工作表 {sheet} 第{row}行"

    def area_for(self, path: list[_Level], sheet: str) -> str:
        """The id of the innermost area of ``path`` (outermost first), creating the areas as needed."""
        parent = None
        for depth, level in enumerate(path, start=1):
            key = tuple(p.identity for p in path[:depth])
            if key not in self._area_ids:
                if parent is None:
                    area_id = f"a{len(self.result.children(None)) + 1}"
                else:
                    area_id = f"{parent}_{len(self.result.children(parent)) + 1}"
                outside = level.outside_sums or (parent is not None and self.result.area(parent).outside_sums)
                source = self.source(sheet, level.row)
                self.result.areas.append(DraftArea(area_id, level.label, level.points, parent, source, outside))
                self._area_ids[key] = area_id
            elif level.points is not None:
                area = self.result.area(self._area_ids[key])
                if area.points is None:
                    area.points = level.points
            parent = self._area_ids[key]
        return parent

    # -------------------------------------------------------------- one sheet
    def read_sheet(self, sheet) -> None:
        found = _find_header(sheet)
        if found is None:
            self.result.sheets.append((sheet.title, None))
            return
        header_row, cols = found
        self.result.sheets.append((sheet.title, header_row))
        for r in range(1, header_row):
            for cell in sheet[r]:
                match = _TOTAL_IN_TITLE.search(unicodedata.normalize("NFKC", _text(cell.value)))
                if match and self.result.declared_total is None:
                    number = next((g for g in match.groups() if g), None)
                    self.result.declared_total = Fraction(number) if number else Fraction(100)
        merged = _Merged(sheet)
        headings: list[_Level] = []  # the numbered heading rows above, outermost first
        last: dict[int, _Level] = {}  # per level column: the level it shows (down merged or repeated cells)
        all_columns = [*cols.levels, cols.content, cols.points, cols.criteria, *cols.methods]
        for r in range(header_row + 1, sheet.max_row + 1):
            own = {}
            for c in (c for c in all_columns if c is not None):
                anchor = merged.anchor(r, c)
                own[c] = (anchor[0] == r, _text(sheet.cell(*anchor).value))
            texts = [t for is_own, t in own.values() if is_own and t]
            if not texts:
                continue  # blank, or only the continuation of merged cells above
            if all(header_role(t) is not None for t in texts):
                continue  # the header repeated (a sheet printed across pages)
            row_texts = [_text(cell.value) for cell in sheet[r]]
            if any(_TOTAL_ROW.match(t) for t in row_texts):
                label = next(t for t in row_texts if _TOTAL_ROW.match(t))
                total = _points_cell(own[cols.points][1]) if cols.points else points_in_text(label)
                if total is not None and self.result.declared_total is None:
                    self.result.declared_total = total
                continue
            self._read_row(sheet.title, r, cols, own, merged, headings, last, _continues(sheet, merged, cols, r))

    def _read_row(self, sheet_name, r, cols, own, merged, headings, last, continues) -> None:
        text_of = {c: t for c, (_, t) in own.items()}
        criteria = text_of.get(cols.criteria, "") if cols.criteria else ""
        content = text_of.get(cols.content, "") if cols.content else ""
        points_value = None
        points_spans_more = False
        if cols.points:
            span = merged.span(r, cols.points)
            points_spans_more = span[0] != span[1]
            if not points_spans_more:
                points_value = _points_cell(own[cols.points][1]) if own[cols.points][0] else None

        # A numbered heading written as its own row (Word-like sheets, or a full-width section row).
        only = {t for (is_own, t) in own.values() if is_own and t}
        if len(only) == 1:
            (single,) = only
            level = _heading_level(single)
            if level is not None and not _deducts(single):
                while headings and headings[-1].identity[3] >= level:
                    headings.pop()
                points = points_in_text(single) if points_in_text(single) is not None else points_value
                identity = (sheet_name, "h", r, level)
                headings.append(_Level(identity, clean_label(single), points, r, _outside_sums(single), single))
                last.clear()
                return

        # The level columns, merged or repeated down the rows.
        path = list(headings)
        row_label_cell = None
        for depth, c in enumerate(cols.levels):
            is_own, text = own[c]
            top_row, _ = merged.anchor(r, c)
            if not text:
                if c in last:
                    path.append(last[c])
                continue
            previous = last.get(c)
            entry = None
            if previous is not None and (not is_own or previous.text == text):
                entry = previous
            created = entry is None
            if created:
                span = merged.span(r, c)
                pts = points_in_text(text)
                if pts is None and points_spans_more and merged.span(r, cols.points) == span:
                    pts = _points_cell(own[cols.points][1])  # the 分值 cell merged over this level's rows
                entry = _Level((sheet_name, c, top_row), clean_label(text), pts, top_row, _outside_sums(text), text)
                for deeper in cols.levels[depth + 1 :]:
                    last.pop(deeper, None)
            last[c] = entry
            path.append(entry)
            alone = created and merged.span(r, c) == (r, r) and not continues(c, text)
            if c == cols.levels[-1] and alone and not entry.outside_sums:
                row_label_cell = entry

        # A row with a level cell and points but no content or criteria: the level's subtotal row.
        if not content and not criteria and cols.levels and any(own[c][0] and own[c][1] for c in cols.levels):
            if path and points_value is not None and path[-1].points is None:
                path[-1] = dataclasses.replace(path[-1], points=points_value)
                for c in cols.levels:
                    if last.get(c) is not None and last[c].identity == path[-1].identity:
                        last[c] = path[-1]
            if path:
                self.area_for(path, sheet_name)
            return

        if row_label_cell is not None and (content or criteria) and path and path[-1] is row_label_cell:
            # The deepest level column names this row only: it is the item's label, not an area.
            path.pop()
            label = row_label_cell.label
            if points_value is None:
                points_value = row_label_cell.points
        else:
            label = clean_label(content or criteria)
        if points_value is None:
            for text in (content, criteria):
                if points_value is None and text:
                    parts = re.split(r"[：:]", text, maxsplit=1)
                    points_value = points_in_text(parts[0], parenthesised=len(parts) == 1)
        row_text = "；".join(t for t in (content, criteria) if t)
        if not row_text:
            texts = "；".join(t for (is_own, t) in own.values() if is_own and t)
            self.result.unread.append(UnreadRow(sheet_name, r, texts, "没有考核内容和评分标准", points_value))
            return
        if not content and _after_colon(criteria):
            criteria_text = _after_colon(criteria)
        else:
            criteria_text = criteria
        if not path:
            path = [_Level((sheet_name, "sheet"), sheet_name, None, r, False, sheet_name)]
        area = self.result.area(self.area_for(path, sheet_name))
        veto_section = any(_VETO_AREA.search(level.text) for level in path)
        found = recognise(
            criteria_text or content, content if criteria_text else "", points_value, veto_section=veto_section
        )
        if isinstance(found, Unreadable):
            self.result.unread.append(UnreadRow(sheet_name, r, row_text, found.reason, points_value))
            return
        self._add_item(found, sheet_name, r, label, area, points_value, content, criteria_text, own, cols)

    def _add_item(self, found: Recognised, sheet_name, r, label, area, points_value, content, criteria, own, cols):
        bonus = found.bonus or (area.outside_sums and found.kind != "flag")
        if found.kind == "flag" and not content:
            label = found.fields["flag_label"][:30]
        points = found.points if found.points is not None else points_value
        methods: list[str] = []
        for c in cols.methods:
            methods += [m for m in _METHOD_SPLIT.split(own[c][1]) if m]
        description = "；".join(t for t in (content, criteria) if t)
        item = DraftItem(
            id=f"i{len(self.result.items) + 1}",
            label=label,
            area=area.id,
            points=points,
            kind=found.kind,
            fields=dict(found.fields),
            source=self.source(sheet_name, r),
            description=description,
            methods=methods,
            bonus=bonus,
            cap=found.cap,
        )
        if bonus and found.kind not in ("stepped", "flag"):
            self.result.notes.append(f"{item.source}：“{label}”在加分栏目中，写为加分项（bonus: true）")
        self.result.items.append(item)
        for note in found.notes:
            self.result.notes.append(f"{item.source}：“{label}”{note}")


def _continues(sheet, merged: _Merged, cols: _Columns, r: int):
    """Whether the level text in column c of row r goes on in the next row (repeated, or left blank
    above more content): then it is an area, not the label of row r alone."""

    def check(c: int, text: str) -> bool:
        if r + 1 > sheet.max_row:
            return False
        below = _text(sheet.cell(*merged.anchor(r + 1, c)).value)
        if below:
            return below == text
        others = [x for x in (cols.content, cols.criteria) if x is not None]
        return any(_text(sheet.cell(r + 1, x).value) for x in others)

    return check


def _outside_sums(label: str) -> bool:
    """A 加分项 or 否决项 heading: its items are outside the sums (bonus points, flags)."""
    return bool(_BONUS_AREA.search(label) or _VETO_AREA.search(label))


def _deducts(text: str) -> bool:
    return bool(re.search(r"扣\s*\d|奖\s*\d|加\s*\d|否决", unicodedata.normalize("NFKC", text)))


def read_sheets(path: Path) -> SheetImport:
    """Read every sheet of the workbook at ``path`` (refuses a file that is not an .xlsx workbook)."""
    workbook = open_workbook(path)
    reader = _Reader(path.name)
    for sheet in workbook.worksheets:
        reader.read_sheet(sheet)
    result = reader.result
    if all(header is None for _, header in result.sheets):
        names = "、".join(f"“{name}”" for name, _ in result.sheets)
        raise SheetImportError(
            f"{path.name}：工作表 {names} 的前{HEADER_SEARCH_ROWS}行中都没有找到表头"
            "（表头应含“评分标准”，或“考核内容”与“分值”等列名；同义的“评分细则”“扣分标准”“分数”“检查方式”等也可）"
        )
    _guess_strengths(result)
    return result


def _guess_strengths(result: SheetImport) -> None:
    for item in result.items:
        if item.bonus or item.kind == "flag":
            continue
        texts = [item.label, item.description]
        area_id: str | None = item.area
        while area_id is not None:
            area = result.area(area_id)
            texts.append(area.label)
            area_id = area.parent
        item.strength = next(
            (dim for text in texts for dim, words in STRENGTH_WORDS.items() if any(w in text for w in words)),
            DEFAULT_STRENGTH,
        )


# ------------------------------------------------------------------ writing
def _yaml_number(value: Fraction):
    if value.denominator == 1:
        return int(value)
    decimal = float(value)
    return decimal if Fraction(repr(decimal)) == value else format_fraction(value)


def _flow(mapping: dict) -> CommentedMap:
    node = CommentedMap(mapping)
    node.fa.set_flow_style()
    return node


def _plain(value):
    if isinstance(value, Fraction):
        return _yaml_number(value)
    if isinstance(value, dict):
        return _flow({k: _plain(v) for k, v in value.items()})
    if isinstance(value, list):
        seq = CommentedSeq(_plain(v) for v in value)
        if all(not isinstance(v, dict | list) for v in value):
            seq.fa.set_flow_style()
        return seq
    return value


def _yaml() -> YAML:
    yaml = YAML()
    yaml.allow_unicode = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def checklist_text(result: SheetImport, base_checklist: dict) -> str:
    """The draft's checklist.yaml: the base rubric's 五个标准化 and 五强 (dimensions with no item left
    out, said in the report), the sheet's areas and items in points."""
    dims = [d for d in base_checklist["five_strong"]["dimensions"] if any(i.strength == d["id"] for i in result.items)]
    five_strong = dict(base_checklist["five_strong"])
    five_strong["dimensions"] = [_flow(dict(d)) for d in dims] or list(five_strong["dimensions"])
    tree = CommentedMap()
    tree["total_points"] = _yaml_number(result.total_points())
    tree["areas"] = CommentedSeq()
    for area in result.areas:
        entry = {"id": area.id, "label": area.label}
        if area.parent is not None:
            entry["parent"] = area.parent
        if area.points is not None and not area.outside_sums:
            entry["points"] = area.points
        entry["source"] = DoubleQuotedScalarString(area.source)
        tree["areas"].append(_plain(entry))
    tree["frames000"] = [_flow(dict(f)) for f in base_checklist.get("frames000", [])]
    tree["five_strong"] = five_strong
    tree["bonus"] = {"cap": None, "total_cap": base_checklist.get("bonus", {}).get("total_cap", 100), "groups": []}
    items = CommentedSeq()
    for item in result.items:
        entry = CommentedMap()
        entry["id"] = item.id
        entry["label"] = item.label
        entry["area"] = item.area
        if item.strength is not None:
            entry["strength"] = item.strength
        entry["kind"] = item.kind
        entry["points"] = _yaml_number(item.points) if item.points is not None else 0
        if item.bonus:
            entry["bonus"] = True
        for name, value in item.fields.items():
            entry[name] = _plain(value)
        entry["description"] = item.description or item.label
        if item.methods:
            entry["methods"] = _plain(item.methods)
        entry["advice"] = f"对照“{item.label}”的考核内容和评分标准逐项落实、补齐材料。"
        entry["source"] = DoubleQuotedScalarString(item.source)
        items.append(entry)
    tree["items"] = items
    out = io.StringIO()
    _yaml().dump(tree, out)
    header = [
        f"# 由 {result.file_name} 导入的评分标准草稿（python -m assessment rubric import）。",
        f"# 每个栏目和指标的 source 写明来自哪张工作表的哪一行；未能识别的行见同一目录的 {REPORT_NAME}，",
        "# 请补写后运行 python -m assessment rubric check 本目录。",
        "# strength（五强维度）和 advice（补短板建议）是按关键词推测和生成的，请逐条核对。",
    ]
    unread = [f"#   {row}" for row in result.unread]
    footer = ["", "# 未能识别、需要手工补写的行："] + unread if unread else []
    return "\n".join(header) + "\n" + out.getvalue() + "\n".join(footer) + ("\n" if footer else "")


def _grade_caps(result: SheetImport, eligibility: dict) -> list[dict]:
    """A grade cap per flag item: 一票否决 → the lowest grade; 不得评为X → the grade below X."""
    bands = eligibility["grades"]["bands"]
    order = sorted(bands, key=lambda b: Fraction(str(b["min"])), reverse=True)
    labels = [b["label"] for b in order]
    caps = []
    for item in result.items:
        if item.kind != "flag":
            continue
        if item.cap == "veto" or len(labels) < 2:
            grade, how = labels[-1], "一票否决写为等次最高只能评到最低一档"
        else:
            named = item.cap or ""
            position = labels.index(named) if named in labels else 0
            grade = labels[min(position + 1, len(labels) - 1)]
            how = f"“不得评为{named}”写为等次最高只能评到{grade}" + (
                "" if named in labels else f"（把“{named}”对应为最高等次{labels[0]}）"
            )
        caps.append(
            {
                "id": f"cap_{item.id}",
                "label": item.fields["flag_label"],
                "max_grade": grade,
                "any_of": [{"type": "item_flag", "item": item.id}],
                "source": f"{item.source}；选择：{how}",
                "choice": True,
            }
        )
        result.notes.append(
            f"{item.source}：“{item.fields['flag_label']}”{how}（eligibility.yaml 的 grade_caps，请核对）"
        )
    return caps


def _flag_vetoes(result: SheetImport) -> list[dict]:
    """An item_flag veto (不得评定“最强”) per flag item written 一票否决, beside its grade cap."""
    return [
        {
            "id": f"veto_{item.id}",
            "type": "item_flag",
            "item": item.id,
            "label": item.fields["flag_label"],
            "source": f"{item.source}；选择：一票否决同时写为“最强党支部”的否决规则",
        }
        for item in result.items
        if item.kind == "flag" and item.cap == "veto"
    ]


ONLY_SHEET_CONDITIONS = {"score_at_least", "key_items_at_least"}  # 达标 conditions over the sheet alone
ONLY_SHEET_WEAK = {"score_below", "key_item_zero"}  # 软弱涣散 conditions over the sheet alone


def only_sheet_texts(texts: dict[str, str]) -> dict[str, str]:
    """The draft made to use the street's sheet alone (``--only-sheet``): meta.yaml ``uses`` declares only
    组织评定 and no conditions; channels.yaml keeps the 组织评定 channel at weight 1; eligibility.yaml keeps
    only what reads the sheet (score and key-item conditions, the sheet's own 一票否决 vetoes, grade caps
    over them). Comments of the base files are kept (round trip)."""
    yaml = YAML()
    yaml.width = 4096
    out = dict(texts)

    def edit(name: str, change) -> None:
        tree = yaml.load(texts[name])
        change(tree)
        buffer = io.StringIO()
        yaml.dump(tree, buffer)
        out[name] = buffer.getvalue()

    def channels(tree) -> None:
        kept = [c for c in tree["channels"] if c["id"] == "org"]
        for channel in kept:
            channel["weight"] = 1
            channel["weight_choice"] = False
        tree["channels"] = CommentedSeq(kept)

    def eligibility(tree) -> None:
        standardized = tree["standardized"]
        standardized["conditions"] = CommentedSeq(
            c
            for c in standardized["conditions"]
            if c["type"] in ONLY_SHEET_CONDITIONS and c.get("target", "composite") in ("composite", "org")
        )
        tree["veto_rules"] = CommentedSeq([r for r in tree["veto_rules"] if r["type"] == "item_flag"])
        tree["weak"]["any_of"] = CommentedSeq(
            c
            for c in tree["weak"]["any_of"]
            if c["type"] in ONLY_SHEET_WEAK and c.get("target", "composite") in ("composite", "org")
        )
        kept_caps = CommentedSeq()
        for cap in tree.get("grade_caps") or []:
            cap["any_of"] = CommentedSeq(c for c in cap["any_of"] if c["type"] == "item_flag")
            if cap["any_of"]:
                kept_caps.append(cap)
        tree["grade_caps"] = kept_caps

    edit("channels.yaml", channels)
    edit("eligibility.yaml", eligibility)
    out["meta.yaml"] = (
        texts["meta.yaml"].rstrip("\n")
        + "\n\n# 只用本街道的评分细则（导入时选了 --only-sheet）：不使用党员评议、群众评判、社会评价，\n"
        + "# 也不检查年度述职评议等次、组织生活记录、党员名册和组织设置；需要时在这里加上（见 README）。\n"
        + "uses:\n  channels: [org]\n  conditions: []\n"
    )
    return out


def eligibility_text(text: str, caps: list[dict], vetoes: list[dict] | None = None) -> str:
    text = _veto_text(text, vetoes or [])
    if not caps:
        return text
    out = io.StringIO()
    _yaml().dump({"grade_caps": [_plain_block(c) for c in caps]}, out)
    block = "# 由评分细则中的否决项导入（选择，请核对）：\n" + out.getvalue()
    if re.search(r"(?m)^grade_caps:\s*\[\]\s*$", text):
        return re.sub(r"(?m)^grade_caps:\s*\[\]\s*\n?", lambda _: block, text, count=1)
    if re.search(r"(?m)^grade_caps:", text):
        yaml = YAML()
        tree = yaml.load(text)
        tree["grade_caps"].extend(_plain_block(c) for c in caps)
        out = io.StringIO()
        yaml.dump(tree, out)
        return out.getvalue()
    return text.rstrip("\n") + "\n\n" + block


def _veto_text(text: str, vetoes: list[dict]) -> str:
    """``vetoes`` appended to the base's veto_rules (after the fixed rules, as item_flag rules must be)."""
    if not vetoes:
        return text
    yaml = YAML()
    yaml.width = 4096
    tree = yaml.load(text)
    rules = tree.get("veto_rules")
    if rules is None:
        tree["veto_rules"] = rules = CommentedSeq()
    for veto in vetoes:
        node = CommentedMap()
        for key, value in veto.items():
            node[key] = value
        rules.append(node)
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def _plain_block(cap: dict) -> CommentedMap:
    node = CommentedMap()
    for key, value in cap.items():
        node[key] = [_flow(v) for v in value] if key == "any_of" else value
    return node


def meta_text(text: str, *, name: str, version: str) -> str:
    def put(key: str, value: str, text: str) -> str:
        line = f'{key}: "{value}"'
        if re.search(rf"(?m)^{key}:", text):
            return re.sub(rf"(?m)^{key}:.*$", lambda _: line, text, count=1)
        return text.rstrip("\n") + "\n" + line + "\n"

    # Who made the base version and why is not true of the draft (prepare_version writes them on save).
    text = re.sub(r"(?m)^(?:author|note|based_on):.*\n?", "", text)
    return put("name", name, put("version", version, text))


def report_text(result: SheetImport, out: Path, *, version: str) -> str:
    kinds: dict[str, int] = {}
    for item in result.items:
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
    lines = [f"# 导入说明：{result.file_name}", ""]
    for sheet, header in result.sheets:
        lines.append(f"- 工作表“{sheet}”：表头在第{header}行" if header else f"- 工作表“{sheet}”：没有找到表头，已跳过")
    summary = "、".join(f"{KIND_LABELS.get(k, k)} {n} 项" for k, n in kinds.items()) or "无"
    lines += [
        f"- 读出 {len(result.areas)} 个栏目、{len(result.items)} 个指标（{summary}）；未能识别 {len(result.unread)} 行",
        f"- 总分 {format_fraction(result.total_points())} 分；已读出的基础指标合计 {format_fraction(result.base_total())} 分",
        "",
        "## 各级分值",
        "",
    ]
    for area in result.areas:
        depth = 0
        parent = area.parent
        while parent is not None:
            depth += 1
            parent = result.area(parent).parent
        declared = f"标{format_fraction(area.points)}分" if area.points is not None else "未标分值"
        tag = "（加分项或否决项，不计入合计）" if area.outside_sums else ""
        lines.append(
            f"{'  ' * depth}- {area.label}{tag}：{declared}，下级合计{format_fraction(result.area_sum(area.id))}分"
        )
    lines += ["", f"## 未能识别的行（{len(result.unread)}）", ""]
    if result.unread:
        lines += [f"- {row}" for row in result.unread]
        lines += ["", "请在 checklist.yaml 的 items 中按上面的原文补写这些指标（写明 points、kind 和 source）。"]
    else:
        lines.append("无。")
    mismatches = result.mismatches()
    lines += ["", f"## 分值合计不符（{len(mismatches)}）", ""]
    lines += [f"- {m}" for m in mismatches] or ["无。"]
    lines += ["", "## 导入时的选择（请核对）", ""]
    lines += [f"- {n}" for n in result.notes] or ["无。"]
    lines += [
        "- 每个指标的 strength（五强维度）按关键词推测，advice（补短板建议）为通用文字，请逐条核对、改写。",
        "",
        "## 下一步",
        "",
        f"1. 按上面的清单修改 {out}/checklist.yaml（必要时也改 eligibility.yaml 等文件）。",
        f"2. 检查：python -m assessment rubric check {out}",
        f"3. 把 {out}/meta.yaml 的 version 改为正式的版本号（草稿为 {version}），name 改为本街道评分标准的名称。",
        f"4. 检查通过后保存为新版本：python -m assessment rubric save {out} --author 姓名 --note 导入街道评分细则",
    ]
    return "\n".join(lines) + "\n"


KIND_LABELS = {
    "points": "打分",
    "level": "选档",
    "count_shortfall": "按次数扣分",
    "deduction": "按缺项扣分",
    "evidence_deduction": "按台账缺项扣分",
    "multi_deduction": "多条扣分",
    "rate_steps": "按比例扣分",
    "stepped": "逐档加分",
    "flag": "否决项",
}


def write_draft(result: SheetImport, out: Path, base_dir: Path, *, version: str, only_sheet: bool = False) -> Path:
    """Write the draft rubric directory at ``out`` (absent or empty); nothing is left half-written."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        what = "一个文件" if not out.is_dir() else "一个非空目录"
        raise SheetImportError(f"--out {out} 已是{what}：请指定一个新目录或空目录（不会覆盖已有文件）")
    yaml = YAML(typ="safe")
    base_texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(base_dir.glob("*.yaml"))}
    checklist = yaml.load(base_texts["checklist.yaml"])
    eligibility = yaml.load(base_texts["eligibility.yaml"])
    caps = _grade_caps(result, eligibility)
    vetoes = _flag_vetoes(result)
    for veto in vetoes:
        result.notes.append(f"{veto['source'].split('；')[0]}：“{veto['label']}”同时写为最强党支部的否决规则（请核对）")
    texts = dict(base_texts)
    texts["checklist.yaml"] = checklist_text(result, checklist)
    texts["eligibility.yaml"] = eligibility_text(base_texts["eligibility.yaml"], caps, vetoes)
    stem = Path(result.file_name).stem
    texts["meta.yaml"] = meta_text(base_texts["meta.yaml"], name=f"{stem}（导入草稿）", version=version)
    if only_sheet:
        texts = only_sheet_texts(texts)
        result.notes.append(
            "只用本细则（--only-sheet）：草稿只使用组织评定（权重1），达标按综合得分和关键项，软弱涣散按得分和关键项，"
            "否决规则只留本细则的一票否决；不需要党员评议、群众评判、社会评价、组织生活等数据"
        )
    dropped = [
        d["label"]
        for d in checklist["five_strong"]["dimensions"]
        if not any(i.strength == d["id"] for i in result.items)
    ]
    if dropped and len(dropped) < len(checklist["five_strong"]["dimensions"]):
        result.notes.append(f"细则中没有对应指标的五强维度已从草稿的 five_strong 中删去：{'、'.join(dropped)}")
    report = report_text(result, out, version=version)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(prefix=f".{out.name}.导入中-", dir=out.parent))
    except OSError as error:
        raise SheetImportError(f"无法在 {out.parent} 中写入草稿目录（{error.strerror or error}）") from None
    try:
        for name, text in texts.items():
            (temporary / name).write_text(text, encoding="utf-8")
        (temporary / REPORT_NAME).write_text(report, encoding="utf-8")
        if out.is_dir():
            out.rmdir()  # empty (checked above)
        os.replace(temporary, out)
    except OSError as error:
        shutil.rmtree(temporary, ignore_errors=True)
        raise SheetImportError(f"无法写入草稿目录 {out}（{error.strerror or error}），未留下任何文件") from None
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return out


def import_sheet(path: Path, out: Path, *, base_dir: Path, version: str, only_sheet: bool = False) -> SheetImport:
    """Read ``path`` and write the draft to ``out``; returns what was read (with the report's notes)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        what = "一个文件" if not out.is_dir() else "一个非空目录"
        raise SheetImportError(f"--out {out} 已是{what}：请指定一个新目录或空目录（不会覆盖已有文件）")
    result = read_sheets(path)
    write_draft(result, out, base_dir, version=version, only_sheet=only_sheet)
    return result

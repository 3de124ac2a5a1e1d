"""Load a rubric directory, validate it fully, and say exactly where it is wrong.

YAML is read with ruamel.yaml's round-trip loader, which keeps the line of every
key, so a pydantic error location such as ``('items', 3, 'weight')`` becomes
``rubrics/checklist.yaml 第87行 字段 items[t5].weight（权重）``: a list element that has an ``id`` (or, for
a workflow transition, ``from`` and ``to``) is named by it rather than by its position. A YAML syntax
error is told in Chinese with its line and column. All problems of all files are collected before anything
is refused: files that cannot be read or parsed, each file's validation, and — when every file parsed —
the checks that span files, in one :class:`RubricError`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from .. import paths
from ..glossary import FIELD_LABELS
from .model import FILES, Rubric

# The rubric shipped with the package: rubrics/ of the source tree (see assessment/paths.py).
DEFAULT_RUBRIC_DIR = paths.shipped_rubric_dir()


@dataclass(frozen=True)
class RubricProblem:
    file: str
    line: int | None
    field: str
    message: str
    column: int | None = None

    @property
    def where(self) -> str:
        """The file with its line (and column), e.g. ``rubrics/checklist.yaml 第12行第5列``."""
        if not self.line:
            return self.file
        column = f"第{self.column}列" if self.column else ""
        return f"{self.file} 第{self.line}行{column}"

    def __str__(self) -> str:
        field = f" 字段 {self.field}" if self.field else ""
        return f"{self.where}{field}：{self.message}"


class RubricError(ValueError):
    """A rubric that cannot be used; ``problems`` lists every defect found."""

    def __init__(self, problems: list[RubricProblem]):
        self.problems = problems
        super().__init__(f"评分标准有 {len(problems)} 处问题，请修改后重试：\n" + "\n".join(f"  {p}" for p in problems))


def default_rubric_dir() -> Path:
    """``$ASSESSMENT_RUBRIC_DIR``, else the shipped rubric."""
    return paths.rubric_dir()


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _line_of(node: Any, loc: tuple) -> int | None:
    """1-based line of the deepest part of ``loc`` found in the YAML tree."""
    line = None
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        # other parts (pydantic's union tags, model names) are not in the data: skip them
    return line


def element_name(element: Any, index: int) -> str:
    """How a list element is named in a path: its ``id``, a transition's ``from→to``, else its position."""
    if isinstance(element, dict):
        ident = element.get("id")
        if isinstance(ident, str) and ident.strip():
            return ident.strip()
        start, end = element.get("from", element.get("from_")), element.get("to")
        if isinstance(start, str) and isinstance(end, str) and start.strip() and end.strip():
            return f"{start.strip()}→{end.strip()}"
    return str(index)


def _field_path(node: Any, loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            text += f".{part}" if text else str(part)
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int):
            inside = 0 <= part < len(node)
            text += f"[{element_name(node[part], part) if inside else part}]"
            node = node[part] if inside else None
        elif isinstance(part, str) and not isinstance(node, (CommentedMap, CommentedSeq)) and node is None:
            text += f".{part}" if text else part
    last = next((p for p in reversed(loc) if isinstance(p, str) and p in FIELD_LABELS), None)
    if last and text.endswith(last):
        text += f"（{FIELD_LABELS[last]}）"
    return text


def _message(error: dict) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == "missing":
        return "缺少必填字段"
    if kind == "extra_forbidden":
        return f"未知字段（是否拼写有误？），值为 {value!r}"
    if kind == "literal_error":
        return f"取值为 {value!r}，应为 {str(ctx.get('expected', '')).replace(' or ', '、').replace(', ', '、')}"
    if kind == "union_tag_invalid":
        known = str(ctx.get("expected_tags", "")).replace("'", "")
        return f"未知的类型“{ctx.get('tag')}”，可选：{known}"
    if kind == "union_tag_not_found":
        return "缺少 type 字段"
    if kind in ("string_type", "string_too_short"):
        return f"应为非空文本，实际为 {value!r}"
    if kind.startswith("int_"):
        return f"应为整数，实际为 {value!r}"
    if kind.startswith(("float_", "decimal_")):
        return f"应为数字，实际为 {value!r}"
    if kind.startswith("bool_"):
        return f"应为 true 或 false，实际为 {value!r}"
    if kind == "greater_than_equal":
        return f"应不小于 {ctx.get('ge')}，实际为 {value!r}"
    if kind == "greater_than":
        return f"应大于 {ctx.get('gt')}，实际为 {value!r}"
    if kind == "less_than_equal":
        return f"应不大于 {ctx.get('le')}，实际为 {value!r}"
    if kind == "string_pattern_mismatch":
        return f"编号“{value}”应由小写英文字母、数字和下划线组成，并以字母开头"
    if kind in ("tuple_type", "list_type"):
        return f"应为列表，实际为 {value!r}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"应为键值映射，实际为 {value!r}"
    if kind == "too_short":
        return f"至少需要 {ctx.get('min_length')} 项"
    if kind == "value_error":
        return str(ctx.get("error", error.get("msg", "")))
    return f"取值无效：{error.get('msg')}"


def _at(mark: Any) -> tuple[int | None, int | None]:
    """1-based line and column of a ruamel mark."""
    return (mark.line + 1, mark.column + 1) if mark is not None else (None, None)


def _open_quote(text: str, error_line: int) -> tuple[int, int] | None:
    """Where a double quote opened that was never closed, judged from the lines up to ``error_line``.

    An unclosed quote pairs with the next quote further down, so YAML reports a puzzling error lines
    later. Reading the lines as YAML does finds it: a quote still open at the error, or a quote that ran
    over several lines and "closed" with text following it on the same line.
    """
    opened: tuple[int, int] | None = None
    suspect: tuple[int, int] | None = None
    for number, line in enumerate(text.splitlines()[:error_line], start=1):
        index = 0
        while index < len(line):
            char = line[index]
            if opened is None and char == "#" and (index == 0 or line[index - 1] in " \t"):
                break  # a comment
            if opened is not None and char == "\\":
                index += 2
                continue
            if char == '"' and opened is not None:
                rest = line[index + 1 :].strip()
                if opened[0] < number and rest and not rest.startswith(("#", ",", "]", "}")):
                    suspect = opened
                opened = None
            elif char == '"' and (index == 0 or line[index - 1] in " \t:[{,-"):
                opened = (number, index + 1)
            index += 1
    if opened is not None and opened[0] < error_line:
        return opened
    return suspect


def _yaml_problem(exc: MarkedYAMLError, display: str, source: str = "") -> RubricProblem:
    """A YAML syntax error in plain Chinese, at the line and column where it is best fixed."""
    problem, context = str(exc.problem or ""), str(exc.context or "")
    line, column = _at(exc.problem_mark)
    start_line, start_column = _at(exc.context_mark)
    starts = f"第{start_line}行第{start_column}列" if start_line else "上文"
    found = re.search(r"found '([^']*)'", problem)
    quote = _open_quote(source, line) if line and "quoted scalar" not in context else None
    text: str
    if quote is not None and not isinstance(exc, DuplicateKeyError):
        (line, column), detected = quote, line
        text = f"引号没有闭合：这里开始的双引号缺少结束的引号，YAML 把它一直读到了后面的引号，直到第{detected}行才出错"
    elif isinstance(exc, DuplicateKeyError):
        key = re.search(r'duplicate key "([^"]*)"', problem)
        text = f"键“{key.group(1) if key else '?'}”在同一层级重复出现（这一层从第{start_line}行开始），请删去或合并其中一个"
    elif "mapping values are not allowed" in problem:
        text = "此处不能出现“键: 值”：可能是这一行的缩进与上一行不一致，或取值文本中含有“: ”（含冒号的文本请加引号）"
    elif "could not find expected ':'" in problem:
        line, column = start_line or line, start_column or column
        text = "缺少冒号：这一行应写成“键: 值”（冒号后留一个空格），或是上一行的文本换行后缩进不对"
    elif "'\\t'" in problem:
        text = "使用了制表符（Tab）：YAML 只能用空格缩进，请把 Tab 换成空格"
    elif "cannot start any token" in problem:
        char = re.search(r"found character '(.*)' that", problem)
        text = f"取值不能以字符“{char.group(1) if char else '?'}”开头，请给这个取值加上引号"
    elif "quoted scalar" in context and ("end of stream" in problem or "document separator" in problem):
        line, column = start_line or line, start_column or column
        text = "引号没有闭合：从这里开始的引号之后没有对应的结束引号"
    elif "unknown escape character" in problem:
        char = re.search(r"character '(.*)'", problem)
        text = f"双引号中的转义“\\{char.group(1) if char else ''}”无效：反斜杠请写成两个（\\\\），或改用单引号"
    elif "flow sequence" in context or "flow mapping" in context:
        opening, closing = ("[", "]") if "sequence" in context else ("{", "}")
        text = f"括号没有闭合：{starts}的“{opening}”缺少对应的“{closing}”，或其中的项之间缺少逗号"
    elif "expected <block end>" in problem and found and found.group(1) == "<scalar>":
        text = f"此处多出一段文字：可能是带引号的文本在结束引号之后还有内容，或缩进与{starts}开始的同一层级不一致"
    elif "expected <block end>" in problem and found and found.group(1) == "-":
        text = f"缩进不一致：列表项“- ”与{starts}开始的同一层级没有对齐"
    elif "expected <block end>" in problem:
        text = f"缩进不一致：这一行与{starts}开始的同一层级没有对齐"
    elif "undefined alias" in problem:
        alias = re.search(r"alias '([^']*)'", problem)
        text = f"引用了未定义的锚点“*{alias.group(1) if alias else ''}”（以 * 或 & 开头的文本请加引号）"
    elif "single document" in context:
        text = "一个文件只能有一个文档：这里的“---”之后又开始了一个文档，请删去这一行"
    else:
        text = f"无法解析（原文：{problem or context or exc}）"
    return RubricProblem(display, line, "", f"YAML 格式错误：{text}", column)


def _parse_yaml(text: str, display: str) -> tuple[Any, list[RubricProblem]]:
    yaml = YAML(typ="rt")
    try:
        return yaml.load(text), []
    except MarkedYAMLError as exc:
        return None, [_yaml_problem(exc, display, text)]
    except ReaderError as exc:
        before = text[: exc.position] if isinstance(exc.position, int) else ""
        line = before.count("\n") + 1 if before or exc.position == 0 else None
        column = len(before) - (before.rfind("\n") + 1) + 1 if line else None
        return None, [
            RubricProblem(
                display, line, "", f"YAML 格式错误：含有不允许的控制字符（编码 {exc.character!r}），请删去", column
            )
        ]
    except YAMLError as exc:
        return None, [RubricProblem(display, None, "", f"YAML 格式错误：无法解析（原文：{exc}）")]


def _display(path: Path) -> str:
    return paths.display_path(path)


def read_rubric_texts(
    directory: str | os.PathLike | None = None, *, replace: dict[str, Path] | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """The YAML text of every rubric file and the name to show for it in messages.

    ``replace`` maps a file name (e.g. ``"checklist.yaml"``) to another path, so a
    single edited file can be checked in the context of the others. Raises :class:`RubricError`
    listing every file that is missing, unknown or unreadable.
    """
    texts, displays, problems = _read_files(directory, replace)
    if problems:
        raise RubricError(problems)
    return texts, displays


def _read_files(
    directory: str | os.PathLike | None, replace: dict[str, Path] | None
) -> tuple[dict[str, str], dict[str, str], list[RubricProblem]]:
    root = Path(directory) if directory is not None else default_rubric_dir()
    replace = replace or {}
    if not root.is_dir():
        raise RubricError([RubricProblem(_display(root), None, "", "评分标准目录不存在")])
    problems: list[RubricProblem] = []
    texts: dict[str, str] = {}
    displays: dict[str, str] = {}
    for extra in sorted(p.name for p in root.glob("*.yaml") if p.name not in FILES):
        problems.append(
            RubricProblem(_display(root / extra), None, "", f"未知的评分标准文件，应为：{'、'.join(FILES)}")
        )
    for name in FILES:
        path = replace.get(name, root / name)
        displays[name] = _display(path)
        try:
            texts[name] = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            problems.append(RubricProblem(displays[name], None, "", "缺少评分标准文件"))
        except UnicodeDecodeError:
            problems.append(RubricProblem(displays[name], None, "", "文件不是 UTF-8 编码"))
        except OSError as exc:
            problems.append(RubricProblem(displays[name], None, "", f"无法读取文件：{exc.strerror}"))
    return texts, displays, problems


def load_rubric(directory: str | os.PathLike | None = None, *, replace: dict[str, Path] | None = None) -> Rubric:
    """Load and validate every rubric file of ``directory`` (default ``rubrics/``).

    Raises :class:`RubricError` listing every problem of every file, each with file, line and field:
    a file that cannot be read does not hide the problems of the others.
    """
    texts, displays, problems = _read_files(directory, replace)
    return _validate(texts, displays, problems)


def load_rubric_texts(texts: dict[str, str], *, displays: dict[str, str] | None = None) -> Rubric:
    """Validate a rubric given as file name → YAML text (e.g. a version kept in the database)."""
    displays = displays or {name: name for name in FILES}
    problems: list[RubricProblem] = []
    for name in sorted(set(texts) - set(FILES)):
        problems.append(RubricProblem(name, None, "", f"未知的评分标准文件，应为：{'、'.join(FILES)}"))
    for name in FILES:
        if name not in texts:
            problems.append(RubricProblem(displays.get(name, name), None, "", "缺少评分标准文件"))
    return _validate({n: t for n, t in texts.items() if n in FILES}, displays, problems)


def _validate(texts: dict[str, str], displays: dict[str, str], problems: list[RubricProblem]) -> Rubric:
    """Parse and validate ``texts`` (only known file names), adding to ``problems`` (the files' own,
    e.g. missing): first every file's syntax and validation, then — when every file validated — the
    checks that span files; raises one :class:`RubricError` with all of them."""
    problems = list(problems)
    doubtful: set[str] = set()  # files with problems of their own: cross-file checks reading them are skipped
    sections: dict[str, Any] = {}
    trees: dict[str, Any] = {}
    for name, model in FILES.items():
        display = displays.get(name, name)
        if name not in texts:
            continue
        tree, read_problems = _parse_yaml(texts[name], display)
        problems.extend(read_problems)
        if read_problems:
            continue
        if not isinstance(tree, CommentedMap):
            problems.append(RubricProblem(display, 1, "", "文件内容应为键值映射"))
            continue
        trees[name] = (display, tree)
        try:
            section = model.model_validate(_plain(tree))
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = tuple(error["loc"])
                problems.append(
                    RubricProblem(display, _line_of(tree, loc) or 1, _field_path(tree, loc), _message(error))
                )
            continue
        sections[name] = section
        for loc, message in section.problems():
            doubtful.add(name)
            problems.append(RubricProblem(display, _line_of(tree, loc) or 1, _field_path(tree, loc), message))
    if len(sections) < len(FILES):
        raise RubricError(problems)
    rubric = Rubric(
        meta=sections["meta.yaml"],
        channels=sections["channels.yaml"],
        checklist=sections["checklist.yaml"],
        eligibility=sections["eligibility.yaml"],
        activities=sections["activities.yaml"],
        structure=sections["structure.yaml"],
        members=sections["members.yaml"],
        targets=sections["targets.yaml"],
        workflow=sections["workflow.yaml"],
    )
    try:
        cross = rubric.cross_file_problems(doubtful=frozenset(doubtful))
    except Exception:
        # A file's own problem (e.g. a channel missing) can keep the cross-file checks from running;
        # that problem is already reported. Without one, a failure here is a bug and is not hidden.
        if not problems:
            raise
        cross = []
    for file, loc, message in cross:
        display, tree = trees[file]
        problems.append(RubricProblem(display, _line_of(tree, loc), _field_path(tree, loc), message))
    if problems:
        raise RubricError(problems)
    return rubric

"""Load a rubric directory, validate it fully, and say exactly where it is wrong.

YAML is read with ruamel.yaml's round-trip loader, which keeps the line of every
key, so a pydantic error location such as ``('items', 3, 'weight')`` becomes
``rubrics/checklist.yaml:87``. All problems of all files are collected before
anything is refused.
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
from ruamel.yaml.error import MarkedYAMLError

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

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" 字段 {self.field}" if self.field else ""
        return f"{where}{field}：{self.message}"


class RubricError(ValueError):
    """A rubric that cannot be used; ``problems`` lists every defect found."""

    def __init__(self, problems: list[RubricProblem]):
        self.problems = problems
        super().__init__("评分标准有误：\n" + "\n".join(f"  {p}" for p in problems))


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


def _field_path(node: Any, loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            text += f".{part}" if text else str(part)
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if 0 <= part < len(node) else None
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


def _parse_yaml(text: str, display: str) -> tuple[Any, list[RubricProblem]]:
    yaml = YAML(typ="rt")
    try:
        return yaml.load(text), []
    except DuplicateKeyError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        key = re.search(r'duplicate key "([^"]*)"', str(exc.problem))
        return None, [RubricProblem(display, line, "", f"键“{key.group(1) if key else '?'}”在同一层级重复出现")]
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        return None, [RubricProblem(display, line, "", f"YAML 格式错误：{exc.problem}")]


def _display(path: Path) -> str:
    return paths.display_path(path)


def read_rubric_texts(
    directory: str | os.PathLike | None = None, *, replace: dict[str, Path] | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """The YAML text of every rubric file and the name to show for it in messages.

    ``replace`` maps a file name (e.g. ``"checklist.yaml"``) to another path, so a
    single edited file can be checked in the context of the others.
    """
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
    if problems:
        raise RubricError(problems)
    return texts, displays


def load_rubric(directory: str | os.PathLike | None = None, *, replace: dict[str, Path] | None = None) -> Rubric:
    """Load and validate every rubric file of ``directory`` (default ``rubrics/``).

    Raises :class:`RubricError` listing every problem, each with file, line and field.
    """
    texts, displays = read_rubric_texts(directory, replace=replace)
    return load_rubric_texts(texts, displays=displays)


def load_rubric_texts(texts: dict[str, str], *, displays: dict[str, str] | None = None) -> Rubric:
    """Validate a rubric given as file name → YAML text (e.g. a version kept in the database)."""
    displays = displays or {name: name for name in FILES}
    problems: list[RubricProblem] = []
    sections: dict[str, Any] = {}
    trees: dict[str, Any] = {}
    for name in sorted(set(texts) - set(FILES)):
        problems.append(RubricProblem(name, None, "", f"未知的评分标准文件，应为：{'、'.join(FILES)}"))
    for name, model in FILES.items():
        display = displays.get(name, name)
        if name not in texts:
            problems.append(RubricProblem(display, None, "", "缺少评分标准文件"))
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
            problems.append(RubricProblem(display, _line_of(tree, loc) or 1, _field_path(tree, loc), message))
    if problems:
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
    for file, loc, message in rubric.cross_file_problems():
        display, tree = trees[file]
        problems.append(RubricProblem(display, _line_of(tree, loc), _field_path(tree, loc), message))
    if problems:
        raise RubricError(problems)
    return rubric

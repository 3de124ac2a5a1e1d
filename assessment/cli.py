"""The command line: ``assessment`` or ``python -m assessment``.

Exit codes: 0 done; 2 the user's input needs fixing (a workbook, a rubric, a path,
an option) — the message says what, in Chinese, and nothing is written; 1 an
internal error (the traceback only with ``--debug``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import traceback
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from . import glossary as g
from .rubric import RubricError, default_rubric_dir, load_rubric
from .rubric.model import FILES as RUBRIC_FILES

if TYPE_CHECKING:
    import pandas as pd

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USER = 2

DEFAULT_DEMO_PATH = Path("data") / "demo" / "demo_street.xlsx"
DEFAULT_IMPORT_EVALUATOR = "导入"
REVISIONS_SHEET = "修订记录"
MIN_YEAR, MAX_YEAR = 2000, 2100


class UserError(Exception):
    """A mistake the user can fix; the message is Chinese and printed as is."""


# ------------------------------------------------------------------ argparse in Chinese
_ARGPARSE_MESSAGES = (
    ("the following arguments are required: ", "缺少必填参数："),
    ("unrecognized arguments: ", "无法识别的参数："),
    ("expected one argument", "需要一个值"),
    ("invalid choice: ", "无效的选项："),
    ("choose from ", "可选："),
    ("argument ", "参数 "),
    ("ambiguous option: ", "选项不明确："),
    ("could match", "可能是"),
    ("invalid int value: ", "应为整数，实际为 "),
    ("not allowed with argument", "不能与以下参数同时使用："),
)


def _translate(message: str) -> str:
    # argparse's own messages are English; the common ones are translated, others shown as they are.
    for english, chinese in _ARGPARSE_MESSAGES:
        message = message.replace(english, chinese)
    return message.replace(": ", "：")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, prefix="用法：" if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USER, f"{self.prog}：错误：{_translate(message)}\n")


def _year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"年份应为整数，如 2025，实际为“{text}”") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise argparse.ArgumentTypeError(f"年份应在 {MIN_YEAR} 到 {MAX_YEAR} 之间，实际为 {year}")
    return year


def _seed(text: str) -> int:
    try:
        seed = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"随机种子应为不小于0的整数，实际为“{text}”") from None
    if seed < 0:
        raise argparse.ArgumentTypeError(f"随机种子应为不小于0的整数，实际为 {seed}")
    return seed


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="assessment",
        description="四评：党支部标准化规范化考评工具（命令行）。",
        epilog=(
            "示例：\n"
            "  assessment template 模板.xlsx\n"
            "  assessment validate 填报.xlsx\n"
            "  assessment score 填报.xlsx --year 2025 --out 结果.xlsx\n"
            "  assessment demo --out data/demo/demo_street.xlsx\n"
            "  assessment import 填报.xlsx --evaluator 张三 --year 2025\n"
            "  assessment export --out 结果.xlsx --year 2025\n"
            "  assessment rubric check rubrics/checklist.yaml\n"
            "\n数据库：import/export 使用环境变量 ASSESSMENT_DATABASE_URL 指定的数据库，\n"
            "未设置时使用 data/siping.sqlite；--database 可临时指定其他数据库。\n"
            "\n退出码：0 成功；2 输入有误（已列出问题，未写入任何文件）；1 内部错误。"
        ),
    )
    parser.add_argument("--debug", action="store_true", help="出现内部错误时显示完整的错误追踪信息")
    # --debug is also accepted after the command; SUPPRESS keeps the subcommand from resetting it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="出现内部错误时显示完整的错误追踪信息"
    )
    rubric_option = argparse.ArgumentParser(add_help=False)
    rubric_option.add_argument(
        "--rubric", metavar="目录", type=Path, default=None, help=f"评分标准目录（默认：{default_rubric_dir()}）"
    )

    def sub(name: str, help_text: str, *, with_rubric: bool = True) -> argparse.ArgumentParser:
        parents = [common, rubric_option] if with_rubric else [common]
        return commands.add_parser(name, help=help_text, description=help_text, parents=parents)

    commands = parser.add_subparsers(dest="command", metavar="命令", title="命令", parser_class=_Parser)
    commands.required = True

    p = sub("template", "生成空白的填报模板（.xlsx）")
    p.add_argument("path", metavar="模板.xlsx", type=Path, help="要生成的模板文件")

    p = sub("validate", "只检查填报的工作簿，列出全部问题，不评分")
    p.add_argument("workbook", metavar="填报.xlsx", type=Path, help="填好的工作簿")

    p = sub("score", "检查并评分，把结果写到 .xlsx 文件或 CSV 目录")
    p.add_argument("workbook", metavar="填报.xlsx", type=Path, help="填好的工作簿")
    p.add_argument(
        "--year", metavar="年份", type=_year, required=True, help="考评年度，如 2025（组织生活按该自然年检查）"
    )
    p.add_argument(
        "--out",
        metavar="结果",
        type=Path,
        required=True,
        help="结果文件：以 .xlsx 结尾时写一个工作簿；否则视为目录，每张表写一个 UTF-8 CSV 文件",
    )

    p = sub("demo", "生成一份演示用的街道填报工作簿（虚构数据）")
    p.add_argument(
        "--out",
        metavar="文件.xlsx",
        type=Path,
        default=DEFAULT_DEMO_PATH,
        help=f"输出文件（默认：{DEFAULT_DEMO_PATH}）",
    )
    p.add_argument(
        "--seed", metavar="N", type=_seed, default=2025, help="随机种子，同一种子生成相同的数据（默认：2025）"
    )

    database_option = argparse.ArgumentParser(add_help=False)
    database_option.add_argument(
        "--database",
        metavar="地址",
        default=None,
        help="数据库地址，如 sqlite:///data/siping.sqlite 或 postgresql://用户@主机/库名"
        "（默认：环境变量 ASSESSMENT_DATABASE_URL，未设置时为 data/siping.sqlite）",
    )

    p = commands.add_parser(
        "import",
        help="把填好的工作簿导入数据库（支部、活动记录和考评提交）",
        description="检查工作簿并导入数据库：更新支部基本信息，保存该年度的活动记录，"
        "每个有考评数据的支部保存一份考评提交（重复导入时作为更正，原有记录全部保留）。",
        parents=[common, rubric_option, database_option],
    )
    p.add_argument("workbook", metavar="填报.xlsx", type=Path, help="填好的工作簿")
    p.add_argument(
        "--evaluator",
        metavar="姓名",
        default=DEFAULT_IMPORT_EVALUATOR,
        help=f"考评人（默认：{DEFAULT_IMPORT_EVALUATOR}）",
    )
    p.add_argument(
        "--year",
        metavar="年份",
        type=_year,
        default=None,
        help="考评年度（默认：活动记录最多的年份；没有活动记录时为今年）",
    )

    p = commands.add_parser(
        "export",
        help="从数据库导出当前的评分结果和修订记录",
        description="按数据库中各支部当前的考评提交（多人考评时合并）评分，写出与 score 相同的结果表，另加“修订记录”表。",
        parents=[common, rubric_option, database_option],
    )
    p.add_argument(
        "--out",
        metavar="结果",
        type=Path,
        required=True,
        help="结果文件：以 .xlsx 结尾时写一个工作簿；否则视为目录，每张表写一个 UTF-8 CSV 文件",
    )
    p.add_argument("--year", metavar="年份", type=_year, default=None, help="考评年度（默认：数据库中最近的年度）")

    p = sub("rubric", "评分标准相关操作", with_rubric=False)
    rubric_commands = p.add_subparsers(dest="rubric_command", metavar="操作", title="操作", parser_class=_Parser)
    rubric_commands.required = True
    check = rubric_commands.add_parser(
        "check",
        help="检查评分标准目录或单个 YAML 文件",
        description="检查评分标准：可以是一个目录，也可以是单个 YAML 文件（与默认目录中的其他文件一起检查）。",
        parents=[common],
    )
    check.add_argument(
        "path",
        metavar="路径",
        type=Path,
        nargs="?",
        default=None,
        help="评分标准目录或 YAML 文件（默认：评分标准目录）",
    )
    return parser


# ------------------------------------------------------------------ commands
def _rubric(directory: Path | None):
    if directory is not None and not directory.is_dir():
        raise UserError(f"评分标准目录不存在：{directory}")
    return load_rubric(directory)


def _workbook_path(path: Path) -> Path:
    if not path.exists():
        raise UserError(f"找不到工作簿：{path}")
    return path


def _print_problems(error, out: TextIO) -> None:
    count = len(error.problems)
    print(f"工作簿有 {count} 处问题，请修改后重试：", file=out)
    for problem in error.problems:
        print(f"  {problem}", file=out)


def _cmd_template(args) -> int:
    from .workbook import write_template

    rubric = _rubric(args.rubric)
    _check_xlsx(args.path)
    written = write_template(args.path, rubric)
    print(f"已生成填报模板：{written}（评分标准 版本 {rubric.version}）")
    return EXIT_OK


def _check_xlsx(path: Path) -> None:
    if path.suffix.lower() != ".xlsx":
        raise UserError(f"输出文件应以 .xlsx 结尾：{path}")


def _counts(inputs) -> str:
    return (
        f"{len(inputs.branches)} 个支部，组织评定 {len(inputs.org)} 行，党员评议 {len(inputs.member)} 行，"
        f"群众评判 {len(inputs.public)} 行，社会评价 {len(inputs.social)} 条意见，活动记录 {len(inputs.activities)} 条"
    )


def _cmd_validate(args) -> int:
    from .workbook import WorkbookError, read_workbook

    rubric = _rubric(args.rubric)
    try:
        inputs = read_workbook(_workbook_path(args.workbook), rubric)
    except WorkbookError as error:
        _print_problems(error, sys.stdout)
        return EXIT_USER
    print(f"检查通过：{_counts(inputs)}（评分标准 版本 {rubric.version}）。")
    return EXIT_OK


def _count_yes(table, column: str) -> int | None:
    if column not in table:
        return None
    return int(table[column].isin([g.YES, True]).sum())


def _summary(tables) -> str:
    table = tables.get("结果")
    if table is None:
        return ""
    parts = [f"{len(table)} 个支部"]
    for label, count in (
        (g.STANDARDIZED, _count_yes(table, g.STANDARDIZED)),
        (g.STRONGEST, _count_yes(table, g.STRONGEST)),
    ):
        if count is not None:
            parts.append(f"{label} {count} 个")
    if g.STATUS in table:
        parts.append(f"{g.INCOMPLETE} {int((table[g.STATUS] == g.INCOMPLETE).sum())} 个")
    return "，".join(parts)


def _check_results_target(out: Path) -> None:
    suffix = out.suffix.lower()
    # Anything else without one of these suffixes is a directory of CSV files, as promised in --help.
    if suffix in {".xls", ".xlsm", ".csv", ".et", ".ods", ".txt"}:
        raise UserError(f"--out 应为 .xlsx 文件或一个目录（写入 CSV 文件），实际为 {out}")
    if suffix == ".xlsx" and out.is_dir():
        raise UserError(f"--out 指向的是一个目录：{out}")
    if suffix != ".xlsx" and out.exists() and not out.is_dir():
        raise UserError(f"--out 应为目录，但 {out} 是一个文件")
    if not out.parent.is_dir():
        raise UserError(f"结果的所在目录不存在：{out.parent}")


def _cmd_score(args) -> int:
    from .report import result_tables
    from .scoring import score
    from .workbook import WorkbookError, read_workbook, write_tables

    rubric = _rubric(args.rubric)
    _check_results_target(args.out)
    try:
        inputs = read_workbook(_workbook_path(args.workbook), rubric)
    except WorkbookError as error:
        _print_problems(error, sys.stderr)
        print("未评分，未写入任何结果。", file=sys.stderr)
        return EXIT_USER
    log_years = inputs.activities["date"].dt.year
    if len(log_years) and not (log_years == args.year).any():
        # The usual slip: last year's workbook scored with this year's --year (or the reverse).
        years = "、".join(str(y) for y in sorted(log_years.dropna().unique().astype(int)))
        print(f"提示：活动记录中没有{args.year}年的活动（只有{years}年），请确认 --year 是否正确。", file=sys.stderr)
    results = score(rubric, inputs, year=args.year)
    tables = result_tables(results, rubric)
    written = write_tables(tables, args.out)
    print(f"{args.year}年度评分完成：{_summary(tables)}。")
    print(f"结果已写入：{written}（评分标准 版本 {rubric.version}）")
    return EXIT_OK


def _cmd_demo(args) -> int:
    from .demo import generate_demo
    from .workbook import write_input_workbook

    rubric = _rubric(args.rubric)
    _check_xlsx(args.out)
    if args.out == DEFAULT_DEMO_PATH:
        # The default place lives in the repository's data/ folder, which git does not keep.
        args.out.parent.mkdir(parents=True, exist_ok=True)
    inputs = generate_demo(rubric, seed=args.seed)
    written = write_input_workbook(inputs, rubric, args.out)
    print(f"已生成演示工作簿：{written}（{_counts(inputs)}，随机种子 {args.seed}）")
    return EXIT_OK


def _cmd_rubric(args) -> int:
    path: Path | None = args.path
    if path is None:
        rubric = load_rubric()
    elif path.is_dir():
        rubric = load_rubric(path)
    elif path.is_file():
        if path.name not in RUBRIC_FILES:
            raise UserError(f"无法判断 {path.name} 是哪一个评分标准文件：文件名应为 {'、'.join(RUBRIC_FILES)} 之一")
        # One edited file is checked together with the other files of the default rubric.
        rubric = load_rubric(default_rubric_dir(), replace={path.name: path})
    else:
        raise UserError(f"找不到评分标准：{path}")
    print(f"评分标准 版本 {rubric.version} 检查通过（{rubric.meta.name}，{len(rubric.items)} 个指标）")
    return EXIT_OK


@contextmanager
def _store(url: str | None, rubric):
    """An open store; the store's refusals (Chinese) become user errors (exit 2)."""
    from .store import Store, StoreError

    try:
        with Store(url, rubric=rubric) as store:
            yield store
    except StoreError as error:
        raise UserError(str(error)) from None


def _default_year(inputs) -> int:
    """The year most activity rows fall in; without activity rows, this year."""
    years = inputs.activities["date"].dropna().dt.year
    if len(years):
        counts = years.value_counts()
        # On a tie, the later year: a workbook usually carries a few rows of the year before.
        return int(max(counts[counts == counts.max()].index))
    return dt.date.today().year


def _cmd_import(args) -> int:
    from .workbook import WorkbookError, read_workbook

    rubric = _rubric(args.rubric)
    evaluator = args.evaluator.strip()
    if not evaluator:
        raise UserError("--evaluator 不能为空")
    try:
        inputs = read_workbook(_workbook_path(args.workbook), rubric)
    except WorkbookError as error:
        _print_problems(error, sys.stderr)
        print("未导入，数据库没有任何改动。", file=sys.stderr)
        return EXIT_USER
    year = args.year if args.year is not None else _default_year(inputs)
    with _store(args.database, rubric) as store:
        report = store.import_inputs(
            inputs, year=year, evaluator=evaluator, rubric_version=rubric, source=args.workbook.name
        )
        where = store.url.render_as_string(hide_password=True)
    outside = report.activity_rows_outside_year
    if outside:
        # As in `score`: all of them outside the year is the usual slip of a wrong --year.
        check = "请确认 --year 是否正确。" if outside == report.activity_rows else "已原样保存。"
        print(f"提示：有 {outside} 条活动记录的日期不在{year}年，评分时不计入；{check}", file=sys.stderr)
    print(f"已导入 {args.workbook.name}（{year}年度，考评人 {evaluator}，评分标准 版本 {rubric.version}）：{report}。")
    print(f"数据库：{where}")
    return EXIT_OK


def _local_time(moment: dt.datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S %z").rstrip()


def revisions_table(revisions) -> pd.DataFrame:
    """Sheet 修订记录: the revisions by branch and revision number, with the status users read."""
    import pandas as pd

    from .store import STATUS_LABELS

    rows = [
        {
            g.BRANCH_ID: r.branch_id,
            "修订号": r.revision_no,
            "时间": _local_time(r.created_at),
            "评估人": r.evaluator,
            g.RUBRIC_VERSION: r.rubric_version,
            "状态": STATUS_LABELS[r.status],
            "更正原因": r.reason or "",
        }
        for r in sorted(revisions, key=lambda r: (r.branch_id, r.revision_no))
    ]
    columns = [g.BRANCH_ID, "修订号", "时间", "评估人", g.RUBRIC_VERSION, "状态", "更正原因"]
    return pd.DataFrame(rows, columns=columns)


def _cmd_export(args) -> int:
    from .report import result_tables
    from .scoring import score
    from .workbook import write_tables

    rubric = _rubric(args.rubric)
    _check_results_target(args.out)
    with _store(args.database, rubric) as store:
        where = store.url.render_as_string(hide_password=True)
        years = store.years()
        if not len(store.branches()) or not years:
            raise UserError(f"数据库中还没有数据（{where}）：请先用 import 导入填好的工作簿。")
        year = args.year if args.year is not None else years[-1]
        if year not in years:
            raise UserError(f"数据库中没有{year}年度的数据，已有年度：{'、'.join(str(y) for y in years)}")
        inputs, disagreements = store.current_inputs(year, rubric)
        revisions = store.revisions(year=year)
    results = score(rubric, inputs, year=year)
    tables = result_tables(results, rubric)
    tables[REVISIONS_SHEET] = revisions_table(revisions)
    written = write_tables(tables, args.out)
    print(f"{year}年度评分完成：{_summary(tables)}，修订记录 {len(revisions)} 条。")
    disputed = {branch: found for branch, found in disagreements.items() if found}
    if disputed:
        print(f"提示：{len(disputed)} 个支部的考评人意见不一致（已按评分标准合并）：{'、'.join(sorted(disputed))}")
    print(f"结果已写入：{written}（评分标准 版本 {rubric.version}，数据库：{where}）")
    return EXIT_OK


_COMMANDS = {
    "template": _cmd_template,
    "validate": _cmd_validate,
    "score": _cmd_score,
    "demo": _cmd_demo,
    "rubric": _cmd_rubric,
    "import": _cmd_import,
    "export": _cmd_export,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (argparse's own exits are returned too)."""
    from .workbook import OutputError

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_USER
    debug = getattr(args, "debug", False)
    try:
        return _COMMANDS[args.command](args)
    except RubricError as error:
        print(str(error), file=sys.stderr)
        return EXIT_USER
    except (UserError, OutputError) as error:
        print(f"错误：{error}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 — the last line of defence: no traceback for users
        print(f"内部错误（{type(error).__name__}）：{error}", file=sys.stderr)
        if debug:
            traceback.print_exc(file=sys.stderr)
        else:
            print("这不是输入的问题，请把出错时的命令加上 --debug 重新运行，并将输出发给维护人员。", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

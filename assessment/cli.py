"""The command line: ``assessment`` or ``python -m assessment``.

Exit codes: 0 done; 2 the user's input needs fixing (a workbook, a rubric, a path,
an option) — the message says what, in Chinese, and nothing is written; 1 an
internal error (the traceback only with ``--debug``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import traceback
import urllib.parse
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from . import glossary as g
from . import paths
from .localtime import local_time
from .rubric import RubricError, default_rubric_dir, load_rubric
from .rubric.model import FILES as RUBRIC_FILES

if TYPE_CHECKING:
    import pandas as pd

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USER = 2

DEMO_YEAR = paths.DEMO_YEAR  # the year of data/demo/demo_street.xlsx
DATABASE_DEFAULT = "环境变量 ASSESSMENT_DATABASE_URL，未设置时为数据目录中的 siping.sqlite"
DEFAULT_PAGE_HOST = "127.0.0.1"
DEFAULT_PAGE_PORT = 8866  # scripts/serve.sh's default
PUBLIC_URL_VAR = "ASSESSMENT_PUBLIC_URL"  # the public server's address behind nginx (deploy/systemd/siping.env)
SELF_ASSESS_PAGE = "self_assess.ipynb"
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
            "  assessment demo --out 演示.xlsx\n"
            "  assessment import 填报.xlsx --evaluator 张三 --year 2025\n"
            "  assessment export --out 结果.xlsx --year 2025\n"
            "  assessment rubric check rubrics/checklist.yaml\n"
            "  assessment rubric import 细则.xlsx --out 新标准/\n"
            "  assessment rubric save 新标准/ --author 李四 --note 提高组织评定权重\n"
            "  assessment rubric versions\n"
            "  assessment access issue JD001 --year 2025\n"
            "  assessment workflow list --year 2025 --status 已申请\n"
            "  assessment workflow move JD001 --year 2025 --to 街道考评中 --by 周考评 --reason 材料齐全\n"
            "  assessment report --year 2025 --out 报告/\n"
            "  assessment overview-export --year 2025 --out 总览.xlsx\n"
            "\n数据库：import/export 使用环境变量 ASSESSMENT_DATABASE_URL 指定的数据库，\n"
            "未设置时使用数据目录中的 siping.sqlite；--database 可临时指定其他数据库。\n"
            "数据目录：环境变量 ASSESSMENT_DATA_DIR；未设置时，在源码目录中运行为其中的 data/，\n"
            f"安装后为用户数据目录（现为 {paths.data_dir()}）。\n"
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
    # Commands that open the database score with the version marked current there, as the pages do.
    stored_rubric_option = argparse.ArgumentParser(add_help=False)
    stored_rubric_option.add_argument(
        "--rubric",
        metavar="目录",
        type=Path,
        default=None,
        help="改用此目录中的评分标准（默认：数据库中标为当前的评分标准版本，与各页面一致）",
    )

    # Commands that show stored results show them as decided (each with the version stored with it);
    # --rubric there is a what-if, labelled 假设评分 in what they write, and nothing is stored.
    what_if_option = argparse.ArgumentParser(add_help=False)
    what_if_option.add_argument(
        "--rubric",
        metavar="目录",
        type=Path,
        default=None,
        help="假设评分：改用此目录中的评分标准给全部考评提交重新评分（不保存，输出注明“假设评分”）；"
        "默认按各支部评定时保存的评分标准版本",
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
        default=None,
        help=f"输出文件（默认：数据目录中的 demo/{paths.demo_workbook_name()}，现为 {paths.demo_output_path()}）",
    )
    p.add_argument(
        "--seed", metavar="N", type=_seed, default=2025, help="随机种子，同一种子生成相同的数据（默认：2025）"
    )
    p.add_argument(
        "--year",
        metavar="年份",
        type=_year,
        default=None,
        help="生成演示街道该年度的数据（同一批支部逐年提升；默认：2025，"
        "其他年度的默认输出为数据目录中的 demo/demo_street_年份.xlsx）",
    )
    p.add_argument(
        "--seed-workflow",
        action="store_true",
        help="不生成工作簿，而是把数据库中演示街道的支部按演示剧本推进考评验收流程"
        "（操作人“演示数据”；已有流程记录的年度不改动）",
    )
    p.add_argument(
        "--database",
        metavar="地址",
        default=None,
        help=f"与 --seed-workflow 一起使用：数据库地址（默认：{DATABASE_DEFAULT}）",
    )

    database_option = argparse.ArgumentParser(add_help=False)
    database_option.add_argument(
        "--database",
        metavar="地址",
        default=None,
        help=f"数据库地址，如 sqlite:///data/siping.sqlite 或 postgresql://用户@主机/库名（默认：{DATABASE_DEFAULT}）",
    )

    p = commands.add_parser(
        "import",
        help="把填好的工作簿导入数据库（支部、活动记录和考评提交）",
        description="检查工作簿并导入数据库：更新支部基本信息，保存该年度的活动记录，"
        "每个有考评数据的支部保存一份考评提交（重复导入时作为更正，原有记录全部保留）。",
        parents=[common, stored_rubric_option, database_option],
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
        description="按数据库中各支部当前的考评提交（多人考评时合并）评分，写出与 score 相同的结果表，另加“修订记录”表。"
        "每个支部按其考评提交保存的评分标准版本评分（即评定时的结果，不因切换当前版本而改变）。",
        parents=[common, what_if_option, database_option],
    )
    p.add_argument(
        "--out",
        metavar="结果",
        type=Path,
        required=True,
        help="结果文件：以 .xlsx 结尾时写一个工作簿；否则视为目录，每张表写一个 UTF-8 CSV 文件",
    )
    p.add_argument("--year", metavar="年份", type=_year, default=None, help="考评年度（默认：数据库中最近的年度）")

    # --- the 总览 as a workbook
    p = commands.add_parser(
        "overview-export",
        aliases=["dashboard-export"],  # the command's name before the page was called 总览 (overview) everywhere
        help="导出考评总览（Excel：各表和图表）",
        description="按数据库中的全部年度生成考评总览：年度目标、考评流程、星级、四评平均分、软弱涣散、否决情况、"
        "待遇保障测算和各支部结果各占一张工作表，图表以图片插入“图表”工作表。"
        "各年度的结果按评定时保存的评分标准版本显示。",
        parents=[common, what_if_option, database_option],
    )
    p.add_argument("--year", metavar="年份", type=_year, default=None, help="总览的年度（默认：数据库中最近的年度）")
    p.add_argument("--out", metavar="文件.xlsx", type=Path, required=True, help="输出的 Excel 文件")

    # --- access codes for the self-assessment page
    p = commands.add_parser(
        "access",
        help="支部自评页面的访问码：发放、停用、查看",
        description="发放、停用、查看支部自评页面的访问码。数据库只保存访问码的摘要，访问码只在发放时显示一次。",
        parents=[common],
    )
    access_commands = p.add_subparsers(dest="access_command", metavar="操作", title="操作", parser_class=_Parser)
    access_commands.required = True
    issue = access_commands.add_parser(
        "issue",
        help="为支部发放访问码（同一支部同一年度原有的访问码随即停用）",
        description="为支部发放访问码并显示一次，连同自评页面的链接（可通过微信发给支部书记）。",
        parents=[common, stored_rubric_option, database_option],
    )
    issue.add_argument("branch", metavar="支部编号")
    issue.add_argument("--year", metavar="年份", type=_year, default=None, help="自评年度（默认：今年）")
    issue.add_argument("--by", metavar="姓名", default="管理员", help="发放人（默认：管理员）")
    issue.add_argument(
        "--base",
        "--host",
        dest="host",
        metavar="地址",
        default=os.environ.get(PUBLIC_URL_VAR, "").strip() or DEFAULT_PAGE_HOST,
        help="链接中自评页面（公开服务器）的地址：主机名、主机:端口，或带 https:// 与路径前缀的公开地址，"
        f"如 https://dangjian.example.gov.cn/siping/（默认：环境变量 {PUBLIC_URL_VAR}，未设置时为 {DEFAULT_PAGE_HOST}）",
    )
    issue.add_argument(
        "--port",
        metavar="端口",
        type=int,
        default=DEFAULT_PAGE_PORT,
        help=f"--base 只给主机名时的端口（默认：{DEFAULT_PAGE_PORT}）",
    )
    revoke = access_commands.add_parser(
        "revoke",
        help="停用支部的访问码",
        description="停用支部当前有效的访问码。",
        parents=[common, stored_rubric_option, database_option],
    )
    revoke.add_argument("branch", metavar="支部编号")
    revoke.add_argument("--year", metavar="年份", type=_year, default=None, help="只停用该年度的访问码（默认：全部）")
    revoke.add_argument("--by", metavar="姓名", default="管理员", help="操作人（默认：管理员）")
    revoke.add_argument("--reason", metavar="原因", default="管理员停用", help="停用原因（默认：管理员停用）")
    listing = access_commands.add_parser(
        "list",
        help="列出已发放的访问码（不显示访问码本身）",
        description="列出访问码的编号、支部、年度、状态和日期；访问码本身不保存，无法再次显示。",
        parents=[common, stored_rubric_option, database_option],
    )
    listing.add_argument("--branch", metavar="支部编号", default=None, help="只列出该支部")

    # --- staff accounts
    p = commands.add_parser(
        "user",
        help="工作人员账户（街道、区委、分析）：添加、列出、停用、重置",
        description=(
            "工作人员账户。登录后才能使用考评、总览和权重页面；登录的人就是评估人和操作人。"
            "每种账户能做什么写在评分标准 workflow.yaml 的 accounts 中。"
        ),
        parents=[common],
    )
    user_commands = p.add_subparsers(dest="user_command", metavar="操作", title="操作", parser_class=_Parser)
    user_commands.required = True
    add = user_commands.add_parser(
        "add",
        help="添加账户，显示一次性登录码（本人首次登录时用它设置密码）",
        description="添加账户并显示一次性登录码，只显示这一次；本人用姓名和这个码登录后设置自己的密码。",
        parents=[common, database_option],
    )
    add.add_argument("name", metavar="姓名")
    add.add_argument(
        "--role", metavar="角色", required=True, help="账户角色，如 街道、区委、分析（见 workflow.yaml 的 accounts）"
    )
    add.add_argument("--street", metavar="街道", default=None, help="街道账户所属的街道（只能查看和改动本街道的支部）")
    add.add_argument("--by", metavar="姓名", default="管理员", help="操作人（默认：管理员）")
    reset = user_commands.add_parser(
        "reset",
        help="重置密码：显示新的一次性登录码，原密码和已登录的页面随即失效（也用于重新启用停用的账户）",
        description="为账户生成新的一次性登录码（只显示这一次）；原密码失效，已登录的页面下一次操作时被拒绝。",
        parents=[common, database_option],
    )
    reset.add_argument("name", metavar="姓名")
    reset.add_argument("--by", metavar="姓名", default="管理员", help="操作人（默认：管理员）")
    disable = user_commands.add_parser(
        "disable",
        help="停用账户（已登录的页面随即失效）",
        description="停用账户：不能再登录，已登录的页面下一次操作时被拒绝。用 user reset 重新启用。",
        parents=[common, database_option],
    )
    disable.add_argument("name", metavar="姓名")
    disable.add_argument("--reason", metavar="原因", required=True, help="停用原因")
    disable.add_argument("--by", metavar="姓名", default="管理员", help="操作人（默认：管理员）")
    user_commands.add_parser(
        "list",
        help="列出账户（不显示密码）",
        description="列出账户的姓名、角色、街道、状态和添加时间。",
        parents=[common, database_option],
    )

    # --- the acceptance workflow
    p = commands.add_parser(
        "workflow",
        help="考评验收流程：查看状态、变更状态",
        description="支部申请—街道党工委考评—区委组织部验收、最强申报与撤销（规则见 rubrics/workflow.yaml）。",
        parents=[common],
    )
    workflow_commands = p.add_subparsers(dest="workflow_command", metavar="操作", title="操作", parser_class=_Parser)
    workflow_commands.required = True
    wlist = workflow_commands.add_parser(
        "list",
        help="列出各支部的状态",
        description="列出各支部某年度的考评状态。",
        parents=[common, stored_rubric_option, database_option],
    )
    wlist.add_argument("--year", metavar="年份", type=_year, default=None, help="年度（默认：今年）")
    wlist.add_argument("--status", metavar="状态", default=None, help="只列出处于该状态的支部，如 已申请")
    move = workflow_commands.add_parser(
        "move",
        help="变更一个支部的状态（记录操作人、时间和原因）",
        description="按 rubrics/workflow.yaml 的规则变更支部某年度的状态；规则不允许的变更会被拒绝并说明原因。",
        parents=[common, stored_rubric_option, database_option],
    )
    move.add_argument("branch", metavar="支部编号")
    move.add_argument("--year", metavar="年份", type=_year, required=True, help="年度")
    move.add_argument("--to", metavar="状态", required=True, help="新状态，如 街道考评中、待区委验收、已达标、撤销")
    move.add_argument("--by", metavar="姓名", required=True, help="操作人")
    move.add_argument("--reason", metavar="原因", required=True, help="变更原因（必填）")
    move.add_argument(
        "--exception",
        action="store_true",
        help="按例外办理：考评结果不支持此项变更时，由 workflow.yaml 的 exception_roles 中的角色写明理由后变更（标明“例外”）",
    )
    move.add_argument(
        "--role",
        metavar="角色",
        default=None,
        help=(
            "以哪一方的身份操作：workflow.yaml 中角色的名称或编号，如 支部、街道、区委"
            "（默认：该变更只允许一个考评方角色（如街道、区委）时即为该方，否则为第一个考评方角色）"
        ),
    )

    # --- reports
    p = commands.add_parser(
        "report",
        help="生成每个支部的考评报告（PDF，可打印）",
        description="按数据库中当前的考评提交评分，为每个支部生成一份 PDF 报告（含图表、否决规则、组织生活、找不足补短板和签字栏）。"
        "每个支部按其考评提交保存的评分标准版本评分（评定时的结果）。",
        parents=[common, what_if_option, database_option],
    )
    p.add_argument("--year", metavar="年份", type=_year, required=True, help="考评年度")
    p.add_argument("--out", metavar="目录", type=Path, required=True, help="报告写入的目录（不存在时创建）")
    p.add_argument("--branch", metavar="支部编号", default=None, help="只生成该支部的报告")
    p.add_argument("--html", action="store_true", help="同时写出 HTML 版本")

    # --- re-scoring a year with another version: explicit, stored as new revisions, audited
    p = commands.add_parser(
        "rescore",
        help="按指定的评分标准版本重新评定某一年度（保存为新的修订并记入审计日志）",
        description="把某一年度各支部当前的考评提交（内容不变）按指定的、已保存的评分标准版本重新评定："
        "每份按其他版本评定的提交都得到一份新的修订（更正，原修订保留为“已被更正”），并记入审计日志（操作人、原因）。"
        "切换当前版本不会改变以往年度的结果，只有本命令会。先用 --dry-run 查看将改变的结果。",
        parents=[common, database_option],
    )
    p.add_argument("--year", metavar="年份", type=_year, required=True, help="要重新评定的年度")
    p.add_argument("--version", metavar="版本号", required=True, help="已保存的评分标准版本，如 2026.2")
    p.add_argument("--by", metavar="姓名", required=True, help="操作人（必填）")
    p.add_argument(
        "--reason",
        metavar="原因",
        default=None,
        help="重新评定的原因（必填，记入每份新修订和审计日志；--dry-run 时可省略）",
    )
    p.add_argument("--branch", metavar="支部编号", action="append", default=None, help="只重新评定该支部（可重复）")
    p.add_argument("--dry-run", action="store_true", help="只列出结果将如何改变，不保存")

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
    rubric_commands.add_parser(
        "versions",
        help="列出数据库中保存的评分标准版本",
        description="列出数据库中保存的全部评分标准版本（保存时间、修改人、说明），并标出当前版本。",
        parents=[common, database_option],
    )
    save = rubric_commands.add_parser(
        "save",
        help="把评分标准目录保存为数据库中的新版本",
        description="检查评分标准目录，列出与当前版本的差异，并以 meta.yaml 中的版本号保存为新版本"
        "（已保存的版本不能覆盖）。默认同时设为当前版本：考评页面下次打开时使用它。",
        parents=[common, database_option],
    )
    save.add_argument("directory", metavar="目录", type=Path, help="评分标准目录（含 meta.yaml 等全部文件）")
    save.add_argument("--author", metavar="姓名", required=True, help="修改人（必填）")
    save.add_argument("--note", metavar="说明", required=True, help="修改说明（必填）")
    save.add_argument("--keep-current", action="store_true", help="只保存，不设为当前版本")
    use = rubric_commands.add_parser(
        "use",
        help="把数据库中已保存的某个版本设为当前版本",
        description="设定当前评分标准版本（考评页面下次打开时使用）。已保存的结果仍写明各自所用的版本。",
        parents=[common, database_option],
    )
    use.add_argument("version", metavar="版本号")
    use.add_argument("--by", metavar="姓名", required=True, help="操作人（必填）")
    use.add_argument("--reason", metavar="原因", required=True, help="原因（必填）")
    export_version = rubric_commands.add_parser(
        "export",
        help="把数据库中的某个版本写出为 YAML 文件",
        description="把数据库中保存的评分标准版本原样写出为 YAML 文件（可修改后用 rubric save 保存为新版本）。",
        parents=[common, database_option],
    )
    export_version.add_argument("version", metavar="版本号", help="版本号；current 表示当前版本")
    export_version.add_argument("--out", metavar="目录", type=Path, required=True, help="写入的目录（不存在时创建）")
    import_sheet = rubric_commands.add_parser(
        "import",
        help="把街道自己的评分细则（.xlsx）导入为评分标准草稿目录",
        description="读取评分细则工作簿（考核项目/考核内容/分值/评分标准/考核方式等列，合并单元格表示的各级栏目），"
        "识别常见的评分说明（每缺一项扣1分、少一次扣0.5分、每低10%扣1分、一般的扣0.5分、奖1分、一票否决等），"
        "写出按分值（points）编写的评分标准草稿：checklist.yaml 中每个栏目和指标注明来源（工作表、行），"
        "其他文件复制自程序自带的评分标准；不能识别的行连同原文列在草稿目录的导入说明中，请补写后用 rubric check 检查。",
        parents=[common],
    )
    import_sheet.add_argument("workbook", metavar="细则.xlsx", type=Path, help="街道的评分细则工作簿")
    import_sheet.add_argument(
        "--out", metavar="目录", type=Path, required=True, help="草稿目录（须不存在或为空目录，不会覆盖已有文件）"
    )
    import_sheet.add_argument(
        "--base",
        metavar="目录",
        type=Path,
        default=None,
        help="其他评分标准文件（channels.yaml、eligibility.yaml 等）从此目录复制（默认：程序自带的评分标准）",
    )
    import_sheet.add_argument(
        "--only-sheet",
        action="store_true",
        help="只用本细则：草稿只使用组织评定（不需要党员评议、群众评判、社会评价、组织生活等数据），"
        "达标与软弱涣散只按本细则的得分和关键项判定",
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
    from .outputs.input_workbook import write_template

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
    from .inputs.workbook import WorkbookError, read_workbook

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
    from .inputs.workbook import WorkbookError, read_workbook
    from .outputs.detail import detail_tables, self_points_from_org, with_detail
    from .outputs.excel import write_tables
    from .outputs.tables import result_tables
    from .scoring import score

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
    kinds = dict(zip(inputs.branches["branch_id"], inputs.branches["kind"], strict=True))
    own = self_points_from_org(inputs.org, lambda _branch: rubric)
    tables = with_detail(tables, detail_tables(results, lambda _branch: rubric, inputs.org, kinds, own))
    written = write_tables(tables, args.out, decimals=rubric.meta.decimals)
    print(f"{args.year}年度评分完成：{_summary(tables)}。")
    print(f"结果已写入：{written}（评分标准 版本 {rubric.version}）")
    return EXIT_OK


def _cmd_demo(args) -> int:
    from .demo.street import generate_demo
    from .outputs.input_workbook import write_input_workbook

    rubric = _rubric(args.rubric)
    if args.seed_workflow:
        return _seed_demo_workflow(args, rubric)
    if args.out is None:
        # The data directory may not exist yet (a first run, or data/ of a fresh checkout).
        args.out = paths.demo_output_path(args.year)
        args.out.parent.mkdir(parents=True, exist_ok=True)
    _check_xlsx(args.out)
    year = args.year
    if year is None or year == DEMO_YEAR:
        inputs = generate_demo(rubric, seed=args.seed)
    else:
        from .demo.street import generate_demo_years

        inputs = generate_demo_years(rubric, (year, max(year, DEMO_YEAR)), seed=args.seed)[year]
    written = write_input_workbook(inputs, rubric, args.out)
    when = f"{year}年度，" if year is not None else ""
    print(f"已生成演示工作簿：{written}（{when}{_counts(inputs)}，随机种子 {args.seed}）")
    return EXIT_OK


def _seed_demo_workflow(args, rubric) -> int:
    from .demo.workflow import DemoWorkflowError, seed_demo_workflow

    with _store(args.database, rubric if args.rubric is not None else None) as store:
        rubric = store.rubric
        if not store.records.years():
            raise UserError("数据库中还没有数据：请先用 import 导入演示工作簿。")
        try:
            report = seed_demo_workflow(store, rubric, years=[args.year] if args.year is not None else None)
        except DemoWorkflowError as error:
            raise UserError(str(error)) from error
    print(f"演示考评流程：{report}")
    return EXIT_OK


def _cmd_overview_export(args) -> int:
    from .analysis.overview import load_street
    from .outputs.overview_workbook import write_overview_workbook

    _check_xlsx(args.out)
    with _store(args.database, _given_rubric(args.rubric)) as store:
        rubric = store.rubric
        where = store.url.render_as_string(hide_password=True)
        years = store.records.years()
        if not years:
            raise UserError(f"数据库中还没有数据（{where}）：请先用 import 导入填好的工作簿。")
        year = args.year if args.year is not None else years[-1]
        if year not in years:
            raise UserError(f"数据库中没有{year}年度的数据，已有年度：{'、'.join(str(y) for y in years)}")
        what_if = args.rubric is not None
        source = f"考评数据库 {where}" + (f"；假设评分：按 {args.rubric} 的评分标准重新评分，未保存" if what_if else "")
        street = load_street(store, rubric, source=source, what_if=what_if)
    written = write_overview_workbook(street, year, args.out)
    shown = street.years[year].versions_text(rubric.version)
    if what_if:
        versions = f"假设评分：全部年度按 --rubric 的评分标准版本 {rubric.version} 重新评分，不是评定结果，未保存"
    else:
        versions = f"{year}年度按评定时的评分标准版本 {shown}，当前版本 {rubric.version}"
    print(f"已导出{year}年度考评总览（{len(street.years)}个年度，{versions}）：{written}")
    return EXIT_OK


def _given_rubric(directory: Path | None):
    """The rubric of --rubric, or None: then the database's current version (``store.rubric``)."""
    return _rubric(directory) if directory is not None else None


def _cmd_rubric(args) -> int:
    command = getattr(args, "rubric_command", "check")
    if command != "check":
        return {
            "versions": _rubric_versions,
            "save": _rubric_save,
            "use": _rubric_use,
            "export": _rubric_export,
            "import": _rubric_import,
        }[command](args)
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


def _rubric_versions(args) -> int:
    with _store(args.database, None) as store:
        versions = store.rubrics.versions()
    if not versions:
        print(
            f"数据库中还没有保存评分标准版本；首次使用时将保存程序自带的版本（{load_rubric().version}）并设为当前版本。"
        )
        return EXIT_OK
    print("版本\t当前\t保存时间\t修改人\t基于\t说明")
    for v in versions:
        note = " ".join(v.note.split())
        print(
            f"{v.version}\t{'是' if v.current else ''}\t{_local_time(v.created_at)}\t{v.author}\t{v.based_on or '—'}\t{note}"
        )
    return EXIT_OK


def _rubric_save(args) -> int:
    from .rubric import load_rubric_texts, read_rubric_texts
    from .rubric.settings import diff_rubrics

    if not args.directory.is_dir():
        raise UserError(f"评分标准目录不存在：{args.directory}")
    texts, displays = read_rubric_texts(args.directory)
    rubric = load_rubric_texts(texts, displays=displays)
    with _store(args.database, None) as store:
        current = store.rubrics.current()
        diff = diff_rubrics(store.rubrics.texts(current.version), texts)
        saved = store.rubrics.save(texts, author=args.author, note=args.note, make_current=not args.keep_current)
    print(f"与当前版本 {current.version} 相比有 {len(diff)} 处不同：")
    for line in diff:
        print(f"  {line.file} · {line.label}：{line.old} → {line.new}")
    state = "并设为当前版本" if saved.current else f"当前版本仍为 {current.version}"
    print(f"已保存评分标准版本 {saved.version}（{rubric.meta.name}，修改人 {saved.author}），{state}。")
    return EXIT_OK


def _rubric_use(args) -> int:
    with _store(args.database, None) as store:
        before = store.rubrics.current().version
        chosen = store.rubrics.set_current(args.version, by=args.by, reason=args.reason)
    if before == chosen.version:
        print(f"版本 {chosen.version} 已是当前版本，未作改动。")
    else:
        print(f"当前评分标准版本：{before} → {chosen.version}（操作人 {args.by}，原因：{args.reason}）。")
    return EXIT_OK


def _rubric_export(args) -> int:
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise UserError(f"--out 应为目录：{out} 是一个文件")
    if out.is_dir() and any(out.glob("*.yaml")):
        raise UserError(f"目录 {out} 中已有 YAML 文件，请指定一个新目录或空目录（不会覆盖已有文件）")
    with _store(args.database, None) as store:
        version = store.rubrics.current().version if args.version == "current" else args.version
        texts = store.rubrics.texts(version)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (out / name).write_text(text, encoding="utf-8", newline="")
    print(f"已写出评分标准版本 {version}（{len(texts)} 个文件）：{out}")
    return EXIT_OK


def _rubric_import(args) -> int:
    from .rubric import DEFAULT_RUBRIC_DIR
    from .rubric.importer import REPORT_NAME, SheetImportError, import_sheet

    base = Path(args.base if args.base is not None else DEFAULT_RUBRIC_DIR)
    if not base.is_dir():
        raise UserError(f"--base 评分标准目录不存在：{base}")
    missing = [name for name in RUBRIC_FILES if not (base / name).is_file()]
    if missing:
        raise UserError(f"--base 评分标准目录 {base} 缺少文件：{'、'.join(missing)}")
    version = f"导入草稿-{dt.date.today():%Y%m%d}"
    try:
        result = import_sheet(args.workbook, args.out, base_dir=base, version=version, only_sheet=args.only_sheet)
    except SheetImportError as error:
        raise UserError(str(error)) from None
    print((args.out / REPORT_NAME).read_text(encoding="utf-8"))
    state = f"有 {len(result.unread)} 行未能识别，请按上面的清单补写后检查" if result.unread else "请核对后检查"
    print(
        f"已写出评分标准草稿：{args.out}（{len(result.items)} 个指标；{state}：python -m assessment rubric check {args.out}）"
    )
    return EXIT_OK


@contextmanager
def _store(url: str | None, rubric):
    """An open store; the store's refusals (Chinese) become user errors (exit 2)."""
    from .store import Store, StoreError, StoreUnavailable

    try:
        with Store(url, rubric=rubric) as store:
            yield store
    except StoreUnavailable as error:  # the administrator sees which database and what its driver said
        raise UserError(f"{error}（{error.detail}）") from None
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
    from .inputs.frames import SELF_SCORE_PREFIX
    from .inputs.workbook import WorkbookError, read_workbook

    evaluator = args.evaluator.strip()
    if not evaluator:
        raise UserError("--evaluator 不能为空")
    _workbook_path(args.workbook)
    with _store(args.database, _given_rubric(args.rubric)) as store:
        rubric = store.rubric  # without --rubric: the database's current version
        try:
            inputs = read_workbook(args.workbook, rubric)
        except WorkbookError as error:
            _print_problems(error, sys.stderr)
            print("未导入，数据库没有任何改动。", file=sys.stderr)
            return EXIT_USER
        year = args.year if args.year is not None else _default_year(inputs)
        report = store.records.import_inputs(
            inputs, year=year, evaluator=evaluator, rubric_version=rubric, source=args.workbook.name
        )
        where = store.url.render_as_string(hide_password=True)
    if any(str(column).startswith(SELF_SCORE_PREFIX) for column in inputs.org.columns):
        print(
            "提示：工作簿中的自查分没有导入数据库：导出和考评页的自查分以支部在自评页提交的为准"
            "（score 命令的“明细”表列出工作簿中的自查分）。",
            file=sys.stderr,
        )
    outside = report.activity_rows_outside_year
    if outside:
        # As in `score`: all of them outside the year is the usual slip of a wrong --year.
        check = "请确认 --year 是否正确。" if outside == report.activity_rows else "已原样保存。"
        print(f"提示：有 {outside} 条活动记录的日期不在{year}年，评分时不计入；{check}", file=sys.stderr)
    print(f"已导入 {args.workbook.name}（{year}年度，考评人 {evaluator}，评分标准 版本 {rubric.version}）：{report}。")
    print(f"数据库：{where}")
    return EXIT_OK


def _local_time(moment: dt.datetime) -> str:
    return local_time(moment, seconds=True)


def revisions_table(revisions) -> pd.DataFrame:
    """Sheet 修订记录: the revisions by branch and revision number, with the status users read."""
    import pandas as pd

    from .store import STATUS_LABELS

    rows = [
        {
            g.BRANCH_ID: r.branch_id,
            g.REVISION_NO: r.revision_no,
            "时间": _local_time(r.created_at),
            g.EVALUATOR: r.evaluator,
            g.RUBRIC_VERSION: r.rubric_version,
            "状态": STATUS_LABELS[r.status],
            "更正原因": r.reason or "",
        }
        for r in sorted(revisions, key=lambda r: (r.branch_id, r.revision_no))
    ]
    columns = [g.BRANCH_ID, g.REVISION_NO, "时间", g.EVALUATOR, g.RUBRIC_VERSION, g.STATUS, "更正原因"]
    return pd.DataFrame(rows, columns=columns)


def _stored_self_points(store, decided, year: int) -> dict:
    """Per branch of ``decided``: the 自查分 per item of its submitted self-assessment (the self page),
    scored with the rubric the branch's result was scored with; None without one."""
    from .analysis.self_assessment import payload_item_points
    from .scoring.explain import exact

    found: dict = {}
    for branch_id in decided.results.branches.index:
        submitted = store.self_assessments.current(branch_id, year)
        if submitted is None:
            found[branch_id] = None
            continue
        points = payload_item_points(decided.rubric_of(branch_id), branch_id, submitted.payload)
        found[branch_id] = {item_id: exact(value) for item_id, value in points.items()}
    return found


def _cmd_export(args) -> int:
    from .analysis.decided import decided_year, what_if_year
    from .outputs.detail import detail_tables, with_detail
    from .outputs.excel import write_tables
    from .outputs.tables import result_tables

    _check_results_target(args.out)
    with _store(args.database, _given_rubric(args.rubric)) as store:
        where = store.url.render_as_string(hide_password=True)
        years = store.records.years()
        if not len(store.records.branches()) or not years:
            raise UserError(f"数据库中还没有数据（{where}）：请先用 import 导入填好的工作簿。")
        year = args.year if args.year is not None else years[-1]
        if year not in years:
            raise UserError(f"数据库中没有{year}年度的数据，已有年度：{'、'.join(str(y) for y in years)}")
        # As decided: each branch scored with the version stored with its submissions (--rubric: a
        # labelled what-if with that rubric instead); 修订记录 names each revision's own version.
        if args.rubric is not None:
            decided = what_if_year(store, year, store.rubric)
        else:
            decided = decided_year(store, year)
        revisions = store.records.revisions(year=year)
        own = _stored_self_points(store, decided, year)
    tables = result_tables(decided.results, decided.main)
    branches = decided.branches
    kinds = dict(zip(branches["branch_id"], branches["kind"], strict=True)) if "kind" in branches else {}
    tables = with_detail(tables, detail_tables(decided.results, decided.rubric_of, decided.org, kinds, own))
    tables[REVISIONS_SHEET] = revisions_table(revisions)
    written = write_tables(tables, args.out, decimals=decided.main.meta.decimals)
    print(f"{year}年度评分完成：{_summary(tables)}，修订记录 {len(revisions)} 条。")
    disputed = {branch: found for branch, found in decided.disagreements.items() if found}
    if disputed:
        print(f"提示：{len(disputed)} 个支部的考评人意见不一致（已按评分标准合并）：{'、'.join(sorted(disputed))}")
    if decided.what_if:
        versions = f"假设评分：按 --rubric 的评分标准版本 {decided.main.version} 重新评分，不是评定结果，未保存"
    else:
        versions = f"评分标准版本 {decided.versions_text()}，按评定时的版本"
    print(f"结果已写入：{written}（{versions}，数据库：{where}）")
    return EXIT_OK


def _page_base(host: str, port: int) -> str:
    """The public server's address for the link, without a trailing slash: ``--base`` may be a bare host
    (``--port`` is added), a host with its port (``10.1.2.3:8870``), or a whole address with scheme and path
    prefix (``https://dangjian.example.gov.cn/siping/``: nginx in front, Voila's ``base_url`` ``/siping/``)."""
    text = host.strip()
    parts = urllib.parse.urlsplit(text if "://" in text else f"http://{text}")
    try:
        has_port = parts.port is not None
    except ValueError:
        has_port = False
        parts = parts._replace(netloc="")  # a port that is not a number: refused below
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise UserError(
            f"--base 应为主机名、主机:端口，或 http(s):// 开头的地址（可带路径前缀，如 "
            f"https://dangjian.example.gov.cn/siping/），实际为“{host}”"
        )
    netloc = parts.netloc if has_port or "://" in text else f"{parts.netloc}:{port}"
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


def _cmd_access(args) -> int:
    with _store(args.database, _given_rubric(args.rubric)) as store:
        if args.access_command == "issue":
            year = args.year if args.year is not None else dt.date.today().year
            base = _page_base(args.host, args.port)  # checked before a code is issued (and old ones revoked)
            issued = store.access.issue(args.branch, year, by=args.by)
            link = f"{base}/voila/render/{SELF_ASSESS_PAGE}?code={issued.code}"
            replaced = f"（原有的{issued.replaced}个访问码已停用）" if issued.replaced else ""
            print(f"已为支部 {args.branch} 发放{year}年度的访问码{replaced}。访问码只显示这一次，请妥善转交：")
            print(f"  访问码：{issued.code}")
            print(f"  链接：{link}")
            return EXIT_OK
        if args.access_command == "revoke":
            revoked = store.access.revoke(args.branch, by=args.by, reason=args.reason, year=args.year)
            if not revoked:
                raise UserError(f"支部 {args.branch} 没有有效的访问码")
            print(
                f"已停用支部 {args.branch} 的 {len(revoked)} 个访问码（编号 {'、'.join(revoked)}），原因：{args.reason}"
            )
            return EXIT_OK
        codes = store.access.codes(args.branch)
    if not codes:
        print("还没有发放任何访问码。")
        return EXIT_OK
    print("编号\t支部\t年度\t状态\t发放时间\t发放人\t最近使用\t停用时间\t停用原因")
    for c in codes:
        print(
            "\t".join(
                [
                    c.key_id,
                    c.branch_id,
                    str(c.year),
                    c.status_label,
                    _local_time(c.issued_at),
                    c.issued_by,
                    _local_time(c.last_used_at) if c.last_used_at else "—",
                    _local_time(c.revoked_at) if c.revoked_at else "—",
                    c.revoke_reason or "—",
                ]
            )
        )
    return EXIT_OK


def _cmd_user(args) -> int:
    from .store.accounts import account_name

    with _store(args.database, None) as store:
        if args.user_command == "add":
            code = store.accounts.add(args.name, args.role, street=args.street, by=args.by)
            role = store.accounts.role(args.role)
            where = f"，{args.street.strip()}" if args.street else ""
            print(
                f"已添加账户：{account_name(args.name)}（{role.label}{where}）。一次性登录码只显示这一次，请当面或单独转交："
            )
            print(f"  一次性登录码：{code}")
            print("  本人在登录页面输入姓名和这个码，然后设置自己的密码。")
            return EXIT_OK
        if args.user_command == "reset":
            code = store.accounts.reset(args.name, by=args.by)
            print(
                f"已重置账户 {account_name(args.name)} 的密码，原密码和已登录的页面随即失效。一次性登录码只显示这一次："
            )
            print(f"  一次性登录码：{code}")
            return EXIT_OK
        if args.user_command == "disable":
            store.accounts.disable(args.name, by=args.by, reason=args.reason)
            print(f"已停用账户 {account_name(args.name)}，原因：{args.reason}（用 user reset 可重新启用）")
            return EXIT_OK
        found = store.accounts.list()
    if not found:
        print("还没有账户。用 python -m assessment user add 姓名 --role 街道 --street 街道名称 添加。")
        return EXIT_OK
    print("姓名\t角色\t街道\t状态\t添加时间\t添加人")
    for account in found:
        if account.disabled_at is not None:
            state = f"已停用（{_local_time(account.disabled_at)}）"
        elif account.must_set_password:
            state = "待设置密码"
        else:
            state = "正常"
        print(
            "\t".join(
                [
                    account.name,
                    account.role_label,
                    account.street or "—",
                    state,
                    _local_time(account.created_at),
                    account.created_by,
                ]
            )
        )
    return EXIT_OK


def _cmd_workflow(args) -> int:
    with _store(args.database, _given_rubric(args.rubric)) as store:
        workflow = store.rubric.workflow
        if args.workflow_command == "list":
            year = args.year if args.year is not None else dt.date.today().year
            rows = store.workflow.statuses(year, args.status)
            if not rows:
                print(f"{year}年度没有符合条件的支部。")
                return EXIT_OK
            print("支部编号\t支部名称\t状态\t变更时间\t有效期")
            for branch_id, name, status in rows:
                period = ""
                if status.designation:
                    until = status.valid_until.isoformat() if status.valid_until else "未定"
                    period = f"{status.valid_from} 至 {until}" + ("（已届满）" if status.expired() else "")
                since = _local_time(status.since) if status.since else "—"
                label = status.label + ("（例外）" if status.exception else "")
                print(f"{branch_id}\t{name}\t{label}\t{since}\t{period or '—'}")
            return EXIT_OK
        to = store.workflow.state_id(args.to)
        role = args.role
        if role is None:
            current = store.workflow.status(args.branch, args.year)
            transition = workflow.transition(current.status, to)
            # The command line acts for a staff role (the street or the district, kind: staff in
            # workflow.yaml): the one the move allows, else the first; acting for a branch needs --role 支部.
            staff_ids = [r.id for r in workflow.staff_roles]
            staff = [r for r in (transition.roles if transition is not None else ()) if r in staff_ids]
            role = staff[0] if len(staff) == 1 else staff_ids[0]
        event = store.workflow.move(
            args.branch, args.year, to, role=role, actor=args.by, reason=args.reason, exception=args.exception
        )
    period = ""
    if workflow.state(event.to_status).designation:
        period = f"，有效期 {event.valid_from} 至 {event.valid_until or '未定（未填写上次换届）'}"
    print(
        f"支部 {args.branch} {args.year}年度：{workflow.state(event.from_status).label} → "
        f"{workflow.state(event.to_status).label}{'（例外）' if event.exception else ''}"
        f"（{workflow.role(event.role).label} {event.actor}，原因：{event.reason}）{period}"
    )
    if event.result is not None:
        print(event.result.summary())
    return EXIT_OK


def _cmd_report(args) -> int:
    from tqdm import tqdm

    from .analysis.decided import decided_year, what_if_year
    from .outputs.branch_pdf import branch_report_pdf, decided_branch_report, pdf_available
    from .outputs.excel import atomic_write

    if not pdf_available():
        raise UserError(
            "无法生成 PDF：缺少 WeasyPrint 或系统的 Pango 库。"
            "请以 root 运行 scripts/setup.sh（apt-get install libpango-1.0-0 libpangoft2-1.0-0），"
            "并在虚拟环境中安装本项目（pip install -e .）。"
        )
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise UserError(f"--out 应为目录：{out} 是一个文件")
    with _store(args.database, _given_rubric(args.rubric)) as store:
        rubric = store.rubric
        ids = list(store.records.branches()["branch_id"])
        if not ids:
            raise UserError("数据库中还没有支部：请先用 import 导入填好的工作簿。")
        if args.branch is not None:
            if args.branch not in ids:
                raise UserError(f"数据库中没有支部“{args.branch}”")
            ids = [args.branch]
        # As decided (each branch with the version stored with its submissions); --rubric: a what-if.
        chosen = [args.branch] if args.branch is not None else None
        if args.rubric is not None:
            decided = what_if_year(store, args.year, rubric, chosen)
        else:
            decided = decided_year(store, args.year, chosen)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for branch_id in tqdm(ids, desc="生成报告", unit="个支部", file=sys.stderr, disable=None):
            document, stem = decided_branch_report(store, branch_id, args.year, decided=decided)
            pdf = branch_report_pdf(document)
            written.append(atomic_write(out / f"{stem}.pdf", lambda path, data=pdf: path.write_bytes(data)))
            if args.html:
                atomic_write(out / f"{stem}.html", lambda path, text=document: path.write_text(text, encoding="utf-8"))
    if decided.what_if:
        versions = f"假设评分：按 --rubric 的评分标准版本 {rubric.version} 重新评分，不是评定结果"
    else:
        versions = f"评分标准版本 {decided.versions_text()}，按评定时的版本"
    print(f"已生成 {len(written)} 份报告（{args.year}年度，{versions}）：{out}")
    return EXIT_OK


def _cmd_rescore(args) -> int:
    from .analysis.decided import decided_year, what_if_year

    if not args.dry_run and (args.reason is None or not args.reason.strip()):
        raise UserError(
            "缺少必填参数：--reason（重新评定须写明原因，记入每份新修订和审计日志）；只想查看结果的变化请加 --dry-run"
        )
    with _store(args.database, None) as store:
        target = store.rubrics.stored(args.version)
        before = decided_year(store, args.year, args.branch)
        after = what_if_year(store, args.year, target, args.branch)
        decided = set(before.disagreements)  # branches with a submission
        changing = [b for b in before.results.branches.index if b in decided and before.version_of(b) != target.version]
        if args.dry_run:
            print(f"{args.year}年度按评分标准版本 {target.version} 重新评定（试算，未保存）：")
        else:
            report = store.records.rescore(
                args.year, target.version, by=args.by, reason=args.reason, branch_ids=args.branch
            )
            changing = report.branches
    lines = []
    for branch_id in changing:
        old, new = before.results.branches.loc[branch_id], after.results.branches.loc[branch_id]
        lines.append(
            f"  {branch_id} {old['name']}：{before.version_of(branch_id)} → {target.version}，"
            f"{g.COMPOSITE} {_number(old['composite'])} → {_number(new['composite'])}，"
            f"{g.STANDARDIZED} {g.yes_no(bool(old['standardized']))} → {g.yes_no(bool(new['standardized']))}，"
            f"{g.GRADE} {_label(old['grade'])} → {_label(new['grade'])}"
        )
    if args.dry_run:
        if not lines:
            print(f"  没有需要重新评定的考评提交（都已按版本 {target.version} 评定，或还没有提交）。")
        print("\n".join(lines))
        return EXIT_OK
    print(
        f"已按评分标准版本 {target.version} 重新评定 {args.year}年度 {len(changing)} 个支部"
        f"（新修订 {len(report.revisions)} 份，原修订保留为“已被更正”；操作人 {args.by}，原因：{args.reason}）："
    )
    print("\n".join(lines))
    return EXIT_OK


def _label(value) -> str:
    import pandas as pd

    return "—" if value is None or pd.isna(value) else str(value)


def _number(value) -> str:
    from . import display

    return display.number(value, trim=True)


_COMMANDS = {
    "template": _cmd_template,
    "validate": _cmd_validate,
    "score": _cmd_score,
    "demo": _cmd_demo,
    "rubric": _cmd_rubric,
    "import": _cmd_import,
    "export": _cmd_export,
    "access": _cmd_access,
    "user": _cmd_user,
    "workflow": _cmd_workflow,
    "report": _cmd_report,
    "rescore": _cmd_rescore,
    "overview-export": _cmd_overview_export,
    "dashboard-export": _cmd_overview_export,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (argparse's own exits are returned too)."""
    from .outputs.excel import OutputError

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

"""The 总览 as an Excel workbook: a 说明 sheet, every table of the page as a sheet, and the charts
as PNG images on a 图表 sheet. The page offers it as a download; the CLI writes it
(``python -m assessment overview-export --year 2025 --out 总览.xlsx``).
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from openpyxl import Workbook
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.styles import Font

from .. import glossary as g
from ..analysis import overview as ov
from ..localtime import local_now
from . import charts
from .excel import append_row, apply_number_formats, atomic_write, cell_value, display_width, style_header

__all__ = [
    "CHART_TITLES",
    "XLSX_MIME",
    "build_overview_workbook",
    "overview_charts",
    "overview_filename",
    "write_overview_workbook",
]

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHARTS_SHEET = "图表"
NOTES_SHEET = "说明"
# Excel's default row is 15 points = 20 pixels.
ROW_PIXELS = 20

CHART_TITLES = {
    "targets": "达标与“最强党支部”比例：历年实际与年度目标",
    "funnel": "考评验收流程：各状态的支部数",
    "stars": "星级分布",
    "channels": "四评各项得分分布",
    "vetoes": "“最强党支部”否决规则触发情况",
    "ranking": "综合得分排名",
}


def overview_charts(street: ov.Street, year: int) -> dict[str, Figure]:
    """The 总览's charts for ``year`` (the targets chart covers every year), keyed as CHART_TITLES."""
    view = street.years[year]
    rubric = ov.result_rubric(view, street.rubric)  # the year's results: the version they were decided with
    figures = {"targets": charts.targets_over_years(ov.progress_frame(ov.target_progress(street)))}
    flow = ov.funnel(view, street.rubric)
    if flow is not None:
        figures["funnel"] = charts.workflow_funnel(flow)
    figures["stars"] = charts.star_distribution(ov.star_counts(view.results, rubric))
    figures["channels"] = charts.channel_scores(view.results, rubric)
    figures["vetoes"] = charts.veto_counts(view.results, rubric)
    figures["ranking"] = charts.composite_ranking(view.results, rubric)
    return figures


def overview_filename(street: ov.Street, year: int) -> str:
    return f"{street.label}考评总览_{year}年度.xlsx"


def notes_table(street: ov.Street, year: int) -> pd.DataFrame:
    """What the workbook is, and how to read its figures."""
    rubric = street.rubric
    view = street.years[year]
    progress = {row.year: row for row in ov.target_progress(street)}
    row = progress[year]
    rows = [
        ("标题", f"{street.label}党支部标准化规范化考评总览"),
        ("年度", f"{year}年度"),
        ("街道", street.label),
        ("支部数", str(view.total)),
        ("数据", street.source or "考评数据库"),
        ("已有年度", "、".join(str(y) for y in street.year_list)),
        (g.RUBRIC_VERSION, view.versions_text(rubric.version)),
        ("版本说明", _versions_note(view, rubric.version)),
        ("生成时间", local_now().strftime("%Y-%m-%d %H:%M")),
        ("比例怎么算", "按全街道党支部总数计算（001 §一）；“以上”含本数" + _example(rubric) + "。"),
        ("本年度“最强”目标", ov.strongest_target_text(row)),
        (
            "“最强”的两种口径",
            "已评定最强：考评验收流程中状态为“已评定最强”的支部；达到最强标准（最强资格）：按评分标准"
            "达标、五强全部达到且没有否决项的支部。" + "".join(ov.strongest_target_notes(rubric, street.year_list)),
        ),
        *(("年度目标说明", note) for note in ov.target_notes(rubric, street.year_list)),
        ("待遇保障测算", "比例与金额见“测算设置”及 rubrics/targets.yaml；未规定的比例或金额显示为“待定”。"),
    ]
    if view.disputed:
        rows.append(("提示", f"{view.disputed}个支部的考评人意见不一致，已按评分标准合并后评分。"))
    return pd.DataFrame(rows, columns=["项目", "内容"])


def _example(rubric) -> str:
    example = ov.share_example(rubric)
    return f"（{example}）" if example else ""


def _versions_note(view: ov.YearView, current: str) -> str:
    if view.what_if:
        return (
            f"假设评分：全部年度按评分标准版本 {view.versions_text(current).split('（')[0]} 重新评分（未保存），"
            "不是各年度评定时的结果。"
        )
    text = (
        "各年度的结果按评定时保存的评分标准版本评分，切换当前版本不改变它们；年度目标、考评流程和待遇测算按当前版本 "
        f"{current}。"
    )
    if view.versions_differ:
        text += "本年度各支部评定时的版本不同，见“各支部结果”的“评分标准版本”列。"
    if view.substituted:
        text += (
            f"{len(view.substituted)}个支部评定时的版本没有保存在数据库中（"
            + "、".join(sorted(set(view.substituted.values())))
            + f"），按当前版本 {current} 评分。"
        )
    return text


def _column_widths(frame: pd.DataFrame) -> dict[int, int]:
    widths = {}
    for index, column in enumerate(frame.columns, start=1):
        texts = [str(column)] + [str(v) for v in frame[column].head(200) if v is not None]
        widths[index] = min(60, max(8, max(display_width(t) for t in texts) + 2))
    return widths


def _add_sheet(book: Workbook, name: str, frame: pd.DataFrame, decimals: int) -> None:
    sheet = book.create_sheet(name[:31])
    append_row(sheet, [str(c) for c in frame.columns])
    for row in frame.astype(object).itertuples(index=False, name=None):
        append_row(sheet, [cell_value(v) for v in row])
    apply_number_formats(sheet, decimals)
    style_header(sheet, _column_widths(frame))


def build_overview_workbook(street: ov.Street, year: int, pngs: Mapping[str, bytes] | None = None) -> bytes:
    """The workbook as bytes. ``pngs`` (name → PNG, as CHART_TITLES) reuses charts already drawn."""
    if year not in street.years:
        raise KeyError(year)
    if pngs is None:
        pngs = {name: charts.to_png(fig) for name, fig in overview_charts(street, year).items()}
    book = Workbook()
    book.remove(book.active)
    decimals = street.rubric.meta.decimals
    _add_sheet(book, NOTES_SHEET, notes_table(street, year), decimals)
    for name, frame in ov.overview_tables(street, year).items():
        _add_sheet(book, name, frame, decimals)
    sheet = book.create_sheet(CHARTS_SHEET)
    row = 1
    for name, title in CHART_TITLES.items():
        png = pngs.get(name)
        if not png:
            continue
        sheet.cell(row=row, column=1, value=title).font = Font(bold=True, size=12)
        image = SheetImage(io.BytesIO(png))
        sheet.add_image(image, f"A{row + 1}")
        row += 1 + math.ceil(image.height / ROW_PIXELS) + 2
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_overview_workbook(street: ov.Street, year: int, out: str | os.PathLike) -> Path:
    """Write the workbook to ``out`` (atomically: an existing file keeps its content on failure)."""
    data = build_overview_workbook(street, year)
    return atomic_write(out, lambda temporary: Path(temporary).write_bytes(data))

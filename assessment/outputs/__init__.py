"""Outputs: what results become for people — tables with Chinese headers, Excel and CSV files, the
branch report (HTML and PDF), charts and the CJK font they need.

- :mod:`.tables` — results as tables (结果, 组织生活, 组织设置, 否决明细, 评分标准);
- :mod:`.excel` — tables written to .xlsx or CSV; :mod:`.input_workbook` — the blank input template;
- :mod:`.overview_workbook` — the 总览 as a workbook; :mod:`.branch_pdf` — the branch report;
- :mod:`.charts`, :mod:`.fonts` — matplotlib figures with Chinese text.
"""

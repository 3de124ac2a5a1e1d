"""Which pages exist, for whom, and which server serves them: read by the server (start page, which
notebook it may render) without importing any widget code.

Two ways to serve (``python -m assessment.serve``): the **internal** server serves every page, staff pages
behind a sign-in; the **public** server (the link a branch secretary gets by WeChat) serves only the pages
marked ``public`` — everything else answers 404 there.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PAGES", "Page", "page_for", "pages_served"]


@dataclass(frozen=True)
class Page:
    notebook: str  # file name in notebooks/
    title: str
    audience: str
    description: str
    public: bool = False  # served by the public server too (the page has its own gate: the access code)

    @property
    def staff(self) -> bool:
        return not self.public


PAGES: tuple[Page, ...] = (
    Page(
        "evaluate.ipynb",
        "考评验收",
        "街道党工委考评组",
        "为一个支部填写“四评”、即时查看综合得分、等次和“最强党支部”否决规则，提交考评结果，推进考评流程。",
    ),
    Page(
        "overview.ipynb",
        "考评总览",
        "街道、区委组织部",
        "按年度查看达标与“最强党支部”比例对照年度目标、考评流程、软弱涣散名单、待遇保障测算，导出 Excel。",
    ),
    Page(
        "weights.ipynb",
        "权重与阈值",
        "组织部、党建办分析人员",
        "调整评分标准的权重与阈值，查看每个支部结果的变化，保存为新版本。",
    ),
    Page(
        "self_assess.ipynb",
        "支部自评",
        "支部书记（凭街道发放的访问码）",
        "对照标准自评、上传活动记录和党员名册、查看需要补的短板，申请考评。",
        public=True,
    ),
)


def pages_served(mode: str) -> tuple[Page, ...]:
    """The pages a server in ``mode`` (``internal`` or ``public``) serves."""
    if mode == "public":
        return tuple(page for page in PAGES if page.public)
    return PAGES


def page_for(path: str, mode: str) -> Page | None:
    """The page a ``/voila/render/<path>`` request names, if this server serves it (exact file name)."""
    return next((page for page in pages_served(mode) if page.notebook == path), None)

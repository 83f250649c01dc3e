"""部门整体支出绩效自评报告生成器: Chinese public-finance performance reports from one Excel workbook.

The pipeline stages are modules — ``read`` → ``validate`` → ``compute`` →
``audit`` → ``render`` → ``write`` — tied together by ``pipeline``; file formats
live in ``formats``, commands that use the pipeline in ``commands``, the web
page in ``web``; ``api`` is the public API, ``layout`` says where things live. See docs/architecture.md.
"""

from .api import Options, Report, Reports, generate, generate_unit, load
from .errors import UserError

__all__ = ["Options", "Report", "Reports", "UserError", "generate", "generate_unit", "load"]

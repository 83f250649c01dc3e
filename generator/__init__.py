"""部门整体支出绩效自评报告生成器: Chinese public-finance performance reports from one Excel workbook.

The pipeline stages are modules — ``read`` → ``validate`` → ``compute`` →
``audit`` → ``render`` → ``write`` — tied together by ``pipeline``; file formats
live in ``formats``, commands that use the pipeline in ``commands``, the web
page in ``web``. See docs/architecture.md.
"""

from .api import generate
from .errors import UserError
from .pipeline import Options, Report, Reports, generate_unit, load

__all__ = ["Options", "Report", "Reports", "UserError", "generate", "generate_unit", "load"]

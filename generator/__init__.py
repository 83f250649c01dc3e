"""部门整体支出绩效自评报告生成器: Chinese public-finance performance reports from one Excel workbook.

The pipeline stages are modules: ``workbook`` (read) → ``validate`` → ``compute``
→ ``audit`` → ``render`` → ``write``; ``pipeline`` ties them together.
"""

from .errors import UserError
from .pipeline import Report, generate, generate_unit, load

__all__ = ["Report", "UserError", "generate", "generate_unit", "load"]

"""Every message a user can see, in one place, so they can be reviewed together.

Messages are ``str.format`` templates. Code refers to them by key through
``msg(key, **values)``; a missing key or value is a programming error and
raises at once in tests.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # --- locating the workbook -------------------------------------------------
    "data_dir_missing": "找不到数据文件夹：{path}。请用 --data 指定存放工作簿的文件夹。",
    "workbook_missing": "找不到 {year} 年的工作簿：{path}。{found}",
    "workbook_found_list": "该文件夹中现有：{names}。",
    "workbook_found_none": "该文件夹中没有任何 .xlsx 工作簿。",
    "unit_missing": "找不到单位“{unit}”：{path} 下没有这个文件夹。现有单位：{names}。",
    "unit_required": "{path} 下有多个单位（{names}），请用 --unit 指定其中一个，或不加 --unit 批量生成全部单位。",
    "units_none": "{path} 下没有找到 {year}.xlsx，也没有包含 {year}.xlsx 的单位文件夹。",
    "unit_name_unsafe": "单位名称“{name}”不能用作文件名（含有路径符号或保留名），请改名。",
    "xls_format": "{name} 是旧版 Excel（.xls）或 WPS（.et）格式。请在 Excel 或 WPS 中打开它，选择“文件 › 另存为”，保存类型选“Excel 工作簿（*.xlsx）”，再重新运行。",
    "not_xlsx": "{name} 不是有效的 .xlsx 工作簿（文件已损坏，或并非 Excel 文件）。请用 Excel 或 WPS 打开确认后另存为 .xlsx。",
    "encrypted": "{name} 设有打开密码，无法读取。请在 Excel 中取消密码（文件 › 信息 › 保护工作簿）后另存。",
    "too_large": "{name} 过大（解压后约 {size} MB，上限 {limit} MB），不像是一个单位的填报表，已拒绝读取。",
    "workbook_unreadable": "无法读取 {name}：{detail}",
    # --- workbook content --------------------------------------------------------
    "sheet_missing": "缺少工作表“{sheet}”。现有工作表：{names}。",
    "row_missing": "缺少“{label}”这一行（A 列应有此标签）。",
    "column_missing": "第{row}行缺少列标题“{label}”。",
    "required_empty": "“{label}”为必填项，但未填写。",
    "expect_number": "“{label}”应为数字，实为“{value}”。",
    "expect_count": "“{label}”应为整数，实为“{value}”。",
    "expect_year": "“{label}”应为四位年份，实为“{value}”。",
    "expect_date": "“{label}”应为日期（如 2025/9/15），实为“{value}”。",
    "expect_percent": "“{label}”应为百分数（如 95%），实为“{value}”。",
    "percent_as_number": "“{label}”填写了 {value}，单位为 %，但单元格不是百分数格式。请输入“{value}%”（Excel 会存为 {fraction}）。",
    "negative": "“{label}”不能为负数，实为 {value}。",
    "choice_invalid": "“{label}”应为以下之一：{choices}；实为“{value}”。",
    "comparator_invalid": "“比较”应为 =、≥、≤、>、< 或 {words} 之一，实为“{value}”。",
    "text_value_with_comparator": "“{label}”为文字“{value}”，但“比较”列填了“{comparator}”：有比较符的指标值应为数字。",
    "band_required": "定性指标“{name}”的实际完成值与年度指标值不同，请在“评价等级”填写 达成 / 部分达成 / 未达成，或填写“手工得分”。",
    "score_over_weight": "“手工得分”{score} 超过了该指标分值 {weight}。",
    "formula_uncached": "此单元格是公式“{formula}”，但工作簿中没有保存计算结果（可能由不自动计算的程序保存）。请在 Excel 或 WPS 中打开后保存一次，再重新运行。",
    "formula_error": "此单元格的公式结果为错误值“{value}”，请修正公式。",
    "merged_cell": "单元格区域 {range} 被合并了。填写区请不要合并单元格，请取消合并后把内容放在第一个单元格。",
    "year_mismatch": "工作簿中的年度为 {found}，但命令要求生成 {year} 年的报告（--year {year}）。请核对文件或年度。",
    "project_unknown": "项目指标中的项目“{name}”在“项目”表中不存在。",
    "staff_category_missing": "缺少类别为“{category}”的行。",
    "staff_category_duplicate": "类别“{category}”出现了多次（第{rows}行），只能有一行。",
    "text_section_empty": "文字内容中没有“{section}”栏目的任何一段。",
    "placeholder_unknown": "内容中的占位符 {{{name}}} 无法识别。可用的占位符见“填写说明”。",
    "placeholder_unclosed": "内容中有不成对的花括号“{{”或“}}”。如需写花括号本身，请改用全角“｛｝”。",
    "sentence_unknown": "“句子”应为以下之一：{names}；实为“{value}”。",
    # --- notices (accepted input that was changed) ------------------------------
    "notice_text_number": "“{label}”为文本“{value}”，已按数字 {number} 读取。",
    "notice_control_chars": "“{label}”中有不可见的控制字符，已删除。",
    "notice_text_date": "“{label}”为文本“{value}”，已按日期 {date} 读取。",
    # --- templates ---------------------------------------------------------------
    "template_missing": "找不到报告模板：{path}。",
    "template_chosen": "使用模板：{path}",
    "template_not_docx": "模板 {path} 不是有效的 Word（.docx）文件。",
    "template_undefined": "模板 {path} 中使用了不存在的变量“{name}”（位置：{where}）。可用变量见 docs/fields.md。",
    "template_syntax": "模板 {path} 中的标签有误：{detail}（位置：{where}）。",
    "template_security": "模板 {path} 试图访问不允许的内容，已拒绝渲染：{detail}（位置：{where}）。",
    "template_runtime": "渲染模板 {path} 时出错：{detail}（位置：{where}）。",
    "template_bad_output": "模板 {path} 渲染后的文档结构有误（{detail}），未写出文件。请检查模板中 {{%p}}、{{%tr}} 等标签的位置。",
    "template_leftover_tag": "模板 {path} 渲染后仍残留标签“{tag}”，可能是标签被 Word 拆分或书写有误（位置：{where}）。",
    "where_paragraph": "第{index}段“{text}”",
    "where_unknown": "未能定位，请搜索变量名",
    # --- output -------------------------------------------------------------------
    "written": "已生成：{path}",
    "output_edited": "{path} 在上次生成后被修改过（可能有人手工编辑），为保护修改未覆盖。如确需重新生成，请加 --force（会先备份为 {backup_hint}）。",
    "backup_written": "已备份原文件为：{path}",
    "output_locked": "无法写入 {path}：文件可能正在 Word 或 WPS 中打开，请关闭后重试。",
    "output_failed": "无法写入 {path}：{detail}",
    # --- general --------------------------------------------------------------------
    "problems_header": "{name} 中发现 {count} 处问题，未生成报告：",
    "notices_header": "提示（已自动处理）：",
    "internal_error": "程序内部错误：{detail}。请把这条信息和工作簿发给维护人员。",
}


def msg(key: str, **values: object) -> str:
    return MESSAGES[key].format(**values)

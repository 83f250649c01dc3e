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
    "unit_name_unsafe": "单位名称“{name}”不能用作文件名（含有路径符号或保留名），请改名。",
    "xls_format": "{name} 是旧版 Excel（.xls）或 WPS（.et）格式。请在 Excel 或 WPS 中打开它，选择“文件 › 另存为”，保存类型选“Excel 工作簿（*.xlsx）”，再重新运行。",
    "not_xlsx": "{name} 不是有效的 .xlsx 工作簿（文件已损坏，或并非 Excel 文件）。请用 Excel 或 WPS 打开确认后另存为 .xlsx。",
    "encrypted": "{name} 设有打开密码，无法读取。请在 Excel 中取消密码（文件 › 信息 › 保护工作簿）后另存。",
    "too_large": "{name} 过大（解压后约 {size} MB，上限 {limit} MB），不像是一个单位的填报表，已拒绝读取。",
    "workbook_unreadable": "无法读取 {name}（{detail}）。文件可能已损坏或由不兼容的程序生成，请用 Excel 或 WPS 打开后另存为 .xlsx 再试。",
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
    "number_too_large": "“{label}”的数值 {value} 过大（应小于 {limit}），请核对是否多输了位数或填错了栏。",
    "hint_number_unit": "请只填数字，不要带单位或“万”字（单位已由本栏规定）。",
    "hint_cn_numeral": "请用阿拉伯数字填写，如 1000。",
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
    "staff_category_duplicate": "类别“{category}”出现了多次（第{rows}行），只能有一行。",
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
    "template_too_large": "模板 {path} 过大（解压后约 {size} MB，上限 {limit} MB），不像是报告模板，已拒绝使用。",
    "template_too_costly": "模板 {path} 中的计算过大（{detail}），已停止渲染。请检查模板中的乘方、重复或循环。",
    "where_paragraph": "第{index}段“{text}”",
    "where_unknown": "未能定位，请搜索变量名",
    # --- output -------------------------------------------------------------------
    "written": "已生成：{path}",
    "output_edited": "{path} 在上次生成后被修改过（可能有人手工编辑），为保护修改未覆盖。如确需重新生成，请加 --force（会先备份为 {backup_hint}）。",
    "backup_written": "已备份原文件为：{path}",
    "output_locked": "无法写入 {path}：文件可能正在{program}中打开，请关闭后重试（未写入本单位的任何文件）。",
    "output_failed": "无法写入 {path}：{detail}",
    # --- PDF conversion (generator/pdf.py) ----------------------------------------
    "pdf_soffice_missing": (
        "未找到 LibreOffice（soffice 命令），无法生成 PDF。请先安装：\n"
        "  Debian/Ubuntu：sudo apt-get install libreoffice-writer-nogui fonts-noto-cjk"
        "（如需把 .xlsx 转为 PDF，另装 libreoffice-calc-nogui）\n"
        "  Windows：从 https://www.libreoffice.org 下载并安装 LibreOffice，"
        "再把其 program 目录（如 C:\\Program Files\\LibreOffice\\program）加入 PATH 环境变量。"
    ),
    "pdf_start_failed": "无法启动 LibreOffice（{soffice}）：{error}",
    "pdf_timeout": (
        "PDF 转换超时（超过 {seconds:.0f} 秒），已终止 LibreOffice。涉及文件：{files}。"
        "请检查文件是否过大或已损坏，然后重试。"
    ),
    "pdf_no_output": (
        "PDF 转换失败：LibreOffice 没有生成 {name}（来源文件：{source}，退出码 {code}）。"
        "请用 Word 或 WPS 打开来源文件，确认文件没有损坏。{detail}"
    ),
    "pdf_detail": "LibreOffice 输出：{text}",
    "pdf_input_missing": "找不到要转换的文件：{path}",
    "pdf_duplicate_name": (
        "同一批转换中有多个文件会生成同名的 PDF（{name}），后者会覆盖前者：{files}。"
        "请改名后再转换，或分批转换到不同的输出目录。"
    ),
    "pdf_closed": "PDF 转换器已关闭，不能再使用。",
    "pdf_fc_match_missing": "未找到 fc-match（fontconfig），无法查看字体替换情况。",
    "pdf_font_line": "{face} → {resolved}",
    # --- batch (several units), county summary, PDF -------------------------------------
    "progress_render": "生成报告",
    "progress_pdf": "转换 PDF",
    "batch_unit_written": "{unit}：已生成 {path}{extra}",
    "batch_unit_extra": "（另有 {names}）",
    "batch_unit_template": "（专用模板 {path}）",
    "batch_unit_audit": "；审核发现 {errors} 处错误、{hints} 处提示",
    "batch_unit_failed": "{unit}：失败（{workbook}）：{reason}",
    "batch_unit_pdf_failed": "{unit}：已生成 {path}，但未生成 PDF：{reason}",
    "batch_totals": "共 {total} 个单位：{written} 个已生成，{failed} 个失败{pdf_note}。",
    "batch_totals_pdf": "，{count} 个未生成 PDF",
    "batch_duplicate_output": "与单位文件夹“{other}”生成的报告同名（{name}）：两个单位的“基本信息 › 单位全称”相同。请核对 {workbook} 中的单位全称。",
    "batch_worker_lost": "处理该单位的进程意外退出（{detail}），未生成报告。请单独运行 generate --year {year} --unit {unit} 查看原因。",
    "summary_written": "县级汇总表：{path}",
    "summary_not_written": "未写出县级汇总表：{reason}",
    "summary_title": "{year}年度部门整体支出绩效自评汇总表",
    "summary_status_ok": "已生成",
    "summary_status_failed": "失败：{reason}",
    "summary_total": "合计",
    "pdf_not_written": "{reason}\n报告 .docx 已生成，但未生成 PDF。",
    "pdf_no_soffice_short": "未找到 LibreOffice",
    # --- audit (审核, generator/audit.py) -------------------------------------------
    "audit_finding_line": "[{severity}] {where}：{message}",
    "audit_finding_verbose": "[{severity}] {message}（{id}；单元格：{cells}）",
    "audit_md_person": "{label}：{value}",
    "audit_md_no_sheet": "其他",
    "audit_md_item": "- **{severity}** `{id}`：{message}",
    "audit_clean": "审核通过：{file} 中未发现前后矛盾的数字。",
    "audit_summary": "审核 {file}：发现 {errors} 处错误、{hints} 处提示。",
    "audit_md_title": "{name}审核结果",
    "audit_written": "审核清单：{path}",
    "audit_strict_header": "{file} 审核发现 {count} 处错误，按 --strict 未生成报告：",
    "audit_check_failed": "审核发现错误，请按上述单元格修改后重新运行。",
    "audit_identity": "{left} {unit}，而 {right} {unit}，差 {diff} {unit}，{verdict}。",
    "audit_verdict_exact": "请核对",
    "audit_verdict_rounding": "属四舍五入差异（{n} 个两位小数的数相加，最多可差 {tolerance} {unit}）",
    "audit_verdict_error": "超出四舍五入范围（最多 {tolerance} {unit}），请核对",
    "audit_at_most": "{parts} {unit}，超过了 {whole} {unit}，多出 {diff} {unit}：其中各项之和不能大于总数，请核对。",
    "audit_project_label": "项目“{name}”{label}",
    "audit_staff_over": "{name}实有 {actual} 人，超过核定编制 {established} 个 {diff} 人（超编），请确认。",
    "audit_reallocation": "决算{name} {actual} 万元为年初预算 {budget} 万元的 {rate}（超出 {over} 万元）{other}，预算在支出类别之间调整较大，请确认并在“存在问题”中说明。",
    "audit_reallocation_other": "，而决算{name} {actual} 万元只有年初预算 {budget} 万元的 {rate}",
    "audit_execution_over": "决算支出 {executed} 万元超过全年预算数 {full} 万元（执行率 {rate}），请核对全年预算数。",
    "audit_balance_not_carried": "全年预算数 {full} 万元减决算支出 {executed} 万元，预算结余 {balance} 万元，但年末结转结余为 {carry_out} 万元：未执行的预算既未支出也未结转，请核对全年预算数或年末结转结余。",
    "audit_met": "已达到",
    "audit_not_met": "未达到",
    "audit_band_status": "指标“{name}”年度指标值 {target}、实际完成值 {actual}，按数字{status}目标，但“评价等级”填的是“{band}”，请核对。",
    "audit_band_same_text": "指标“{name}”实际完成值与年度指标值相同（{value}），但“评价等级”填的是“{band}”，请确认。",
    "audit_score_band": "指标“{name}”手工得分 {score}（分值 {weight}）不在“{band}”的得分范围 [{low}, {high}{closed} 内，请核对得分或评价等级。",
    "audit_reason_missed": "未达到年度指标值（目标 {target}，实际 {actual}）",
    "audit_reason_low_score": "得分 {score} 低于分值 {weight}",
    "audit_reason_missing": "指标“{name}”{why}，但“偏差原因分析及改进措施”未填写。",
    "audit_unit_indicators": "部门整体绩效指标",
    "audit_project_indicators": "项目“{name}”的绩效指标",
    "audit_weights": "{what}分值合计 {total} 分，应为 {expected} 分（另有预算执行率 10 分，合计 100 分），相差 {diff} 分，请核对各指标分值。",
    "audit_level1_weights": "“{name}”各指标分值合计 {total} 分，通常为 {expected} 分（产出 50、效益 30、满意度 10），请确认。",
    "audit_source_unknown": "指标“{name}”的核对数据“{source}”无法识别，应为以下之一：{names}。",
    "audit_source_unit": "指标“{name}”的核对数据为“{source}”，但实际完成值不是数字或单位（{unit}）与之不符，无法比对。",
    "audit_source": "指标“{name}”实际完成值 {actual}，而按工作簿数据计算的“{source}”为 {expected}，差 {diff}，超出四舍五入范围，请核对。",
    "audit_points": " 个百分点",
    "audit_text_figure": "文字“{text}”与数据不符：按工作簿数据计算，{name}为 {computed}。建议改用占位符，或核对数字。",
    "audit_change_up": "增加",
    "audit_change_down": "减少",
    "audit_sangong_claim": "文字写“{phrase}”，但本年三公经费 {actual} 元比上年 {prev} 元{direction} {diff} 元，请核对。",
    "audit_text_all_met": "文字称“{phrase}”，但以下指标未达到年度指标值：{names}。",
    "audit_previous_unreadable": "上年工作簿 {name} 有错误，未与上年数据比对（可单独运行 generate --year {year} --check 查看）。",
    "audit_previous": "{label} {value} {unit}，与上年工作簿 {prev_file} 中的{prev_label} {prev_value} {unit} 不符，差 {diff} {unit}，请核对。",
    # --- template check (generate --template-check) --------------------------------------
    "tc_header": "（名称按{against}核对，并试渲染。）",
    "tc_against_unit": "本单位工作簿 {workbook}",
    "tc_against_sample": "工作簿格式生成的示例数据（依本单位数据而定的名称，如人员类别、文字栏目，按模板所写补上）",
    "tc_fields_hint": "加 --fields 可列出模板中可以使用的全部名称。",
    "tc_removed_header": "模板中的以下内容不属于报告本身，已删除，不会出现在生成的报告中：",
    "tc_variables_header": "模板中可以使用的名称（含义和示例值见 docs/fields.md；[] 表示列表中的每一项，用 for 循环取用）：",
    "tc_ok": "模板检查通过：{path} 没有未知名称、错误标签或不安全写法，试渲染成功。",
    "tc_failed": "模板 {path} 中发现 {count} 处问题：",
    "tc_where_part": "{part}第{index}段“{text}”",
    "tc_where_render": "试渲染",
    "tc_part_header": "页眉（{name}）",
    "tc_part_footer": "页脚（{name}）",
    "tc_part_footnotes": "脚注（{name}）",
    "tc_part_endnotes": "尾注（{name}）",
    "tc_unknown_filter": "未知过滤器“{name}”。本工具的过滤器：{names}。",
    "tc_unknown_test": "未知判断“is {name}”。",
    "tc_sandbox": "不允许访问“{name}”：模板在安全沙箱中运行，不能访问以下划线开头的属性或程序内部对象。",
    "tc_syntax": "标签“{tag}”写法有误：{detail}",
    "tc_unknown_tag": "不认识的标签“{tag}”。可用的标签有 for、if、elif、else、set、with 及对应的 endfor、endif 等，以及 {{%p %}}、{{%tr %}}、{{% vmerge 条件 %}}。",
    "tc_include": "不支持引用其他模板（{keyword}）：每个模板须独立完整。",
    "tc_end_extra": "结束标签后不应再有其他内容",
    "tc_else_extra": "else 后不应再有条件，需要条件时请用 elif",
    "tc_no_argument": "此标签不带参数",
    "tc_needs_argument": "此标签需要一个参数",
    "tc_unexpected_branch": "“{tag}”前面没有对应的 if（或 for）。",
    "tc_unexpected_end": "多余的“{tag}”：前面没有与之对应的开始标签。",
    "tc_unclosed_block": "“{tag}”没有对应的 {end}。",
    "tc_unclosed_tag": "标签没有闭合：“{fragment}”后缺少“{close}”（一个标签须完整写在同一段内）。",
    "tc_stray_close": "多余的“{close}”：前面没有对应的“{open}”。",
    "tc_two_structural": "同一段中有多个段落/行/列标签（{tags}），生成的 Word 文件会损坏。每个这样的标签须单独占一段。",
    "tc_p_with_text": "“{tag}”所在的整段会在生成时删除，但此段还有文字“{text}”，这些文字会丢失。请把标签单独放在一段。",
    "tc_needs_cell": "“{tag}”只能用在表格单元格中。",
    "tc_needs_loop": "“{tag}”须放在 for 循环中。",
    "tc_whole": "模板整体解析失败：{detail}",
    # --- next year's workbook (generate --init) -------------------------------------------
    "init_exists": "{path} 已存在，未覆盖。--init 只新建工作簿，从不覆盖已有的工作簿；如确需重新生成，请先把它改名或移走。",
    "init_prev_missing": "找不到上一年度的工作簿 {path}。--init 根据 {prev} 年的工作簿新建 {year} 年的工作簿。{found}新单位请改用 generate --year {year} --new-unit {unit}。",
    "init_prev_problems": "{name} 中发现 {count} 处问题，未新建 {year} 年工作簿（请先改正上一年度的工作簿）：",
    "init_created": "已新建 {path}（由 {source} 结转）：橙色格子为 {year} 年需要填写的数据，共 {count} 处；“上年”栏已填入 {prev} 年决算数。",
    "init_unit_created": "{unit}：已新建 {path}（待填 {count} 处）",
    "init_unit_exists": "{unit}：{path} 已存在，未覆盖",
    "init_unit_failed": "{unit}：失败：{reason}",
    "init_totals": "共 {total} 个单位：新建 {created} 个，已存在未覆盖 {skipped} 个，失败 {failed} 个。",
    "init_note": "【{year}年工作簿】本工作簿由 generate --year {year} --init 根据 {source} 生成。单位信息、机构、编制数、绩效指标的名称、分值和年度指标值、单位职责、绩效总目标等沿用上一年度，请核对；“三公经费”“基础数据”表的“上年决算数”、“财务”表的“上年项目支出决算数”和“项目”表的“上年决算数”已填入 {prev} 年决算数。",
    "init_note_todo": "橙色格子为 {year} 年需要填写的数据（填好后颜色可以保留）。未填的必填项在生成报告时会逐一指出所在单元格。“文字内容”表中，除沿用的栏目外，各段内容已清空待填（小标题沿用上一年度，可修改；不需要的行可以删除）。",

    # --- the open workbook model -------------------------------------------------------
    "hint_did_you_mean": "是否应为“{name}”？",
    "table_empty": "“{sheet}”表中没有任何数据行。",
    "text_too_long": "“{label}”有 {length} 个字，超过一个单元格的上限 {limit} 字，请分成几段（几行）填写。",
    "notice_format_chars": "“{label}”中有不可见的格式字符（如反向书写符 U+202E、零宽空格），可能使文字显示的顺序与实际不同，已删除。",
    "notice_lock_file": "{name} 旁边有 Excel/WPS 的临时文件 {lock}：工作簿可能正在 Excel 或 WPS 中打开，未保存的修改不会出现在报告中。请先保存。",
    "notice_sheet_renamed": "工作表名“{actual}”与“{expected}”只差空格或全角字符，已按“{expected}”读取；建议改名为“{expected}”。",
    "column_shifted": "{column} 列的数据全部为空，而右边的 {next} 列有数据：可能插入了一列。请删除多余的列，使数据回到 {column} 列（“内容”列）。",
    "staff_parent_unknown": "“上级”填写了“{parent}”，但“人员编制”表中没有这个类别（现有：{names}）。",
    "staff_parent_self": "“上级”不能是本行自己（{category}）。",
    "staff_parent_cycle": "“人员编制”表的“上级”形成了循环（从“{category}”开始），请核对。",
    "staff_row_empty": "类别“{category}”的核定编制和实有人数都未填写。",
    "org_stated_conflict": "分组“{group}”的公布个数填了两个不同的数：第{row}行为 {first}，此处为 {value}。每个分组只需在一行填写一次。",
    "percent_slip": "{label}为 {shown}，而同一行另一值不超过 100%：是否应为 {suggest}？（在百分比格式的单元格中请输入 80%，或先输入 0.8）",
    "level_typo": "{label}“{value}”不是规定的名称：是否应为“{suggest}”？（财预〔2020〕10号）",
    "fact_duplicate": "名称“{name}”与第{row}行重复。",
    "fact_name_invalid": "名称“{name}”不能含有空格、点、方括号、花括号或引号（模板用 概况数据.名称 取用）。",
    "fact_not_number": "“{name}”的类型为数字，但数值为文字“{value}”。",
    "section_name_invalid": "栏目名称“{name}”不能含有空格、点、方括号、花括号或引号（模板用 文字内容.栏目 取用）。",
    "uses_empty": "模板{where}用到“{name}”，但工作簿未填写：请填写 {place}。",
    "uses_absent": "模板{where}用到“{name}”，但工作簿中没有：{place}。",
    "place_sheet": "请在 {file} 中添加“{sheet}”表或核对名称",
    "place_staff_row": "请在 {file} 的“人员编制”表增加这一类别的行，或核对名称",
    "place_text_section": "请在 {file} 的“文字内容”表增加这一栏目的段落，或核对名称",
    "place_fact": "请在 {file} 的“概况数据”表增加这一项，或核对名称",
    "place_org_group": "请在 {file} 的“机构”表增加这一分组的机构，或核对名称",
    "audit_org_count": "{group}公布个数为 {stated} 个，但“机构”表列出{group} {listed} 个（{names}），相差 {diff} 个，请核对。",
    "audit_org_summary": "{group}概述“{typed}”共 {stated} 个，但“机构”表列出 {listed} 个（{names}），请核对。",
    "audit_vocabulary": "{label}“{value}”不在财预〔2020〕10号规定的名称中（{names}），请确认是否为本地规定的名称。",
    # --- files, folders and faults ----------------------------------------------------
    "path_dangling_link": "{path} 是一个失效的快捷方式（链接），指向的文件不存在。",
    "path_not_regular": "{path} 不是普通文件（可能是管道、设备或文件夹），无法读取。",
    "too_large_part": "{name} 中的 {part} 解压后约 {size} MB，超过单个部件的上限 {limit} MB，不像是一个单位的填报表，已拒绝读取。",
    "too_large_parts": "{name} 含有 {count} 个部件，超过上限 {limit}，不像是一个单位的填报表，已拒绝读取。",
    "workbook_part_damaged": "{name} 已损坏：部件 {part} 的压缩数据有误（{detail}）。请用 Excel 或 WPS 打开后另存为 .xlsx 再试。",
    "workbook_entities": "{name} 的部件 {part} 含有 XML 实体声明（DOCTYPE/ENTITY），为安全起见拒绝读取。请用 Excel 或 WPS 另存为 .xlsx。",
    "workbook_strict": "{name} 是“Strict Open XML 电子表格”格式，其中有本程序无法读取的内容。请在 Excel 中选择“文件 › 另存为”，保存类型选“Excel 工作簿（*.xlsx）”。",
    "folder_waiting": "另一个生成任务正在写入 {path}，等待它结束（最多 {seconds} 秒）……",
    "folder_locked": "另一个生成任务正在写入 {path}，等待 {seconds} 秒后仍未结束，本次未生成。请稍后再运行，或用 --wait 延长等待时间。",
    "record_failed": "无法写入生成记录 {path}（{detail}），本单位的文件未做任何改动。请检查磁盘空间和权限后重试。",
    "removed_stale": "已删除与新报告不一致的旧文件：{path}",
    "pdf_damaged": "LibreOffice 生成的 {name} 不完整或没有页面，未采用。",
    # --- templates ----------------------------------------------------------------
    "template_unreadable": "无法读取模板 {path}（{detail}）。",
    "template_has_problems": "模板 {path} 中有 {count} 处问题，未生成报告（generate --template-check 可单独检查模板）：",
    "template_too_large_part": "模板 {path} 的部件 {part} 过大（上限 {limit} MB），已拒绝使用。",
    "template_damaged": "模板 {path} 已损坏：部件 {part} 的压缩数据有误（{detail}）。请用 Word 或 WPS 打开后另存为 .docx。",
    "template_entities": "模板 {path} 的部件 {part} 含有 XML 实体声明，为安全起见拒绝使用。",
    "template_bad_xml": "模板 {path} 的部件 {part} 不是有效的 XML（{detail}）。请用 Word 或 WPS 打开后另存为 .docx。",
    "template_output_too_large": "模板 {path} 渲染出的 {part} 过大（超过 {limit} MB），未写出文件。请检查模板中的循环和重复。",
    "template_time_limit": "模板 {path} 渲染超过 {seconds} 秒，已停止（可能有过大的循环）。真实报告不会这样慢；如确需更长时间，可加 --limit-seconds。",
    "template_memory_limit": "模板 {path} 渲染时占用内存超过 {mb} MB，已停止（可能在循环中不断增长的内容）。如确需更多内存，可加 --limit-mb。",
    "template_removed": "模板中的{what}已删除（{where}）",
    "removed_macro": "宏（VBA）",
    "removed_activex": "ActiveX 控件",
    "removed_ole": "嵌入的 OLE 对象",
    "removed_embedded": "嵌入的文件",
    "removed_comments": "批注",
    "removed_font": "嵌入的字体",
    "removed_altchunk": "导入的外部内容（altChunk）",
    "removed_attached_template": "链接的外部模板",
    "removed_external_image": "外部链接的图片",
    "removed_external_link": "指向本机或网络共享（file:、\\\\服务器）的链接",
    "removed_field": "引用外部文件的域代码",
    "removed_part": "非报告部件",
    # --- workbooks we write -------------------------------------------------------------
    "wb_required": "必填。",
    "wb_optional": "模板用到时填写。",
    "wb_prompt_choice": "请从下拉列表选择：{choices}",
    "wb_prompt_comparator": "=、≥、≤ 或“达到”“超过”“以上”等；定性指标留空",
    "wb_prompt_level": "请从下拉列表选择{label}（财预〔2020〕10号）",
    "wb_error_level": "{label}不是规定的名称。如确为本地规定的名称，请点“是”保留。",
    "wb_fields_title": "模板字段：模板中可以使用的名称，以及按本工作簿生成时显示的内容（本表由程序生成，修改无效）",
    "wb_instructions_title": "填写说明",
    "wb_instructions": (
        "本工作簿是生成《部门整体支出绩效自评报告》及附表的唯一数据来源。报告中的每个数字和每段年度文字都取自这里。\n"
        "1. 只在黄色格子中填写（橙色为本年度待填）；灰色为标签，已保护，不能修改（审阅 › 撤消工作表保护，无密码）。表格末尾可以继续填写新的行。\n"
        "2. 报告用到哪项就填哪项：没有的项目（如资产情况、某类人员）可以不填，生成时会指出模板用到而未填写的单元格。\n"
        "3. 金额：“财务”“基础数据”“项目”表单位为万元，“三公经费”表单位为元，均保留两位小数。\n"
        "4. 百分数请输入为百分数格式，如 95%（不要输入 95）。日期请输入为日期，如 2025/9/15。请勿合并单元格；数字格中不要输入“万元”等文字。\n"
        "5. 机构：一行一个机构，“分组”可以是 内设机构、下设机构、派驻机构 等任意名称；对外公布的个数填在该组任意一行的“公布个数”。\n"
        "6. 人员编制：一行一个类别（如 行政编制、全额拨款事业编制、执行公务员津补贴人员、财政所、某中心），没有的类别不必填写。"
        "“上级”填该行属于哪一类别（如各中心的上级为“事业编制”），审核时核对下级之和。\n"
        "7. 绩效指标：一行一个三级指标。“比较”填 =、≥、≤、>、<，或“达到”“超过”“以上”等；定性指标（指标值为文字）留空，并在“评价等级”选择达成/部分达成/未达成。"
        "得分自动计算：≥ 类按 实际/目标，≤ 类按 目标/实际，均不超过分值；定性指标按评价等级；填写“手工得分”则以手工为准，并在自评表中标注。\n"
        "8. 文字内容：一行一段。“栏目”可以是任何名称（如 单位职责、自评组织），模板用 文字内容.栏目名 取用，同一栏目的多段按表中顺序排列。"
        "内容中可以写 {{名称}} 引用数据，如 {{预算.调整额}}、{{财务.资产总额}}、{{概况数据中的名称}}，生成时自动填入，保证文字与表格一致。常用的简写：\n"
        "9. 概况数据：报告中引用的其他数字和说法（如 村 31 个、人口 6万余人），模板用 概况数据.名称 取用。\n"
        "10. 句子覆盖：程序根据数据自动生成的句子（如“三公经费支出未超过去年”、各类指标的汇总句），如需改写，在“句子覆盖”表对应行填写覆盖内容。\n"
        "11. 模板字段表列出模板中可以使用的全部名称及按本表显示的内容，便于修改模板时查阅。\n"
        "12. 填好后运行：generate --year 年度 --check 审核，generate --year 年度 生成报告。程序会指出具体单元格。"
    ),
    # --- new units -------------------------------------------------------------------------
    "new_unit_exists": "{path} 已存在，未覆盖。--new-unit 只新建，从不覆盖已有的文件。",
    "new_unit_note": "【新单位】本工作簿由 generate --new-unit {unit} 生成，用于 {year} 年度。黄色格子为填写项，报告模板用到的项目都需填写。",
    "new_unit_done": (
        "已新建单位“{unit}”：\n"
        "  工作簿：{workbook}（只填好了年度和单位全称）\n"
        "  模板：{template}（默认模板的副本，可用 Word 或 WPS 按本单位的措辞修改）\n"
        "下一步：\n"
        "  1. 用 Excel 或 WPS 填写工作簿的黄色格子；\n"
        "  2. generate --year {year} --unit {unit} --template-check   检查模板\n"
        "  3. generate --year {year} --unit {unit} --check            审核数据，按提示修改\n"
        "  4. generate --year {year} --unit {unit}                    生成报告"
    ),
    "new_unit_beside_single": "注意：{path} 是单个单位的工作簿，此时批量生成只处理它；生成“{unit}”请加 --unit {unit}（或把 {path} 移到 data/<单位>/{year}.xlsx，按文件夹批量生成）。",
    "year_required": "请用 --year 指定报告年度，如 generate --year 2024。",
    # --- command-line help (new options) --------------------------------------------------
    "help_pdf_tables": "同时把附表（-附表.xlsx）转为 PDF（包含 --pdf）。",
    "help_new_unit": "新建一个单位：data/<单位>/年度.xlsx（空白工作簿）和 templates/<单位>/report.docx（默认模板的副本）。",
    "help_fields": "与 --template-check 同用：列出模板中可以使用的全部名称。",
    "help_verbose": "列出每条审核意见的编号和全部单元格。",
    "help_limit_seconds": "渲染一个单位的报告最多用时（秒），默认 60。",
    "help_limit_mb": "渲染一个单位的报告最多占用内存（MB），默认 1024。",
    "help_wait": "输出文件夹正被另一次运行使用时，最多等待的秒数。",
    "help_serve": "启动网页：各单位上传工作簿、下载报告，县财政局查看全部单位。",
    "help_host": "网页监听的地址；对局域网开放时用 0.0.0.0。",
    "help_port": "网页监听的端口。",
    "help_create_admin": "新建县财政局管理员账户并打印一次性密码（网页用）。",
    # --- pieces of messages and file names ------------------------------------------
    "list_none": "无",
    "date_cn": "{year}年{month}月{day}日",
    "backup_stem": "{stem}.备份-{stamp}",
    "check_unit_header": "══ 单位：{unit} ══",
    # --- output file names ------------------------------------------------------------
    "file_report": "{year}年度{unit}{title}",
    "file_audit_xlsx": "{stem}-审核.xlsx",
    "file_audit": "{stem}-审核.md",
    "file_tables": "{stem}-附表.xlsx",
    "pdf_not_produced": "{name} 未生成",
    # --- command-line help ---------------------------------------------------------
    "help_command": "根据 Excel 工作簿生成《部门整体支出绩效自评报告》（含三张附表）。\n\n示例：generate --year 2024",
    "help_year": "报告年度，如 2024。读取 数据文件夹/年度.xlsx。",
    "help_unit": "数据文件夹中有多个单位（每个单位一个子文件夹）时，只生成这一个单位。",
    "help_data": "存放工作簿的数据文件夹。",
    "help_templates": "模板文件夹：default/report.docx 为默认模板，<单位>/report.docx 为该单位专用模板。",
    "help_out": "输出文件夹；报告写入 输出文件夹/年度/。",
    "help_force": "报告已被手工修改时仍重新生成（先把原文件备份为带日期的副本）。",
    "help_check": "只审核数据，不生成报告：列出所有前后矛盾之处及单元格；有错误时退出码为 1。",
    "help_strict": "审核发现错误时不生成报告。",
    "help_pdf": "同时用 LibreOffice 把报告转为 PDF（用于门户网站公开）。",
    "help_jobs": "批量生成多个单位时并行的进程数，默认为 CPU 核数。",
    "help_init": "为 --year 年度新建工作簿：沿用上一年度的单位信息、指标和目标，上年数据移入“上年”栏，本年数据留空待填。",
    "help_template_check": "检查模板：错误标签、不安全写法、用到而工作簿中没有的名称，并试渲染。加 --unit 时按该单位的工作簿检查；不指定模板时检查该单位所用模板。",
    # --- the annotated workbook (formats/xlsx_mark.py) -------------------------------
    "annotate_none": "未发现问题。",
    "annotate_summary": "共 {total} 条：错误 {errors} 条，提示 {hints} 条。"
                        "点击单元格可转到工作表中标出的格子（红色为错误，黄色为提示，说明见批注）。",
    "annotate_comment_cut": "……（全文见“审核结果”表）",
    # --- general --------------------------------------------------------------------
    "problems_header": "{name} 中发现 {count} 处问题，未生成报告：",
    "notices_header": "提示（已自动处理）：",
    "internal_error": "程序内部错误：{detail}。请把这条信息和工作簿发给维护人员。",
}


# click's own messages (gettext texts) in Chinese: see cli._install_click_chinese
CLICK: dict[str, str] = {
    "Usage:": "用法：",
    "Usage: ": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Show this message and exit.": "显示本帮助并退出。",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "运行“{command} {option}”查看帮助。",
    "Missing option": "缺少选项",
    "Missing argument": "缺少参数",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing option '{name}'.": "缺少选项 {name}。",
    "No such option: {name}": "没有选项 {name}",
    "No such option {name!r}.": "没有选项 {name}。",
    "Did you mean {possibility}?": "是否应为 {possibility}？",
    "(Possible options: {possibilities})": "（可能的选项：{possibilities}）",
    "Option {name!r} requires an argument.": "选项 {name} 后面需要填写一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name} 后面需要填写 {nargs} 个值。",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "{value!r} is not a valid {number_type}.": "“{value}”不是有效的{number_type}。",
    "integer": "整数",
    "float": "数字",
    "{value} is not in the range {range}.": "{value} 不在允许的范围 {range} 内。",
    "{value!r} is not a valid boolean.": "“{value}”不是有效的是/否值。",
    "{name} {filename!r} does not exist.": "{name}“{filename}”不存在。",
    "{name} {filename!r} is a directory.": "{name}“{filename}”是文件夹。",
    "{name} {filename!r} is a file.": "{name}“{filename}”是文件。",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "Aborted!": "已中止。",
    "unknown error": "未知错误",
}


def msg(key: str, **values: object) -> str:
    return MESSAGES[key].format(**values)

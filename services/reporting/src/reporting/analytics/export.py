"""An analytics table as JSON, CSV (UTF-8 with BOM, so Excel reads the Hangul) or an Excel sheet."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # pandas (with numpy, ~60 MiB resident) is imported where a table is made, not at start
    import pandas as pd


def _local_times(df: pd.DataFrame, tz: ZoneInfo, *, naive: bool) -> pd.DataFrame:
    import pandas as pd

    df = df.copy()
    for col in df.columns:
        if isinstance(df[col].dtype, pd.DatetimeTZDtype):
            local = df[col].dt.tz_convert(tz)
            df[col] = local.dt.tz_localize(None) if naive else local
    return df


def _flat(value: Any) -> Any:
    if isinstance(value, dict):
        return ";".join(f"{k}:{v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return value


def to_json(meta: dict[str, Any], df: pd.DataFrame, tz: ZoneInfo) -> bytes:
    """``meta`` with ``columns`` and ``rows`` (records) added; times ISO 8601 in the city's time zone."""
    import pandas as pd

    local = _local_times(df, tz, naive=False)
    for col in local.columns:
        if isinstance(local[col].dtype, pd.DatetimeTZDtype):
            local[col] = local[col].map(lambda t: None if pd.isna(t) else t.isoformat())
    rows = local.to_json(orient="records", force_ascii=False, date_format="iso")
    head = json.dumps({**meta, "columns": list(df.columns)}, ensure_ascii=False, default=_default)
    return (head[:-1] + ', "rows": ' + rows + "}").encode("utf-8")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def to_csv(df: pd.DataFrame, tz: ZoneInfo) -> bytes:
    local = _local_times(df, tz, naive=False)
    for col in local.columns:
        if local[col].dtype == object:
            local[col] = local[col].map(_flat)
    return local.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S%z").encode("utf-8-sig")


def to_xlsx(df: pd.DataFrame, tz: ZoneInfo, *, sheet: str, title: str) -> bytes:
    import pandas as pd
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    local = _local_times(df, tz, naive=True)
    for col in local.columns:
        if local[col].dtype == object:
            local[col] = local[col].map(_flat)
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        local.to_excel(writer, sheet_name=sheet, index=False, freeze_panes=(1, 0))
        ws = writer.sheets[sheet]
        for i, col in enumerate(local.columns, 1):
            cell = ws.cell(row=1, column=i)
            cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="2F5597")
            width = max([len(str(col))] + [len(str(v)) for v in local[col].head(200)]) + 2
            ws.column_dimensions[get_column_letter(i)].width = min(max(width, 8), 60)
            if pd.api.types.is_datetime64_any_dtype(local[col]):
                for (c,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    c.number_format = 'yyyy"년" m"월" d"일" hh:mm'
        writer.book.properties.title = title
    return buf.getvalue()

"""Shaping the analytics (pandas) and finding repeat places (a k-d tree). Pure: no I/O.

Every function returns a flat DataFrame (one row per fact, codes and Korean labels side by side),
which the API serves as JSON, CSV or Excel, and a dict of notes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import labels
from .queries import CONDITIONS

Notes = dict[str, Any]
# (condition, type) pairs a city watches: rain brings drainage, cold bursts water pipes
HIGHLIGHTS = (("rain", "sewer_drainage"), ("heavy_rain", "sewer_drainage"), ("freezing", "water_supply"),
              ("severe_cold", "water_supply"), ("freezing", "snow_ice"))


def _records(rows: Sequence[Any]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame()
    if isinstance(rows[0], dict):
        return pd.DataFrame(rows)
    return pd.DataFrame.from_records([tuple(r) for r in rows], columns=list(rows[0].keys()))


def patterns(rows: Sequence[Any]) -> tuple[pd.DataFrame, Notes]:
    """Rows of (type, district, how = hour of the week from Monday 00 local, count)."""
    df = _records(rows)
    cols = ["type", "type_label", "weekday", "weekday_label", "hour", "district", "count"]
    if df.empty:
        return pd.DataFrame(columns=cols), {"total": 0}
    df["weekday"] = df["how"] // 24 + 1
    df["hour"] = df["how"] % 24
    df["type_label"] = df["type"].map(labels.type_label)
    df["weekday_label"] = df["weekday"].map(lambda d: labels.WEEKDAY_LABELS[int(d) - 1])
    df["district"] = df["district"].fillna("")
    df = df.sort_values(["type", "weekday", "hour", "district"], kind="stable", na_position="last")
    return df[cols].reset_index(drop=True), {"total": int(df["count"].sum()),
                                             "weekday": "1 = 월요일 … 7 = 일요일 (ISO)", "hour": "0–23, local time"}


def response_times(rows: Sequence[Any]) -> tuple[pd.DataFrame, Notes]:
    out = []
    for r in rows:
        base = {"dimension": r["dimension"], "type": r["type"],
                "type_label": labels.type_label(r["type"]) if r["dimension"] == "type" else None,
                "department": r["department"] if r["dimension"] == "department" else None,
                "complaints": r["complaints"]}
        if r["dimension"] == "department" and r["department"] is None:
            base["department"] = labels.NO_DEPARTMENT
        for name in ("dispatch", "acknowledge", "resolve"):
            p = r[f"{name}_p"] or [None, None, None]
            base[f"{name}_n"] = r[f"{name}_n"]
            for q, v in zip(("p50", "p90", "p95"), p, strict=True):
                base[f"{name}_{q}_min"] = None if v is None else round(float(v), 1)
        out.append(base)
    return pd.DataFrame(out), {"unit": "minutes", "dispatch": "received → dispatched",
                               "acknowledge": "dispatched → acknowledged", "resolve": "received → resolved"}


def weather(rows: Sequence[Any]) -> tuple[pd.DataFrame, Notes]:
    """For each condition and type: the type's share of complaints under the condition and otherwise,
    and their ratio (lift > 1: the condition brings more of this type)."""
    df = _records(rows)
    out = []
    if not df.empty:
        for key, (label, _on, _off) in CONDITIONS.items():
            on_total, off_total = df[f"{key}_on"].sum(), df[f"{key}_off"].sum()
            for r in df.itertuples(index=False):
                on, off = getattr(r, f"{key}_on"), getattr(r, f"{key}_off")
                share_on = on / on_total if on_total else None
                share_off = off / off_total if off_total else None
                lift = share_on / share_off if share_on is not None and share_off else None
                out.append({"condition": key, "condition_label": label, "type": r.type,
                            "type_label": labels.type_label(r.type), "count": int(on),
                            "share": _round(share_on), "count_otherwise": int(off),
                            "share_otherwise": _round(share_off), "lift": _round(lift, 2)})
    table = pd.DataFrame(out, columns=["condition", "condition_label", "type", "type_label", "count", "share",
                                       "count_otherwise", "share_otherwise", "lift"])
    highlights = []
    for cond, type_ in HIGHLIGHTS:
        hit = table[(table["condition"] == cond) & (table["type"] == type_)]
        if not hit.empty:
            highlights.append(hit.iloc[0].replace({np.nan: None}).to_dict())
    return table, {"highlights": highlights,
                   "basis": "the weather at each complaint's place and time, as the classifier knew it"}


def _round(v: float | None, digits: int = 4) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(float(v), digits)


def trends(rows: Sequence[Any]) -> tuple[pd.DataFrame, Notes]:
    """Per month and type (and 'all'): the count, the month before, the change and the change in percent."""
    df = _records(rows)
    cols = ["month", "type", "type_label", "count", "previous", "change", "change_pct"]
    if df.empty:
        return pd.DataFrame(columns=cols), {}
    df["month"] = df["month"].map(lambda m: m if isinstance(m, str) else m.strftime("%Y-%m"))
    df["type"] = df["type"].fillna("unclassified")
    table = df.pivot_table(index="month", columns="type", values="count", aggfunc="sum", fill_value=0)
    months = pd.period_range(table.index.min(), table.index.max(), freq="M").strftime("%Y-%m")
    table = table.reindex(months, fill_value=0)
    table["all"] = table.sum(axis=1)
    long = table.reset_index(names="month").melt(id_vars="month", var_name="type", value_name="count")
    long = long.sort_values(["type", "month"], kind="stable")
    long["previous"] = long.groupby("type")["count"].shift(1)
    long["change"] = long["count"] - long["previous"]
    long["change_pct"] = (long["change"] / long["previous"].where(long["previous"] > 0) * 100).round(1)
    long["type_label"] = long["type"].map(
        lambda t: "전체" if t == "all" else labels.type_label(None if t == "unclassified" else t))
    long = long.sort_values(["month", "type"], kind="stable")
    long["previous"] = long["previous"].astype("Int64")
    long["change"] = long["change"].astype("Int64")
    return long[cols].reset_index(drop=True), {"months": list(months)}


def repeat_places(rows: Sequence[Any], *, radius_m: float = 50.0, min_count: int = 3) -> tuple[pd.DataFrame, Notes]:
    """Places with ``min_count`` or more complaints within ``radius_m`` of one another's centre.

    Each complaint's neighbours within the radius are counted with a k-d tree; then, greedily, the
    complaint with the most neighbours becomes a place's centre and takes its unassigned neighbours,
    until no complaint has ``min_count`` unassigned complaints around it. A place is therefore a circle
    of ``radius_m`` around a real complaint's location, and no complaint counts in two places.
    """
    from scipy.spatial import cKDTree

    df = _records(rows)
    cols = ["place", "lat", "lon", "district", "complaints", "first_at", "last_at", "top_type", "top_type_label",
            "types", "complaint_ids"]
    notes = {"radius_m": radius_m, "min_count": min_count, "located": len(df)}
    if len(df) < min_count:
        return pd.DataFrame(columns=cols), notes
    lat, lon = df["lat"].to_numpy(float), df["lon"].to_numpy(float)
    lat0 = math.radians(float(lat.mean()))
    xy = np.column_stack([lon * 111_320.0 * math.cos(lat0), lat * 110_540.0])  # metres, good for a city
    tree = cKDTree(xy)
    counts = tree.query_ball_point(xy, r=radius_m, return_length=True)
    candidates = np.flatnonzero(counts >= min_count)
    label = np.full(len(df), -1)
    centres: list[int] = []
    for i in candidates[np.argsort(-counts[candidates], kind="stable")]:
        if label[i] >= 0:
            continue
        members = np.asarray(tree.query_ball_point(xy[i], r=radius_m))
        members = members[label[members] < 0]
        if len(members) >= min_count:
            label[members] = len(centres)
            centres.append(int(i))
    if not centres:
        return pd.DataFrame(columns=cols), notes
    placed = df.assign(place=label, type=df["type"].fillna("unclassified"))[label >= 0]
    placed = placed.sort_values(["place", "received_at"], kind="stable")
    out = placed.groupby("place").agg(complaints=("complaint_id", "size"), first_at=("received_at", "min"),
                                      last_at=("received_at", "max"))
    out["complaint_ids"] = placed.assign(cid=placed["complaint_id"].astype(str)).groupby("place")["cid"].agg(list)
    by_type = placed.groupby(["place", "type"]).size().reset_index(name="n").sort_values(
        ["place", "n", "type"], ascending=[True, False, True], kind="stable")
    types: dict[int, dict[str, int]] = {}
    for p, t, n in zip(by_type["place"].tolist(), by_type["type"].tolist(), by_type["n"].tolist(), strict=True):
        types.setdefault(p, {})[t] = n
    out["types"] = pd.Series(types)
    out["top_type"] = by_type.drop_duplicates("place").set_index("place")["type"]
    out["top_type_label"] = out["top_type"].map(lambda t: labels.type_label(None if t == "unclassified" else t))
    districts = placed.dropna(subset=["district"]).groupby(["place", "district"]).size().reset_index(name="n")
    out["district"] = districts.sort_values(["place", "n"], ascending=[True, False], kind="stable") \
        .drop_duplicates("place").set_index("place")["district"]
    out["lat"] = np.round(lat[centres], 4)
    out["lon"] = np.round(lon[centres], 4)
    out = out.sort_values(["complaints", "last_at"], ascending=[False, False], kind="stable").reset_index(drop=True)
    out.insert(0, "place", range(1, len(out) + 1))
    out["district"] = out["district"].astype(object).where(out["district"].notna(), None)
    return out[cols], notes

from datetime import date, time
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from sunmoon.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    """Reporting's settings; every field can be set as ``REPORTING_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    service_name: str = "reporting"
    http_port: int = 8004

    # -- the duty report (당직일지) ----------------------------------------------------------------
    city_name: str = Field("김포시", description="Shown in every report's header")
    timezone: str = Field("Asia/Seoul", description="Shift boundaries, hours and dates in reports")
    shift_handover: time = Field(time(9, 0), description="The duty day starts (and a shift ends) at this time")
    shift_evening: time = Field(time(18, 0), description="On a working day the night shift starts at this time")
    extra_holidays: list[date] = Field(default_factory=list,
                                       description="Local days off besides the KR public holidays (JSON list)")
    auto_reports: bool = Field(True, description="Generate the duty report at the end of every shift")
    report_formats: list[Literal["xlsx", "pdf"]] = Field(default_factory=lambda: ["xlsx", "pdf"])
    report_delay_seconds: float = Field(60.0, ge=0,
                                        description="Wait this long after a shift ends, for late events")
    schedule_poll_seconds: float = Field(30.0, gt=0, description="How often the scheduler looks for ended shifts")
    catch_up_days: int = Field(7, ge=0, description="After downtime, reports for shifts that ended up to this "
                                                    "many days ago are still made")
    pdf_list_limit: int = Field(1500, ge=10, description="At most this many complaints listed in a PDF; "
                                                         "the Excel file always lists all")
    pdf_compact_from: int = Field(300, ge=0, description="Longer lists are set one line a complaint in a "
                                                         "fixed-pitch font (fast) instead of a seven-column table")
    warm_up_after_seconds: float | None = Field(
        None, ge=0, description="Load the report libraries and fonts this long after start, so the first report "
                                "is as fast as the next (about 3 s of CPU once, and about 140 MiB resident for "
                                "good); empty (the default): on first use, so the service stays small until a "
                                "report is made")

    # -- the read model and the analytics feed ------------------------------------------------------
    fold_summary: bool = Field(True, description="Keep a 40-character summary of each description "
                                                 "(phone numbers masked) for the reports")
    analytics_feed: bool = Field(True, description="Publish reporting.analytics.complaint_state.v1")

"""Every tunable default of the metrics, in one place (metrics.md: "defaults are settings").

Pages may override a copy per session; the CLI reads the same defaults. Nothing else in the code
base should hold one of these numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace


@dataclass(frozen=True)
class Settings:
    # Windows (maturity: a cohort counts only once every member had the whole window).
    contact_window_hours: float = 48.0
    meeting_window_days: float = 14.0
    placement_window_days: float = 120.0
    response_window_days: float = 7.0
    # Handoff
    live_transfer_minutes: float = 30.0
    # Response-time buckets, upper bounds in minutes (the last bucket is open).
    response_bucket_minutes: tuple[float, ...] = (5.0, 60.0, 1440.0, 4320.0)
    # Agency business hours (local time), Japanese public holidays excluded.
    business_start_hour: int = 9
    business_end_hour: int = 19
    business_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    # Yellow zone
    min_advisor_meetings: int = 20
    advisor_top_share: float = 1 / 3
    segment_top_share: float = 1 / 3
    prior_strength_floor: float = 5.0
    prior_strength_default: float = 20.0
    index_pseudo_count: float = 5.0
    credible_level: float = 0.90
    posterior_draws: int = 400
    weekly_capacity_per_advisor: int = 7
    open_registrant_days: float = 14.0    # a registrant without a meeting is still open (routable) this long
    active_advisor_days: float = 28.0     # advisors with a meeting in this many days receive recommendations
    missed_matches_report_limit: int = 100  # rows of the missed-matches list in the JSON report
    # Registration form
    form_min_n: int = 30
    form_top_k: int = 8                   # categorical fields: the k most frequent values, rest "other"
    form_value_required: float = 0.01     # NMI (field x 14-day meeting) from which a field is required
    form_value_low: float = 0.003         # NMI below which a field tells little
    form_fill_low: float = 0.40           # fill rate below which a low-value field is dropped
    form_value_alpha: float = 0.05        # G-test level: a value only counts when significant
    # Drill-downs and alerts
    alert_uncontacted_hours: float = 24.0
    # A team's median response time "worsened" when it grew by this factor week over week
    # (teams with fewer registrations than the minimum in either week are not judged).
    alert_response_worse_ratio: float = 1.25
    alert_min_registrations: int = 10
    trend_weeks: int = 12
    # Time-to-meeting curves run this many days from registration.
    time_to_meeting_days: int = 60
    extra: dict = field(default_factory=dict)

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return asdict(self)


DEFAULT = Settings()

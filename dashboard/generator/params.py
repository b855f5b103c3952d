"""The generator's defaults (sample-data.md §6): organisation, segments, stage odds, lags, form.

Every rate, lag and share of the desk study lives here, so a test or a benchmark can override one
by ``dataclasses.replace``. Where a default departs from the desk study in sample-data.md the
comment says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

DEFAULT_WEEKS = 78
# A fixed Monday (start of a Japanese fiscal year), never "today": the same seed gives the same bytes.
DEFAULT_START = date(2024, 4, 1)


@dataclass(frozen=True)
class Segment:
    """A latent candidate segment: who they are, how they fill the form, how they convert."""

    id: str
    name: str
    target: bool
    mix: float
    age: tuple[int, int]
    income: tuple[int, int]          # 現年収 in 万円
    job_changes: tuple[int, int]
    english_business: float          # share with English at business level or better
    job_categories: tuple[str, ...]
    contact_factor: float            # multiplies the per-call connect probability
    p_set: float
    p_show: float
    p_recommend: float
    n_recommendations: float         # mean number of recommendations once recommended
    p_doc_pass: float
    p_interview_pass: float
    p_offer: float
    p_accept: float
    p_join: float
    decay_time_scale: float = 1.0    # multi-agent users (S3/S5) go cold faster
    fill_factor: float = 1.0         # missing not at random: S3/S5 fill more, S6 less
    away_share: float = 0.2          # 離職中


PRO_JOBS = ("ITエンジニア", "経理", "法人営業")
S1_JOBS = ("ITエンジニア", "経理", "法人営業", "個人営業", "マーケティング", "人事", "製造・技術")
S2_JOBS = ("販売・サービス", "事務", "未経験")

# The segments are disjoint by construction on four form fields (転職回数, 現年収, 年齢, 経験職種), so
# data/targets.toml classifies every fully filled row back into its latent segment. The desk study's
# S6 is a union (転職回数≥4, long unemployment, 50+, low pay, out-of-area); a target list is a
# list of conjunctions, so here S6 is planted as "4+ job changes" and S4 stops below 800万.
# S2's accept/join and S3's recommend/accept odds are moved from the desk study so the two
# high-yield segments (S1, S3) stand clearly apart from S2 at the bundled sample size.
# p_set is the booking odds at a response within 5 minutes. The lead decay here runs on the time
# to first contact (the response time the product measures), which is longer than the first
# attempt's lag the desk study used, so p_set sits 0.05-0.08 above the study to keep the realised
# 面談設定率 inside its band (§6.9).
SEGMENTS: tuple[Segment, ...] = (
    Segment("S1", "20代経験者", True, 0.25, (24, 29), (320, 480), (0, 1), 0.08, S1_JOBS,
            1.45, .90, .82, .75, 7, .30, .35, .50, .55, .93),
    Segment("S2", "第二新卒・未経験", True, 0.20, (22, 27), (250, 350), (0, 2), 0.03, S2_JOBS,
            1.35, .90, .75, .70, 9, .35, .28, .45, .33, .82),
    Segment("S3", "30代専門職", True, 0.20, (30, 39), (450, 700), (1, 2), 0.15, PRO_JOBS,
            1.45, .88, .85, .75, 6, .28, .35, .50, .62, .95, decay_time_scale=0.7, fill_factor=1.2),
    Segment("S4", "40代ミドル・管理職", True, 0.12, (40, 54), (550, 790), (1, 3), 0.15,
            ("法人営業", "管理職", "ITエンジニア", "経理", "製造・技術", "人事"),
            1.45, .78, .88, .50, 5, .15, .33, .45, .45, .95),
    Segment("S5", "ハイクラス・外資", True, 0.05, (30, 49), (800, 1500), (1, 3), 0.85,
            ("管理職", "コンサルタント", "ITエンジニア", "法人営業", "マーケティング", "金融専門職"),
            1.45, .86, .90, .60, 4, .22, .35, .45, .40, .93, decay_time_scale=0.7, fill_factor=1.2),
    Segment("S6", "非ターゲット", False, 0.18, (20, 65), (150, 300), (4, 7), 0.02,
            ("販売・サービス", "軽作業", "事務", "ドライバー", "飲食", "個人営業"),
            0.95, .50, .70, .25, 4, .08, .25, .40, .50, .85,
            decay_time_scale=1.3, fill_factor=0.8, away_share=0.5),
)

# Channels (流入経路) and their share; tilt multiplies P(channel | segment).
CHANNELS: dict[str, float] = {
    "sco_bizreach": 0.15, "sco_doda": 0.15, "paid_google": 0.15, "paid_meta": 0.15,
    "feed_indeed": 0.15, "org_seo": 0.15, "referral": 0.05, "other": 0.05,
}
CHANNEL_TILT: dict[str, dict[str, float]] = {
    "sco_bizreach": {"S3": 1.5, "S4": 1.5, "S5": 1.5},
    "sco_doda": {"S3": 1.5, "S4": 1.5, "S5": 1.5},
    "paid_meta": {"S2": 1.5, "S6": 1.5},
    "feed_indeed": {"S2": 1.5, "S6": 1.5},
}
# Scout replies arrive with a filled job-board profile; ads on phones fill least.
CHANNEL_FILL: dict[str, float] = {
    "sco_bizreach": 1.2, "sco_doda": 1.2, "paid_google": 0.95, "paid_meta": 0.8,
    "feed_indeed": 0.85, "org_seo": 1.0, "referral": 1.1, "other": 0.9,
}

MONTH_SEASONALITY = (1.15, 1.05, 0.95, 1.10, 1.05, 1.0, 0.95, 0.85, 1.0, 1.05, 0.95, 0.80)


@dataclass(frozen=True)
class FormField:
    header: str
    attribute: str
    fill_if_optional: float
    required_in: tuple[str, ...]


# Form versions: v1 is the long form; v2 (from `form_v2_share_of_span` into the span) is shorter:
# 現年収 and 転職回数 became optional, which is exactly what makes segments undecidable afterwards.
FORM_FIELDS: tuple[FormField, ...] = (
    FormField("年齢", "age", .85, ("v1", "v2")),
    FormField("居住都道府県", "prefecture", .90, ("v1", "v2")),
    FormField("経験職種", "job_category", .75, ("v1", "v2")),
    FormField("現年収(万円)", "current_income", .60, ("v1",)),
    FormField("希望年収(万円)", "desired_income", .60, ()),
    FormField("転職回数", "job_changes", .50, ("v1",)),
    FormField("英語力", "english_level", .35, ()),
    FormField("就業状況", "employment_status", .65, ()),
    FormField("転職希望時期", "desired_timing", .70, ("v1", "v2")),
    FormField("希望勤務地", "desired_location", .70, ()),
    FormField("最終学歴", "education", .55, ("v1",)),
    FormField("保有資格", "qualifications", .35, ()),
    FormField("職務経歴書", "has_resume", .15, ()),
    FormField("自由記述", "free_text", .20, ()),
)

# Teams: name -> (operating model, number of handlers); 5 advisors each.
TEAMS: dict[str, tuple[str, int]] = {
    "東京1": ("live_transfer", 2),
    "大阪": ("callback", 1),
    "名古屋": ("advisor_direct", 0),
}
ADVISOR_NAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
                 "吉田", "山田", "佐々木", "山口", "松本")
HANDLER_NAMES = ("井上", "木村", "林")
# Advisor levels per team: seniors have home segments among S3/S4/S5, juniors among S1/S2, the
# rest anywhere (sample-data.md §6.4: seniors 30%, juniors 40%).
TEAM_LEVELS = {
    "東京1": ("senior", "senior", "junior", "junior", "mid"),
    "大阪": ("senior", "junior", "junior", "mid", "mid"),
    "名古屋": ("senior", "junior", "junior", "mid", "senior"),
}
HOME_POOLS = {"senior": ("S3", "S4", "S5"), "junior": ("S1", "S2"), "mid": ("S1", "S2", "S3", "S4", "S5")}

# Where registrants live decides the team that handles them; other regions are shared out.
PREFECTURES: dict[str, tuple[float, str | None]] = {
    "東京都": (0.18, "東京1"), "神奈川県": (0.07, "東京1"), "埼玉県": (0.05, "東京1"), "千葉県": (0.04, "東京1"),
    "大阪府": (0.12, "大阪"), "兵庫県": (0.05, "大阪"), "京都府": (0.04, "大阪"), "奈良県": (0.01, "大阪"),
    "愛知県": (0.14, "名古屋"), "静岡県": (0.04, "名古屋"), "岐阜県": (0.03, "名古屋"), "三重県": (0.02, "名古屋"),
    "北海道": (0.03, None), "宮城県": (0.02, None), "広島県": (0.03, None), "福岡県": (0.05, None),
    "新潟県": (0.02, None), "岡山県": (0.02, None), "熊本県": (0.02, None), "沖縄県": (0.02, None),
}


@dataclass(frozen=True)
class Params:
    """Every knob of the simulation (defaults from sample-data.md §6; overridable)."""

    weeks: int = DEFAULT_WEEKS
    start: date = DEFAULT_START
    segments: tuple[Segment, ...] = SEGMENTS
    form_fields: tuple[FormField, ...] = FORM_FIELDS
    form_v2_share_of_span: float = 0.6
    form_v2_volume_factor: float = 1.15     # a shorter form converts more visitors
    form_v2_extra_s6: float = 0.05          # ... and screens out fewer non-targets
    required_income_unstated: float = 0.08  # 現年収 recorded as 未記載 although required
    outside_hours_share: float = 0.40       # registrations outside weekday 9-19

    # Advisors come in three tiers of segment-adjusted performance (index: placements over what
    # an average advisor would place with the same segments), top about double the bottom, with a
    # little noise: the top third is a real group a manager can see, not a cut through a
    # continuum. Each advisor's latent skill z is solved so that their index lands on their tier
    # despite their home segments (sample-data.md §6.4 has z ~ N(0, 1); this keeps its scale).
    index_tiers: tuple[float, float, float] = (1.45, 1.0, 0.7)
    index_noise: float = 0.04
    handler_skill_sd: float = 0.3
    shift_set: float = 0.25
    shift_show: float = 0.15
    shift_recommend: float = 0.30
    shift_doc_pass: float = 0.20
    shift_interview: float = 0.15
    shift_accept: float = 0.35
    handler_shift_contact: float = 0.2
    # Dedicated handlers book meetings better than advisors squeezing calls between meetings (the
    # article's case for division of labour); a logit shift on p_set when a handler books.
    handler_booking_bonus: float = 0.5
    handler_shift_set: float = 0.3
    home_boost: float = 0.4
    away_penalty: float = -0.2
    routing_preference: float = 0.35        # share routed to a home-segment advisor of the team

    # Calls (§6.5)
    max_attempts: int = 6
    direct_max_attempts: int = 4            # advisors calling between meetings give up sooner
    connect_fast: float = 0.35              # attempt within 5 min of registration
    connect_slow: float = 0.22
    connect_peak_factor: float = 1.3        # weekday 18-20 or weekend 10-12
    sms_bonus: float = 0.05
    junk_phone_share: float = 0.02
    # first-attempt lag in minutes (median, p90), in and out of business hours
    first_attempt: dict = field(default_factory=lambda: {
        "live_transfer": ((3, 15), (45, 120)),
        "callback": ((25, 240), (25, 240)),
        "advisor_direct": ((180, 1560), (180, 1560)),
    })
    # booking -> meeting in days (median, p90)
    scheduling_days: dict = field(default_factory=lambda: {
        "live_transfer": (2, 6), "callback": (3, 9), "advisor_direct": (4, 10),
    })
    # retry gaps in minutes (median, p90): after the first call, then between later ones
    retry_minutes: tuple = ((120, 360), (1200, 1800))
    # talk time of a connected first call in minutes (median, p90), by operating model
    call_minutes: dict = field(default_factory=lambda: {
        "live_transfer": (6, 12), "callback": (8, 15), "advisor_direct": (15, 30),
    })
    # show-up by booking lead time: (up to this many days, rate at p_show 0.82), last is open
    show_by_lead_days: tuple = ((1, 0.92), (3, 0.85), (7, 0.78), (float("inf"), 0.68))
    transfer_success: float = 0.45          # live transfer on the same call (東京1)
    direct_same_call: float = 0.03          # advisor holds the meeting on the first call (名古屋)
    # Callback model: p_set x this^(days until the advisor's meeting). The study's 0.97 would
    # cancel the callback team's faster response and put it level with advisors calling directly.
    handoff_penalty_per_day: float = 0.985
    intent_bonus: float = 0.05              # optional 転職回数 / 職務経歴書 filled
    timing_shift: dict = field(default_factory=lambda: {
        "すぐにでも": 0.3, "3ヶ月以内": 0.1, "6ヶ月以内": 0.0, "1年以内": -0.2, "未定": -0.4,
    })
    # downstream lags in days (median, p90)
    lag_meeting_recommend: tuple[float, float] = (4, 14)
    lag_between_recommendations: tuple[float, float] = (7, 30)
    lag_recommend_doc: tuple[float, float] = (5, 10)
    lag_doc_interview: tuple[float, float] = (7, 14)
    lag_interview_final: tuple[float, float] = (10, 21)
    lag_final_offer: tuple[float, float] = (5, 10)
    lag_offer_accept: tuple[float, float] = (5, 14)
    lag_accept_join: tuple[float, float] = (40, 75)
    join_on_first_of_month: float = 0.6

    # Export artefacts
    duplicate_share: float = 0.005
    early_event_share: float = 0.0005
    full_width_share: float = 0.003
    full_width_phone_share: float = 0.05
    other_format_share: float = 0.002


def lead_decay(hours, time_scale: float = 1.0):
    """f(t) of sample-data.md §6.6: the factor on p_set for a first attempt after ``hours``."""
    t = np.asarray(hours, dtype=float) / time_scale
    return 1 - 0.10 * (1 - np.exp(-t / 0.5)) - 0.45 * (1 - np.exp(-t / 48))

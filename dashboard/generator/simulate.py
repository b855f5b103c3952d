"""The simulated agency: staff, registrants, calls, meetings and the selection pipeline.

``simulate`` draws one world from a seed (independent random streams per phase, so changing one
phase leaves the others' draws alone) and returns it in memory with its latent variables: the
segment of every registrant, the advisor they were routed to, the true placement probability of
every advisor x segment cell. ``dashboard.generator.export`` writes it out as CRM files and
``dashboard.generator.truth`` summarises what was planted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from dashboard.generator.clock import MINUTES_PER_DAY, Clock
from dashboard.generator.params import (
    CHANNEL_FILL, CHANNEL_TILT, CHANNELS, HANDLER_NAMES, HOME_POOLS, MONTH_SEASONALITY, PREFECTURES,
    TEAM_LEVELS, TEAMS, ADVISOR_NAMES, Params, lead_decay,
)

MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
STREAMS = ("staff", "population", "routing", "calls", "meetings", "pipeline", "export")
LIVE, CALLBACK, DIRECT = "live_transfer", "callback", "advisor_direct"
CALL_RESULTS = ("通電", "不在", "SMS送信", "番号違い")
CONNECTED, NO_ANSWER, SMS, WRONG_NUMBER = range(4)

TIMINGS = ("すぐにでも", "3ヶ月以内", "6ヶ月以内", "1年以内", "未定")
ENGLISH = ("ネイティブ", "ビジネス", "日常会話", "なし")
EDUCATION = ("大学院卒", "大学卒", "短大・専門卒", "高校卒")
QUALIFICATIONS = ("普通自動車免許", "日商簿記2級", "基本情報技術者", "TOEIC800点以上", "宅地建物取引士",
                  "中小企業診断士", "米国公認会計士", "なし")
FREE_TEXT = ("年収アップを希望", "リモートワーク希望", "土日休みを希望", "キャリアチェンジを検討中",
             "できるだけ早く転職したい", "管理職ポジション希望", "英語を活かしたい", "残業少なめ希望",
             "まずは情報収集から", "家族の転勤のため, 勤務地を変えたい")


@dataclass
class World:
    """One simulated agency. Times are float minutes since ``params.start`` (NaN: never)."""

    params: Params
    seed: int
    clock: Clock
    as_of: float
    form_v2_from: float
    staff: pd.DataFrame        # one row per person: name, role, team, level, skill, home, started_day
    candidates: pd.DataFrame   # one row per registrant, latent and observed
    filled: dict               # form attribute -> bool array (the registrant filled it in)
    pipeline: pd.DataFrame     # one row per candidate x recommended job
    calls: pd.DataFrame        # one row per call attempt or SMS
    cell_probability: np.ndarray  # advisors x segments: P(placement | meeting held)
    export_rng: np.random.Generator  # the stream that places the export artefacts

    @property
    def advisors(self) -> pd.DataFrame:
        return self.staff[self.staff["role"] == "advisor"]

    @property
    def handlers(self) -> pd.DataFrame:
        return self.staff[self.staff["role"] == "handler"]


def logit(p):
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1 - p))


def expit(x):
    return 1 / (1 + np.exp(-x))


def lognormal(rng: np.random.Generator, median: float, p90: float, size) -> np.ndarray:
    sigma = np.log(p90 / median) / 1.2815515655446004
    return np.exp(rng.normal(np.log(median), sigma, size))


def _categorical(rng: np.random.Generator, probs: np.ndarray, group: np.ndarray) -> np.ndarray:
    """One draw per row from ``probs[group[row]]`` (rows of ``probs`` sum to one)."""
    cum = np.cumsum(probs, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(len(group))
    return (u[:, None] > cum[group]).sum(axis=1)


def _seg_array(params: Params, attr: str) -> np.ndarray:
    return np.array([getattr(s, attr) for s in params.segments], dtype=float)


# --- staff ------------------------------------------------------------------------------------

def draw_staff(rng: np.random.Generator, p: Params) -> pd.DataFrame:
    """The roster: 15 advisors (team, level, home segments, skill) then the registration handlers."""
    rows = []
    names_iter = iter(ADVISOR_NAMES)
    for team in TEAMS:
        for level in TEAM_LEVELS[team]:
            rows.append({"name": next(names_iter), "role": "advisor", "team": team, "level": level})
    advisors = pd.DataFrame(rows)
    n = len(advisors)
    # Seniority and performance go together, loosely: tiers are dealt from a score that favours
    # seniors.
    bonus = advisors["level"].map({"senior": 0.5, "mid": 0.0, "junior": -0.5}).to_numpy()
    score = bonus + rng.normal(0, 1, n)
    tier = np.empty(n, dtype=int)
    tier[np.argsort(-score, kind="stable")] = np.arange(n) * 3 // n
    target_index = np.array(p.index_tiers)[tier] * np.exp(rng.normal(0, p.index_noise, n))
    homes = []
    for level in advisors["level"]:
        pool = HOME_POOLS[level]
        k = 1 + int(rng.random() < 0.5)
        homes.append(tuple(sorted(rng.choice(pool, size=min(k, len(pool)), replace=False).tolist())))
    advisors["home"] = homes
    advisors["skill"] = solve_skills(p, advisors, target_index)
    tenure = {"senior": (1500, 3000), "mid": (500, 1500), "junior": (60, 500)}
    advisors["started_day"] = [-int(rng.integers(*tenure[lv])) for lv in advisors["level"]]

    handler_rows = []
    names_iter = iter(HANDLER_NAMES)
    for team, (_, count) in TEAMS.items():
        for _ in range(count):
            handler_rows.append({"name": next(names_iter), "role": "handler", "team": team, "level": "handler",
                                 "skill": rng.normal(0, p.handler_skill_sd), "home": (),
                                 "started_day": -int(rng.integers(200, 1500))})
    return pd.concat([advisors, pd.DataFrame(handler_rows)], ignore_index=True)


def expected_meeting_mix(p: Params, advisors: pd.DataFrame) -> np.ndarray:
    """advisors x segments: expected share of meetings, from team volume, segment mix, routing."""
    seg_ids = [s.id for s in p.segments]
    team_share = dict.fromkeys(TEAMS, 0.0)
    for share, team in PREFECTURES.values():
        for t in ([team] if team else list(TEAMS)):
            team_share[t] += share / (1 if team else len(TEAMS))
    propensity = np.array([s.mix * s.contact_factor * s.p_set * s.p_show for s in p.segments])
    mix = np.zeros((len(advisors), len(seg_ids)))
    for team, members in advisors.groupby("team").groups.items():
        members = list(members)
        for j, sid in enumerate(seg_ids):
            home = [a for a in members if sid in advisors.at[a, "home"]]
            for a in members:
                preferred = (a in home) / len(home) if home else 1 / len(members)
                routed = p.routing_preference * preferred + (1 - p.routing_preference) / len(members)
                mix[a, j] = team_share[team] * propensity[j] * routed
    return mix


def solve_skills(p: Params, advisors: pd.DataFrame, target_index: np.ndarray) -> np.ndarray:
    """Latent skills z (mean 0) whose segment-adjusted index matches ``target_index`` (up to scale)
    under the expected meeting mix, home-segment effects included."""
    mix = expected_meeting_mix(p, advisors)
    n_seg = len(p.segments)
    seg = np.tile(np.arange(n_seg), (len(advisors), 1))
    aff = affinity(p, advisors)
    z = np.log(target_index) / 0.42
    for _ in range(60):
        prob = placement_probability(p, seg, np.repeat(z[:, None], n_seg, axis=1), aff)
        seg_rate = (mix * prob).sum(axis=0) / mix.sum(axis=0)
        index = (mix * prob).sum(axis=1) / (mix * seg_rate).sum(axis=1)
        step = np.log(target_index) - np.log(index)
        # 0.42: d log(index) / dz near the middle of the range (recommend, documents, interview
        # and accept shifts combined); the iteration only needs the right order of magnitude.
        z = z + (step - step.mean()) / 0.42
        z -= z.mean()
    return z


def affinity(p: Params, advisors: pd.DataFrame) -> np.ndarray:
    """advisors x segments logit shift: home segments up, the others slightly down."""
    seg_ids = [s.id for s in p.segments]
    home = np.array([[sid in h for sid in seg_ids] for h in advisors["home"]])
    return np.where(home, p.home_boost, p.away_penalty)


def stage_probabilities(p: Params, seg: np.ndarray, skill: np.ndarray, aff: np.ndarray) -> dict:
    """Per-meeting odds of each later stage for segment index ``seg``, advisor skill and affinity."""
    S = p.segments
    base = {k: np.array([getattr(s, k) for s in S])[seg] for k in
            ("p_recommend", "p_doc_pass", "p_interview_pass", "p_offer", "p_accept", "p_join", "n_recommendations")}
    return {
        "recommend": expit(logit(base["p_recommend"]) + p.shift_recommend * skill + aff),
        "doc_pass": expit(logit(base["p_doc_pass"]) + p.shift_doc_pass * skill + aff),
        "interview_pass": expit(logit(base["p_interview_pass"]) + p.shift_interview * skill),
        "offer": base["p_offer"],
        "accept": expit(logit(base["p_accept"]) + p.shift_accept * skill + aff),
        "join": base["p_join"],
        "n_mean": base["n_recommendations"],
    }


def placement_probability(p: Params, seg, skill, aff) -> np.ndarray:
    """P(placement | meeting held), in closed form: at least one offer among 1 + NegBin(2) jobs."""
    q = stage_probabilities(p, np.asarray(seg), np.asarray(skill, dtype=float), np.asarray(aff, dtype=float))
    per_job_offer = q["doc_pass"] * q["interview_pass"] * q["offer"]
    nb_p = 2.0 / (q["n_mean"] + 1.0)
    x = 1.0 - per_job_offer
    none = x * (nb_p / (1.0 - (1.0 - nb_p) * x)) ** 2   # E[x^(1+NB)], the PGF at x
    return q["recommend"] * (1.0 - none) * q["accept"] * q["join"]


def cell_probabilities(p: Params, staff: pd.DataFrame) -> np.ndarray:
    adv = staff[staff["role"] == "advisor"]
    n_seg = len(p.segments)
    seg = np.tile(np.arange(n_seg), (len(adv), 1))
    skill = np.repeat(adv["skill"].to_numpy()[:, None], n_seg, axis=1)
    return placement_probability(p, seg, skill, affinity(p, adv))


# --- registrants ------------------------------------------------------------------------------

def _hour_of_week_weights(outside_share: float) -> np.ndarray:
    # Lunch and late-evening peaks on weekdays; quieter, flatter weekends; little at night.
    weekday = np.array([.15, .08, .04, .03, .03, .05, .15, .35, .6, 1.0, 1.05, 1.1,
                        1.6, 1.3, 1.0, 1.0, 1.0, 1.0, 1.05, .9, 1.2, 1.3, 1.1, .4])
    weekend = np.array([.1, .05, .03, .02, .02, .02, .05, .1, .18, .25, .33, .35,
                        .38, .35, .33, .3, .3, .3, .33, .35, .4, .43, .38, .18])
    w = np.concatenate([weekday] * 5 + [weekend] * 2)
    inside = np.zeros(168, dtype=bool)
    for d in range(5):
        inside[d * 24 + 9: d * 24 + 19] = True
    # Registrations outside weekday 9-19 make up `outside_share` of the total; the shape (lunch
    # and late-evening peaks) comes from the hourly weights.
    w = np.where(inside, w / w[inside].sum() * (1 - outside_share), w / w[~inside].sum() * outside_share)
    return w / w.sum()


def registration_times(rng, p: Params, n: int, v2_week: int) -> np.ndarray:
    """Registration times, sorted: weekly volume by month (seasonality) and form version, then an
    hour of the week from the weekday/weekend profile."""
    week_start = [p.start + timedelta(days=7 * w) for w in range(p.weeks)]
    weights = np.array([MONTH_SEASONALITY[(d + timedelta(days=3)).month - 1] for d in week_start])
    weights[v2_week:] *= p.form_v2_volume_factor
    counts = rng.multinomial(n, weights / weights.sum())
    week = np.repeat(np.arange(p.weeks), counts)
    # The profile starts on Monday; the span's weeks start on the start date's weekday.
    profile = np.roll(_hour_of_week_weights(p.outside_hours_share), -24 * p.start.weekday())
    hour = rng.choice(168, size=n, p=profile)
    t = week * MINUTES_PER_WEEK + hour * 60 + rng.integers(0, 60, n)
    return np.sort(t.astype(float), kind="stable")


def _categorical_column(codes: np.ndarray, categories) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int16), categories=list(categories))


def population(rng, p: Params, t_reg: np.ndarray, v2_from: float) -> tuple[pd.DataFrame, dict]:
    """Who registers: segment, channel, the attributes they have and which fields they filled in.
    Text attributes are categoricals (codes into a small list), so a million rows stay cheap."""
    n = len(t_reg)
    S = p.segments
    version = (t_reg >= v2_from).astype(int)
    mix = np.array([[s.mix for s in S]] * 2)
    s6 = [s.id for s in S].index("S6")
    mix[1] = mix[1] * (1 - (mix[1, s6] + p.form_v2_extra_s6)) / (1 - mix[1, s6])
    mix[1, s6] = mix[0, s6] + p.form_v2_extra_s6
    seg = _categorical(rng, mix, version)

    ch_names = list(CHANNELS)
    ch_probs = np.array([[CHANNELS[c] * CHANNEL_TILT.get(c, {}).get(s.id, 1.0) for c in ch_names] for s in S])
    ch_probs /= ch_probs.sum(axis=1, keepdims=True)
    channel = _categorical(rng, ch_probs, seg)

    def uniform_int(bounds: str) -> np.ndarray:
        lo = np.array([getattr(s, bounds)[0] for s in S])[seg]
        hi = np.array([getattr(s, bounds)[1] for s in S])[seg]
        return lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(int)

    age = uniform_int("age")
    income = (uniform_int("income") // 10) * 10
    job_changes = uniform_int("job_changes")
    jobs = sorted({j for s in S for j in s.job_categories})
    job_probs = np.array([[1.0 / len(s.job_categories) if j in s.job_categories else 0 for j in jobs] for s in S])
    job = _categorical(rng, job_probs, seg)

    eb = _seg_array(p, "english_business")
    english = _categorical(rng, np.column_stack([eb * .2, eb * .8, (1 - eb) * .3, (1 - eb) * .7]), seg)
    away = (rng.random(n) < _seg_array(p, "away_share")[seg]).astype(int)
    timing_probs = np.array([[.15, .25, .2, .15, .25] if s.id == "S6" else [.25, .35, .2, .1, .1] for s in S])
    timing = _categorical(rng, timing_probs, seg)
    edu_probs = {"S1": [.08, .62, .18, .12], "S2": [.02, .45, .28, .25], "S3": [.15, .70, .10, .05],
                 "S4": [.08, .60, .17, .15], "S5": [.35, .60, .04, .01], "S6": [.01, .25, .30, .44]}
    education = _categorical(rng, np.array([edu_probs[s.id] for s in S]), seg)
    qual_probs = {"S1": [.3, .15, .15, .05, .05, .0, .0, .3], "S2": [.4, .05, .05, .0, .05, .0, .0, .45],
                  "S3": [.2, .2, .25, .1, .1, .05, .0, .1], "S4": [.3, .15, .1, .05, .15, .1, .05, .1],
                  "S5": [.1, .05, .1, .4, .05, .1, .15, .05], "S6": [.5, .02, .0, .0, .02, .0, .0, .46]}
    qual = _categorical(rng, np.array([qual_probs[s.id] for s in S]), seg)
    raise_low = np.isin(seg, [i for i, s in enumerate(S) if s.id in ("S2", "S6")])
    desired = np.where(raise_low, income + rng.integers(0, 6, n) * 10,
                       np.round(income * rng.uniform(1.0, 1.3, n) / 10) * 10).astype(int)

    pref_names = list(PREFECTURES)
    pref_probs = np.array([PREFECTURES[k][0] for k in pref_names])
    pref = rng.choice(len(pref_names), size=n, p=pref_probs / pref_probs.sum())
    loc_u = rng.random(n)
    locations = pref_names + ["リモート希望"]
    desired_location = np.where(loc_u < 0.8, pref, np.where(loc_u < 0.9, pref_names.index("東京都"), len(pref_names)))
    free_text = rng.integers(0, len(FREE_TEXT), n)

    team_names = list(TEAMS)
    home_team = np.array([team_names.index(PREFECTURES[k][1]) if PREFECTURES[k][1] else -1 for k in pref_names])[pref]
    team = np.where(home_team >= 0, home_team, rng.integers(0, len(team_names), n))

    # Form filling: required fields are filled; optional ones by field, channel and segment
    # (missing not at random: S3/S5 fill more, S6 less).
    ch_fill = np.array([CHANNEL_FILL[c] for c in ch_names])[channel]
    seg_fill = _seg_array(p, "fill_factor")[seg]
    filled, optional = {}, {}
    for f in p.form_fields:
        required = np.isin(np.array(["v1", "v2"])[version], f.required_in)
        chance = np.minimum(0.98, f.fill_if_optional * ch_fill * seg_fill)
        draw = rng.random(n)
        filled[f.attribute] = required | (draw < chance)
        optional[f.attribute] = ~required
    # 現年収 is left as 未記載 by some registrants even where the form requires it.
    unstated = ~optional["current_income"] & (rng.random(n) < p.required_income_unstated)
    filled["current_income"] = filled["current_income"] & ~unstated
    junk_phone = rng.random(n) < p.junk_phone_share

    cand = pd.DataFrame({
        "registered_at": t_reg,
        "form_version": _categorical_column(version, ["v1", "v2"]),
        "segment": seg,
        "channel": _categorical_column(channel, ch_names),
        "age": age,
        "prefecture": _categorical_column(pref, pref_names),
        "job_category": _categorical_column(job, jobs),
        "current_income": income,
        "desired_income": desired,
        "job_changes": job_changes,
        "english_level": _categorical_column(english, ENGLISH),
        "employment_status": _categorical_column(away, ("在職中", "離職中")),
        "desired_timing": _categorical_column(timing, TIMINGS),
        "desired_location": _categorical_column(desired_location, locations),
        "education": _categorical_column(education, EDUCATION),
        "qualifications": _categorical_column(qual, QUALIFICATIONS),
        "has_resume": _categorical_column(np.zeros(n, dtype=int), ("あり",)),
        "free_text": _categorical_column(free_text, FREE_TEXT),
        "team": team,
        "income_unstated": unstated,
        "junk_phone": junk_phone,
        # Filling an optional 転職回数 or 職務経歴書 is an intent signal (sample-data.md §6.7).
        "intent": p.intent_bonus * ((filled["job_changes"] & optional["job_changes"]).astype(float)
                                    + (filled["has_resume"] & optional["has_resume"]).astype(float)),
    })
    return cand, filled


# --- routing, calls and meetings ----------------------------------------------------------------

def route(rng, p: Params, cand: pd.DataFrame, staff: pd.DataFrame) -> np.ndarray:
    """The advisor of each registrant: a home-segment advisor of the team sometimes, else anyone
    in the team. Partly random on purpose: high-yield registrants often reach weak advisors."""
    adv = staff[staff["role"] == "advisor"]
    seg_ids = [s.id for s in p.segments]
    team_names = list(TEAMS)
    n = len(cand)
    seg = cand["segment"].to_numpy()
    team = cand["team"].to_numpy()
    prefer = rng.random(n) < p.routing_preference
    u = rng.random(n)
    advisor = np.empty(n, dtype=int)
    for ti, tname in enumerate(team_names):
        members = np.flatnonzero(adv["team"].to_numpy() == tname)
        for si, sid in enumerate(seg_ids):
            mask = (team == ti) & (seg == si)
            home = np.array([m for m in members if sid in adv["home"].iloc[m]])
            pool_pref = home if len(home) else members
            choice_pref = pool_pref[(u[mask] * len(pool_pref)).astype(int)]
            choice_any = members[(u[mask] * len(members)).astype(int)]
            advisor[mask] = np.where(prefer[mask], choice_pref, choice_any)
    return advisor


def _in_hours(clock: Clock, rng, t: np.ndarray, close_min: np.ndarray | int = 1140) -> np.ndarray:
    """Move times outside business hours (9:00 to ``close_min``) to shortly after the next opening."""
    opening = clock.open_at_or_after(t, close_min=close_min)
    return np.where(opening > t, opening + rng.uniform(0, 45, len(t)), t)


def calls_and_meetings(rng_calls, rng_meet, p: Params, clock: Clock, as_of: float,
                       cand: pd.DataFrame, staff: pd.DataFrame, rng_route) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(cand)
    team_names = list(TEAMS)
    models = np.array([TEAMS[t][0] for t in team_names], dtype=object)
    seg = cand["segment"].to_numpy()
    t_reg = cand["registered_at"].to_numpy()
    team = cand["team"].to_numpy()
    model = models[team]
    junk_phone = cand["junk_phone"].to_numpy()
    is_live, is_callback, is_direct = model == LIVE, model == CALLBACK, model == DIRECT

    advisor = route(rng_route, p, cand, staff)
    skill = staff["skill"].to_numpy()
    handler = np.full(n, -1)
    for ti, tname in enumerate(team_names):
        members = np.flatnonzero((staff["role"] == "handler").to_numpy() & (staff["team"] == tname).to_numpy())
        mask = team == ti
        if len(members):
            handler[mask] = members[rng_route.integers(0, len(members), mask.sum())]
    caller = np.where(is_direct, advisor, handler)
    handler_skill = np.where(handler >= 0, skill[np.maximum(handler, 0)], 0.0)

    # First attempt: fast for the live-transfer team, slower for callback, slowest when advisors
    # call between their meetings; outside business hours it waits for the next opening.
    # Advisors calling between their meetings work until 20:00; handlers until 19:00.
    close = np.where(is_direct, 1200, 1140)
    opening = clock.open_at_or_after(t_reg, close_min=close)
    in_hours = opening == t_reg
    lag = np.empty(n)
    for m in (LIVE, CALLBACK, DIRECT):
        (med_in, p90_in), (med_out, p90_out) = p.first_attempt[m]
        mask = model == m
        lag[mask] = np.where(in_hours[mask], lognormal(rng_calls, med_in, p90_in, mask.sum()),
                             lognormal(rng_calls, med_out, p90_out, mask.sum()))
    t_attempt = _in_hours(clock, rng_calls, np.where(in_hours, t_reg, opening) + lag, close)
    first_attempt = t_attempt.copy()

    contact_factor = _seg_array(p, "contact_factor")[seg]
    contacted = np.zeros(n, dtype=bool)
    stopped = np.zeros(n, dtype=bool)
    t_contact = np.full(n, np.nan)
    call_rows = []
    for k in range(p.max_attempts):
        # Up to six calls over the week that starts with the first one.
        active = ~contacted & ~stopped & (t_attempt - first_attempt <= 7 * MINUTES_PER_DAY) & (t_attempt < as_of)
        active &= ~is_direct | (k < p.direct_max_attempts)
        minute = clock.minutes_of_day(t_attempt)
        weekend = clock.weekday_of(clock.day(t_attempt)) >= 5
        peak = np.where(weekend, (minute >= 600) & (minute < 720), (minute >= 1080) & (minute < 1200))
        base = np.where(t_attempt - t_reg <= 5, p.connect_fast, p.connect_slow)
        chance = base * contact_factor * np.where(peak, p.connect_peak_factor, 1.0)
        chance += np.where(k >= 2, p.sms_bonus, 0.0)
        chance = expit(logit(np.minimum(chance, 0.95)) + np.where(is_direct, 0.0, p.handler_shift_contact * handler_skill))
        wrong_number = active & junk_phone
        connect = active & ~junk_phone & (rng_calls.random(n) < chance)
        t_contact = np.where(connect, t_attempt, t_contact)
        contacted |= connect
        stopped |= wrong_number
        idx = np.flatnonzero(active)
        result = np.where(wrong_number[idx], WRONG_NUMBER, np.where(connect[idx], CONNECTED, NO_ANSWER))
        minutes = np.zeros(len(idx))
        for m, (med, p90) in p.call_minutes.items():
            sel = connect[idx] & (model[idx] == m)
            minutes[sel] = np.round(lognormal(rng_calls, med, p90, sel.sum()))
        minutes[result == NO_ANSWER] = rng_calls.integers(0, 2, (result == NO_ANSWER).sum())
        call_rows.append(pd.DataFrame({"candidate": idx, "at": np.floor(t_attempt[idx]), "staff": caller[idx],
                                       "result": result, "minutes": minutes}))
        if k == 1:
            # A text message after the second unanswered call.
            sms = np.flatnonzero(active & ~connect & ~wrong_number)
            call_rows.append(pd.DataFrame({"candidate": sms, "at": np.floor(t_attempt[sms]) + 1,
                                           "staff": caller[sms], "result": SMS, "minutes": 0.0}))
        gap = lognormal(rng_calls, *p.retry_minutes[min(k, 1)], n)
        t_attempt = _in_hours(clock, rng_calls, t_attempt + gap, close)
    calls = pd.concat(call_rows, ignore_index=True)
    calls = calls[calls["at"] < as_of].sort_values(["at", "candidate"], kind="stable", ignore_index=True)
    calls["result"] = _categorical_column(calls["result"].to_numpy(), CALL_RESULTS)

    # Booking: p_set by segment, shifted by whoever books (a handler, or the advisor calling
    # directly) and by stated timing, plus the intent bonus, times the lead decay f applied once
    # to the response time (registration to first contact); the callback model also pays for the
    # days until the advisor calls back.
    rng = rng_meet
    timing = cand["desired_timing"].cat
    timing_shift = np.array([p.timing_shift[c] for c in timing.categories])[timing.codes.to_numpy()]
    booker_shift = np.where(is_direct, p.shift_set * skill[advisor],
                            p.handler_booking_bonus + p.handler_shift_set * handler_skill)
    p_set = expit(logit(_seg_array(p, "p_set")[seg]) + booker_shift + timing_shift) + cand["intent"].to_numpy()
    decay = lead_decay((t_contact - t_reg) / 60, _seg_array(p, "decay_time_scale")[seg])
    sched_days = np.empty(n)
    for m, (med, p90) in p.scheduling_days.items():
        mask = model == m
        sched_days[mask] = np.minimum(lognormal(rng, med, p90, mask.sum()), 30)
    handoff = np.where(is_callback, p.handoff_penalty_per_day ** sched_days, 1.0)
    p_set = np.minimum(p_set, 0.99) * decay * handoff
    t_booked = t_contact + rng.integers(1, 6, n)
    booked = contacted & (rng.random(n) < p_set) & (t_booked < as_of)
    t_booked = np.where(booked, t_booked, np.nan)

    same_call = booked & ((is_live & (rng.random(n) < p.transfer_success))
                          | (is_direct & (rng.random(n) < p.direct_same_call)))
    raw = t_booked + sched_days * MINUTES_PER_DAY
    day = clock.day(raw)
    minute = clock.minutes_of_day(raw)
    slot = 600 + 30 * np.floor(np.mod(minute - 600, 600) / 30)   # 10:00-19:30, half-hourly
    scheduled = day * MINUTES_PER_DAY + slot
    scheduled = np.where(scheduled <= t_booked, scheduled + MINUTES_PER_DAY, scheduled)
    scheduled = np.where(same_call, t_booked + rng.integers(1, 5, n), scheduled)
    scheduled = np.where(booked, scheduled, np.nan)
    lead_days = (scheduled - t_booked) / MINUTES_PER_DAY
    limits, rates = zip(*p.show_by_lead_days)
    table = np.array(rates)[np.minimum(np.searchsorted(limits, lead_days), len(rates) - 1)]
    p_show = np.minimum(table * _seg_array(p, "p_show")[seg] / 0.82, 0.99)
    p_show = expit(logit(p_show) + p.shift_show * skill[advisor])
    held = booked & (same_call | (rng.random(n) < p_show)) & (scheduled < as_of)
    t_held = np.where(held, scheduled, np.nan)

    # Handlers route at booking, so a registrant they never booked has no advisor yet; the
    # advisors who call themselves own their registrants from the start.
    assigned = np.where(is_direct | booked, advisor, -1)
    return calls, pd.DataFrame({
        "advisor": advisor, "assigned": assigned, "handler": handler, "first_attempt_at": first_attempt,
        "contacted_at": t_contact, "contact_staff": np.where(contacted, caller, -1),
        "booked_at": t_booked, "booked_by": np.where(booked, caller, -1), "scheduled_for": scheduled,
        "same_call": same_call, "held_at": t_held, "p_set": p_set,
    })


# --- the selection pipeline ---------------------------------------------------------------------

def pipeline(rng, p: Params, clock: Clock, as_of: float, cand: pd.DataFrame, staff: pd.DataFrame) -> pd.DataFrame:
    """One row per candidate x recommended job, dates as day numbers (-1: not reached)."""
    held = np.flatnonzero(~np.isnan(cand["held_at"].to_numpy()))
    adv_rows = staff[staff["role"] == "advisor"]
    advisor = cand["advisor"].to_numpy()[held]
    seg = cand["segment"].to_numpy()[held]
    aff = affinity(p, adv_rows)[advisor, seg]
    q = stage_probabilities(p, seg, adv_rows["skill"].to_numpy()[advisor], aff)
    m = len(held)
    recommended = rng.random(m) < q["recommend"]
    extra = rng.negative_binomial(2, 2.0 / (q["n_mean"] + 1.0))
    n_jobs = np.where(recommended, 1 + extra, 0)
    row_cand = np.repeat(np.arange(m), n_jobs)
    first_row = np.cumsum(n_jobs) - n_jobs
    is_first = np.arange(len(row_cand)) == first_row[row_cand]

    def days(lag: tuple[float, float], size: int) -> np.ndarray:
        return np.maximum(1, np.round(lognormal(rng, *lag, size))).astype(np.int64)

    r = len(row_cand)
    held_day = clock.day(cand["held_at"].to_numpy()[held])
    first_rec = held_day + days(p.lag_meeting_recommend, m)
    rec_day = first_rec[row_cand] + np.where(is_first, 0, days(p.lag_between_recommendations, r))
    doc = rng.random(r) < q["doc_pass"][row_cand]
    doc_day = rec_day + days(p.lag_recommend_doc, r)
    interview_day = doc_day + days(p.lag_doc_interview, r)
    passed = doc & (rng.random(r) < q["interview_pass"][row_cand])
    final_day = interview_day + days(p.lag_interview_final, r)
    offer = passed & (rng.random(r) < q["offer"][row_cand])
    offer_day = final_day + days(p.lag_final_offer, r)

    # The candidate weighs their earliest offer; accepting and joining are candidate-level.
    order = np.lexsort((np.where(offer, offer_day, np.iinfo(np.int64).max), row_cand))
    offered_rows = order[offer[order]]
    best = offered_rows[np.unique(row_cand[offered_rows], return_index=True)[1]]
    bc = row_cand[best]
    accept = rng.random(len(best)) < q["accept"][bc]
    join = accept & (rng.random(len(best)) < q["join"][bc])
    accept_day = offer_day[best] + days(p.lag_offer_accept, len(best))
    join_day = accept_day + days(p.lag_accept_join, len(best))
    snap = rng.random(len(best)) < p.join_on_first_of_month
    join_day = np.where(snap, clock.first_of_next_month(join_day), join_day)
    decline_day = accept_day + rng.integers(3, 31, len(best))

    def at_rows(values, mask) -> np.ndarray:
        out = np.full(r, -1, dtype=np.int64)
        out[best[mask]] = values[mask]
        return out

    frame = pd.DataFrame({
        "candidate": held[row_cand],
        "advisor": advisor[row_cand],
        "job": 10_000 + _distinct_jobs(rng, row_cand, np.arange(r) - first_row[row_cand], max(500, len(cand) // 8)),
        "recommended": rec_day,
        "doc_passed": np.where(doc, doc_day, -1),
        "interview": np.where(doc, interview_day, -1),
        "final": np.where(passed, final_day, -1),
        "offer": np.where(offer, offer_day, -1),
        "accepted": at_rows(accept_day, accept),
        "joined": at_rows(join_day, join),
        "declined": at_rows(decline_day, accept & ~join),
    })
    # Censor at as_of: the export only knows what happened before it.
    last_day = int(np.floor(as_of / MINUTES_PER_DAY)) - 1
    frame = frame[frame["recommended"] <= last_day].reset_index(drop=True)
    stages = ["doc_passed", "interview", "final", "offer", "accepted", "joined", "declined"]
    for col in stages:
        frame.loc[frame[col] > last_day, col] = -1
    return frame


def _distinct_jobs(rng, owner: np.ndarray, rank: np.ndarray, pool: int) -> np.ndarray:
    """A job number in [0, pool) per row, never the same job twice for one candidate: each
    candidate's k-th job is a fixed prime stride away from their first."""
    stride = 7919
    if pool % stride == 0:
        pool += 1
    first = rng.integers(0, pool, owner.max() + 1 if len(owner) else 0)
    return (first[owner] + rank * stride) % pool


# --- the whole world ------------------------------------------------------------------------------

def simulate(registrations: int, seed: int, params: Params) -> World:
    if registrations < 1:
        raise ValueError("registrations must be at least 1")
    streams = dict(zip(STREAMS, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(STREAMS)))))
    p = params
    days = 7 * p.weeks
    clock = Clock(p.start, days)
    as_of = float(days * MINUTES_PER_DAY)
    v2_week = int(round(p.weeks * p.form_v2_share_of_span))
    v2_from = float(v2_week * MINUTES_PER_WEEK)

    staff = draw_staff(streams["staff"], p)
    t_reg = registration_times(streams["population"], p, registrations, v2_week)
    cand, filled = population(streams["population"], p, t_reg, v2_from)
    calls, handling = calls_and_meetings(streams["calls"], streams["meetings"], p, clock, as_of, cand, staff,
                                         streams["routing"])
    cand = pd.concat([cand, handling], axis=1)
    pipe = pipeline(streams["pipeline"], p, clock, as_of, cand, staff)
    return World(params=p, seed=seed, clock=clock, as_of=as_of, form_v2_from=v2_from, staff=staff,
                 candidates=cand, filled=filled, pipeline=pipe, calls=calls,
                 cell_probability=cell_probabilities(p, staff), export_rng=streams["export"])

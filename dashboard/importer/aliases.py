"""The vocabulary of CRM exports: header aliases (Japanese and English) for every canonical column,
stage, attribute and personal-data column, and the value aliases for roles and stage names.

Headers are compared after ``norm_header`` (NFKC, lower case, no spaces, underscores or hyphens), so
``Created Date``, ``created_date`` and ``ＣｒｅａｔｅｄＤａｔｅ`` are one alias.
"""

from __future__ import annotations

import re
import unicodedata

KINDS = ("staff", "candidates", "events", "activities")
STAGES = (
    "first_contact",
    "meeting_booked",
    "meeting_held",
    "recommended",
    "interview",
    "offer",
    "placed",
)

_HEADER_NOISE = re.compile(r"[\s_\-・]+")


def norm_header(header: str) -> str:
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", str(header)).strip().lower())


# Canonical columns per kind: canonical name -> aliases (the first is the "house" header).
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "candidates": {
        "candidate_id": (
            "求職者ID", "候補者ID", "Candidate ID", "candidate_id", "求職者番号", "候補者番号",
            "会員ID", "会員番号", "登録者ID", "Applicant ID", "Person ID", "Contact ID",
        ),
        "registered_at": (
            "登録日時", "登録日", "応募日", "応募日時", "登録年月日", "会員登録日", "エントリー日",
            "registered_at", "Created Date", "Created At", "Registration Date", "Registered At",
            "Date Created", "Created",
        ),
        "channel": (
            "流入経路", "媒体", "応募経路", "登録経路", "流入元", "応募媒体", "Source", "Channel",
            "Lead Source", "channel",
        ),
        "form_version": (
            "フォーム版", "フォームバージョン", "登録フォーム", "フォーム", "form_version",
            "Form Version", "Form",
        ),
    },
    "events": {
        "candidate_id": (),  # filled from candidates below
        "stage": (
            "ステータス", "選考ステータス", "進捗", "進捗ステータス", "フェーズ", "ステージ", "選考状況",
            "stage", "Status", "Event", "Phase",
        ),
        "occurred_at": (
            "日時", "発生日時", "実施日時", "更新日時", "ステータス変更日時", "変更日時", "日付",
            "occurred_at", "Date", "Timestamp", "Event Date", "Changed At",
        ),
        "staff_id": (
            "担当者", "担当", "担当CA", "担当アドバイザー", "実施者", "対応者", "staff_id", "Owner",
            "Staff", "Advisor", "Consultant",
        ),
        "scheduled_for": ("予定日時", "面談予定日時", "scheduled_for", "Scheduled For", "Scheduled At"),
    },
    "activities": {
        "candidate_id": (),
        "started_at": (
            "架電日時", "架電日", "接触日時", "活動日時", "対応日時", "発信日時", "通話日時", "日時",
            "started_at", "Call Date", "Activity Date", "Date", "Started At",
        ),
        "staff_id": (
            "架電担当", "架電者", "架電担当者", "発信者", "対応者", "担当者", "担当", "staff_id",
            "Caller", "Owner", "Assigned To", "Staff",
        ),
        "kind": ("結果", "架電結果", "種別", "活動種別", "対応結果", "kind", "Result", "Outcome", "Type"),
        "minutes": (
            "通話時間(分)", "通話時間", "所要時間(分)", "所要時間", "通話分数", "minutes",
            "Duration", "Duration (min)", "Minutes",
        ),
    },
    "staff": {
        "staff_id": ("担当者ID", "社員ID", "社員番号", "スタッフID", "staff_id", "Staff ID", "Employee ID", "User ID"),
        "name": ("担当者名", "担当者", "名前", "氏名", "スタッフ名", "社員名", "name", "Name", "Staff Name", "Full Name"),
        "role": ("役割", "ロール", "区分", "担当区分", "職種", "role", "Role", "Position"),
        "team": ("チーム", "所属", "所属チーム", "部署", "拠点", "team", "Team", "Department"),
        "started_on": ("着任日", "配属日", "入社日", "開始日", "started_on", "Start Date", "Started On"),
    },
}
for _kind in ("events", "activities"):
    COLUMNS[_kind]["candidate_id"] = COLUMNS["candidates"]["candidate_id"]

REQUIRED = {
    "candidates": ("candidate_id", "registered_at"),
    "events": ("candidate_id",),  # plus stage+occurred_at (long) or [stages] (wide)
    "activities": ("candidate_id", "started_at"),
    "staff": ("name",),
}

# Wide exports: the timestamp column of each stage, and who did it.
STAGE_AT: dict[str, tuple[str, ...]] = {
    "first_contact": (
        "初回接触日時", "初回接触日", "初回架電日時", "初回架電日", "初回対応日時", "初回対応日",
        "初回通電日時", "初回通電日", "first_contact_at", "First Contact", "First Contact Date",
        "First Contacted At",
    ),
    "meeting_booked": (
        "面談設定日時", "面談設定日", "面談予約日時", "面談予約日", "面談確定日", "meeting_booked_at",
        "Meeting Booked", "Meeting Booked Date", "Meeting Booked At",
    ),
    "meeting_held": (
        "面談実施日時", "面談実施日", "面談日時", "面談日", "初回面談日", "初回面談日時",
        "meeting_held_at", "Meeting Date", "Meeting Held", "Meeting Held Date", "Meeting Held At",
    ),
    "recommended": (
        "推薦日", "推薦日時", "初回推薦日", "書類推薦日", "recommended_at", "Recommended Date",
        "Submission Date", "Submitted Date",
    ),
    "interview": (
        "一次面接日", "一次面接日時", "面接日", "面接日時", "初回面接日", "interview_at",
        "Interview Date", "First Interview Date",
    ),
    "offer": ("内定日", "内定日時", "offer_at", "Offer Date", "Offered At"),
    "placed": ("入社日", "成約日", "入社確定日", "placed_at", "Placement Date", "Hire Date", "Start Date", "Placed At"),
}
STAGE_STAFF: dict[str, tuple[str, ...]] = {
    "first_contact": (
        "初回対応者", "初回接触者", "初回架電者", "登録対応者", "登録対応担当", "初回対応担当",
        "first_contact_by", "First Contact By", "First Contact Owner",
    ),
    "meeting_booked": ("面談設定者", "面談設定担当", "booked_by", "Booked By", "Meeting Booked By"),
}
# Who holds meetings and carries the candidate afterwards: staff of meeting_held and later stages
# (and of meeting_booked when the export has no separate booker).
ADVISOR = (
    "担当CA", "担当アドバイザー", "担当キャリアアドバイザー", "キャリアアドバイザー", "面談担当",
    "面談担当者", "担当コンサルタント", "担当者", "CA", "advisor", "Owner", "Advisor", "Consultant",
    "Candidate Owner", "Recruiter",
)
SCHEDULED_FOR = ("面談予定日時", "面談予定日", "面談日程", "scheduled_for", "Meeting Scheduled For", "Scheduled For")

# Known attribute headers -> sanitised English names (others get a sanitised version of their header).
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "age": ("年齢", "age", "Age"),
    "prefecture": ("居住都道府県", "都道府県", "居住地", "現住所(都道府県)", "prefecture", "Prefecture"),
    "job_category": ("経験職種", "職種", "現職種", "直近職種", "job_category", "Job Category", "Job Function"),
    "industry": ("経験業種", "業種", "現業種", "industry", "Industry"),
    "years_experience": ("経験年数", "実務経験年数", "years_experience", "Years of Experience"),
    "current_income": ("現年収(万円)", "現年収", "現在の年収", "年収", "current_income", "Current Salary"),
    "desired_income": ("希望年収(万円)", "希望年収", "desired_income", "Desired Salary"),
    "job_changes": ("転職回数", "経験社数", "job_changes", "Job Changes"),
    "english_level": ("英語力", "英語レベル", "語学力", "english_level", "English Level", "English"),
    "employment_status": ("就業状況", "就業状態", "在職状況", "employment_status", "Employment Status"),
    "desired_timing": ("転職希望時期", "希望時期", "転職時期", "desired_timing", "Desired Timing"),
    "desired_location": ("希望勤務地", "勤務希望地", "desired_location", "Desired Location"),
    "desired_job": ("希望職種", "desired_job", "Desired Job"),
    "education": ("最終学歴", "学歴", "education", "Education"),
    "qualifications": ("保有資格", "資格", "qualifications", "Qualifications"),
    "has_resume": ("職務経歴書", "職務経歴書有無", "レジュメ", "has_resume", "Resume"),
    "gender": ("性別", "gender", "Gender"),
    "job_id": ("求人ID", "求人番号", "job_id", "Job ID"),
}

# Personal data of job seekers, by header: exact matches (short, ambiguous words) and substrings.
PII_EXACT = {
    norm_header(h)
    for h in (
        "名前", "姓", "名", "姓名", "セイ", "メイ", "カナ", "かな", "name", "first name", "last name",
        "full name", "candidate name", "kana", "tel", "phone", "mobile", "mail", "email", "e-mail",
        "address", "birthday", "date of birth", "dob", "zip", "postal code", "line id",
    )
}
PII_SUBSTRINGS = tuple(
    norm_header(h)
    for h in (
        "氏名", "フリガナ", "ふりがな", "カナ", "電話", "携帯", "tel", "メール", "mail", "住所",
        "番地", "郵便番号", "生年月日", "誕生日", "address", "phone", "birth", "連絡先",
    )
)

# Free text typed by the job seeker or the advisor: it often holds names and phone numbers, so a
# proposed profile drops it (the user can keep it by editing the profile).
FREE_TEXT = tuple(
    norm_header(h)
    for h in ("自由記述", "備考", "メモ", "コメント", "自己PR", "特記事項", "notes", "note", "comments", "memo", "remarks")
)

ROLE_VALUES = {
    norm_header(k): v
    for k, v in {
        "登録対応": "handler", "登録対応者": "handler", "登録者対応": "handler", "IS": "handler",
        "インサイドセールス": "handler", "アシスタント": "handler", "handler": "handler",
        "CA": "advisor", "キャリアアドバイザー": "advisor", "アドバイザー": "advisor",
        "コンサルタント": "advisor", "面談担当": "advisor", "advisor": "advisor",
        "兼任": "both", "両方": "both", "both": "both",
    }.items()
}

# Status values of event logs that name a canonical stage without doubt ("4. 面談済み" is matched
# after its numbering is stripped). Anything else is reported as unmapped, never guessed.
STAGE_NAMES = {
    norm_header(k): v
    for k, v in {
        "初回接触": "first_contact", "初回接触済み": "first_contact", "通電": "first_contact",
        "初回通電": "first_contact", "first_contact": "first_contact", "First Contact": "first_contact",
        "Contacted": "first_contact",
        "面談設定": "meeting_booked", "面談設定済み": "meeting_booked", "面談予約": "meeting_booked",
        "面談確定": "meeting_booked", "meeting_booked": "meeting_booked", "Meeting Booked": "meeting_booked",
        "面談実施": "meeting_held", "面談済み": "meeting_held", "面談済": "meeting_held",
        "面談完了": "meeting_held", "meeting_held": "meeting_held", "Meeting Held": "meeting_held",
        "推薦": "recommended", "推薦済み": "recommended", "書類推薦": "recommended",
        "recommended": "recommended", "Submitted": "recommended",
        "面接": "interview", "一次面接": "interview", "面接設定": "interview", "interview": "interview",
        "Interview": "interview",
        "内定": "offer", "内定済み": "offer", "offer": "offer", "Offer": "offer",
        "入社": "placed", "入社済み": "placed", "成約": "placed", "入社決定": "placed",
        "placed": "placed", "Placed": "placed", "Hired": "placed",
    }.items()
}
_NUMBERING = re.compile(r"^\s*[0-9０-９]+\s*[.．:：)）、]\s*")


def norm_status(value: str) -> str:
    """A status value as compared with ``STAGE_NAMES``: numbering such as ``4. `` removed."""
    return norm_header(_NUMBERING.sub("", str(value)))


def lookup(table: dict[str, tuple[str, ...]], header: str) -> str | None:
    """The key of ``table`` whose aliases contain ``header`` (normalised), if any."""
    key = norm_header(header)
    for name, aliases in table.items():
        if any(norm_header(a) == key for a in aliases):
            return name
    return None


def is_pii_header(header: str) -> bool:
    key = norm_header(header)
    return key in PII_EXACT or any(s in key for s in PII_SUBSTRINGS)

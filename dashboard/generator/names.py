"""Fake but realistic personal data (氏名, フリガナ, 電話番号, メールアドレス, 住所) for the PII columns.

Every value is made from these tables, all encodable in CP932 (髙 and 﨑 are there on purpose:
they exist in CP932's extensions but not in plain Shift_JIS). The e-mail domains are reserved
example domains, so no generated address can belong to anyone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard.generator.text import Text

SURNAMES = (
    ("佐藤", "サトウ", "sato"), ("鈴木", "スズキ", "suzuki"), ("高橋", "タカハシ", "takahashi"),
    ("田中", "タナカ", "tanaka"), ("伊藤", "イトウ", "ito"), ("渡辺", "ワタナベ", "watanabe"),
    ("山本", "ヤマモト", "yamamoto"), ("中村", "ナカムラ", "nakamura"), ("小林", "コバヤシ", "kobayashi"),
    ("加藤", "カトウ", "kato"), ("吉田", "ヨシダ", "yoshida"), ("山田", "ヤマダ", "yamada"),
    ("佐々木", "ササキ", "sasaki"), ("山口", "ヤマグチ", "yamaguchi"), ("松本", "マツモト", "matsumoto"),
    ("井上", "イノウエ", "inoue"), ("木村", "キムラ", "kimura"), ("林", "ハヤシ", "hayashi"),
    ("斎藤", "サイトウ", "saito"), ("清水", "シミズ", "shimizu"), ("山﨑", "ヤマザキ", "yamazaki"),
    ("森", "モリ", "mori"), ("池田", "イケダ", "ikeda"), ("橋本", "ハシモト", "hashimoto"),
    ("阿部", "アベ", "abe"), ("石川", "イシカワ", "ishikawa"), ("山下", "ヤマシタ", "yamashita"),
    ("中島", "ナカジマ", "nakajima"), ("石井", "イシイ", "ishii"), ("小川", "オガワ", "ogawa"),
    ("前田", "マエダ", "maeda"), ("岡田", "オカダ", "okada"), ("長谷川", "ハセガワ", "hasegawa"),
    ("藤田", "フジタ", "fujita"), ("後藤", "ゴトウ", "goto"), ("近藤", "コンドウ", "kondo"),
    ("村上", "ムラカミ", "murakami"), ("遠藤", "エンドウ", "endo"), ("青木", "アオキ", "aoki"),
    ("髙橋", "タカハシ", "takahashi"),
)
GIVEN_NAMES = (
    ("翔太", "ショウタ", "shota"), ("大輔", "ダイスケ", "daisuke"), ("健太", "ケンタ", "kenta"),
    ("拓也", "タクヤ", "takuya"), ("直樹", "ナオキ", "naoki"), ("亮", "リョウ", "ryo"),
    ("大樹", "ダイキ", "daiki"), ("悠斗", "ユウト", "yuto"), ("蓮", "レン", "ren"),
    ("陽翔", "ハルト", "haruto"), ("誠", "マコト", "makoto"), ("浩二", "コウジ", "koji"),
    ("隆", "タカシ", "takashi"), ("美咲", "ミサキ", "misaki"), ("陽子", "ヨウコ", "yoko"),
    ("愛", "アイ", "ai"), ("彩", "アヤ", "aya"), ("真由美", "マユミ", "mayumi"),
    ("恵", "メグミ", "megumi"), ("奈々", "ナナ", "nana"), ("結衣", "ユイ", "yui"),
    ("さくら", "サクラ", "sakura"), ("優子", "ユウコ", "yuko"), ("智子", "トモコ", "tomoko"),
    ("麻衣", "マイ", "mai"), ("千尋", "チヒロ", "chihiro"), ("葵", "アオイ", "aoi"),
    ("由美", "ユミ", "yumi"), ("康平", "コウヘイ", "kohei"), ("和也", "カズヤ", "kazuya"),
)
CITIES = {
    "東京都": ("世田谷区", "練馬区", "大田区", "江戸川区", "杉並区", "板橋区", "新宿区", "八王子市"),
    "神奈川県": ("横浜市港北区", "川崎市中原区", "相模原市中央区", "藤沢市"),
    "埼玉県": ("さいたま市浦和区", "川口市", "所沢市", "越谷市"),
    "千葉県": ("千葉市美浜区", "船橋市", "松戸市", "柏市"),
    "大阪府": ("大阪市北区", "大阪市淀川区", "堺市堺区", "豊中市", "吹田市"),
    "兵庫県": ("神戸市中央区", "西宮市", "尼崎市", "姫路市"),
    "京都府": ("京都市中京区", "京都市左京区", "宇治市"),
    "奈良県": ("奈良市", "橿原市"),
    "愛知県": ("名古屋市中区", "名古屋市千種区", "豊田市", "岡崎市", "一宮市"),
    "静岡県": ("静岡市葵区", "浜松市中央区", "沼津市"),
    "岐阜県": ("岐阜市", "大垣市"),
    "三重県": ("津市", "四日市市"),
    "北海道": ("札幌市中央区", "札幌市北区", "旭川市"),
    "宮城県": ("仙台市青葉区", "石巻市"),
    "広島県": ("広島市中区", "福山市"),
    "福岡県": ("福岡市博多区", "福岡市中央区", "北九州市小倉北区"),
    "新潟県": ("新潟市中央区", "長岡市"),
    "岡山県": ("岡山市北区", "倉敷市"),
    "熊本県": ("熊本市中央区",),
    "沖縄県": ("那覇市", "浦添市"),
}
EMAIL_DOMAINS = ("example.com", "example.jp", "example.ne.jp", "example.co.jp", "example.org")
FULL_WIDTH_SPACE = "\u3000"
JUNK_PHONES = ("000-0000-0000", "0000", "090-123-456", "1234567")


def people(rng: np.random.Generator, text: Text, prefecture: pd.Categorical, junk_phone: np.ndarray,
           full_width_phone_share: float) -> dict[str, pa.Array]:
    """The PII columns for one registrant per row, encoded for the candidates file."""
    n = len(junk_phone)
    s = rng.integers(0, len(SURNAMES), n)
    g = rng.integers(0, len(GIVEN_NAMES), n)
    sur_kanji, sur_kana, sur_roma = zip(*SURNAMES)
    giv_kanji, giv_kana, giv_roma = zip(*GIVEN_NAMES)
    name = text.join(text.pick(sur_kanji, s), text.pick(giv_kanji, g), sep=FULL_WIDTH_SPACE)
    kana = text.join(text.pick(sur_kana, s), text.pick(giv_kana, g), sep=FULL_WIDTH_SPACE)

    # 090-1234-5678, 09012345678, or 9012345678 when Excel read the number as a number.
    carrier = rng.choice(3, n, p=[0.55, 0.35, 0.10])
    style = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    prefix = text.pick(("090", "080", "070", "90", "80", "70"), carrier + 3 * (style == 2))
    blocks = [f"{i:04d}" for i in range(10_000)]
    a, b = text.pick(blocks, rng.integers(0, 10_000, n)), text.pick(blocks, rng.integers(0, 10_000, n))
    phone = text.where(style == 0, text.join(prefix, a, b, sep="-"), text.join(prefix, a, b))
    phone = text.where(junk_phone, text.pick(JUNK_PHONES, rng.integers(0, len(JUNK_PHONES), n)), phone)
    phone = text.full_width(phone, np.flatnonzero(rng.random(n) < full_width_phone_share))

    number = np.where(rng.random(n) < 0.5, 0, rng.integers(1, 100, n))
    email = text.join(
        text.pick(giv_roma, g), text.pick((".", "_", ""), rng.integers(0, 3, n)), text.pick(sur_roma, s),
        text.pick([""] + [str(i) for i in range(1, 100)], number), text.literal("@"),
        text.pick(EMAIL_DOMAINS, rng.integers(0, len(EMAIL_DOMAINS), n)),
    )

    # 住所: prefecture + a city of that prefecture + 丁目-番-号.
    places, first, count = [], {}, {}
    for pref, cities in CITIES.items():
        first[pref], count[pref] = len(places), len(cities)
        places += [pref + city for city in cities]
    categories = list(prefecture.categories)
    firsts = np.array([first[c] for c in categories])[prefecture.codes]
    counts = np.array([count[c] for c in categories])[prefecture.codes]
    place = firsts + (rng.random(n) * counts).astype(int)
    small = [str(i) for i in range(40)]
    address = text.join(
        text.pick(places, place), text.pick(small, rng.integers(1, 6, n)), text.literal("丁目"),
        text.pick(small, rng.integers(1, 30, n)), text.literal("-"), text.pick(small, rng.integers(1, 20, n)),
    )
    address = text.blank(rng.random(n) < 0.25, address)
    return {"氏名": name, "フリガナ": kana, "電話番号": phone, "メールアドレス": email, "住所": address}

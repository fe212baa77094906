"""Free text → ranked procedures, tolerant of missing diacritics, slang, typos and chatty filler.

Design (docs/knowledge.md has the long version):
- Every procedure becomes a bag of accent-folded syllables and syllable bigrams from its name, official name,
  aliases and keywords, each field with its own weight; scores are BM25 with per-field weights (BM25F-like),
  precomputed per term at build time so a query is a handful of dictionary lookups.
- Query syllables missing from the vocabulary are mapped to near misses with rapidfuzz (typos), or split when two
  syllables were typed together ("khaisinh").
- A whole alias or name found in the query adds a phrase bonus (longer phrase, bigger bonus): "sổ đỏ" means the land
  certificate even though "sổ" and "đỏ" are common words. The best BM25 candidates are then re-ranked by how
  completely the query covers one of their names or aliases.
- Imported catalogue entries rank below curated ones at equal evidence: curated entries are reviewed; imported entries
  the commune does not handle (no "Cấp xã" in their level) rank lower still.
- Variant procedures (knowledge/variants.py): a candidate whose name is a variant the question asks for ("sửa",
  "cấp lại", "tạm ngừng", "người nước ngoài"…) is rewarded, one the question does not ask for is penalised, so
  "khai sinh ghi sai muốn sửa" finds the correction procedure and "làm khai sinh" stays with the base one.
The index is built once per process and engine, and rebuilt when the data changes (loader/importer call `invalidate`,
other processes notice a changed fingerprint within `knowledge_refresh_s`).
"""
from __future__ import annotations

import heapq
import math
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from operator import itemgetter
from typing import Iterable, Optional

from knowledge.text import fold, letters_without_tone, normalize_syllable, search_key, search_tokens, typed_letters
from knowledge.variants import marker_words, name_variants, query_variants, variant_factor

# Field weights: how much one occurrence of a term counts in each field.
FIELD_WEIGHTS = {"name": 3.0, "alias": 2.5, "official": 1.0, "keyword": 1.2}
K1 = 1.2
B = 0.35
BIGRAM_WEIGHT = 0.8  # bigrams keep word order ("khai sinh" vs "sinh ... khai") without drowning unigrams
PHRASE_BONUS = 1.6  # per token of the longest alias/name found whole in the query
COVERAGE_BONUS = 3.0  # × idf mass of the best-covered name/alias the query mentions × (its covered share)^power
COVERAGE_POWER = 2.0
SHARE_POWER = 2.0  # coverage weighs each word of a name by idf**SHARE_POWER
RERANK_DEPTH = 40  # BM25 candidates re-ranked with phrase and coverage evidence
IMPORTED_FACTOR = 0.8  # curated entries are reviewed: prefer them at equal evidence
OTHER_LEVEL_FACTOR = 0.5  # × IMPORTED_FACTOR for imported entries the commune does not handle (ministry, province)
INHERITED_SHARE_DIVISOR = 1.0  # > 1 would make a name reached through the base count less than the variant's own
INHERIT_MAX_EXTRA_WORDS = 8  # a variant's name is its base's name and at most this many words
FUZZY_CUTOFF = 80.0
FUZZY_MIN_LENGTH = 3

# Chat filler that says nothing about the procedure (folded, longest first when removed).
FILLER_PHRASES = (
    "cho minh hoi", "cho em hoi", "cho toi hoi", "cho chau hoi", "cho hoi", "xin hoi", "xin chao", "chao ad",
    "ad oi", "admin oi", "shop oi", "anh oi", "chi oi", "em oi", "ban oi",
    "lam sao", "lam the nao", "nhu the nao", "the nao", "ra sao", "can gi", "can nhung gi", "nhung gi",
    "giay to gi", "can giay to", "ho so gom", "o dau", "bao lau", "mat bao lau", "bao nhieu tien", "bao nhieu",
    "het bao nhieu", "thu tuc", "muon", "duoc khong", "co duoc khong", "nhe", "a", "oi", "voi", "vay",
    "minh", "em", "chau", "ad", "admin", "giup", "giup em", "giup minh",
)
# Common abbreviations and chat spellings (folded) → their folded expansion.
ABBREVIATIONS = {
    "dk": "dang ki", "dky": "dang ki", "dki": "dang ki",
    # initials of the most asked procedures, as typed in chat
    "dkkh": "dang ki ket hon", "dkks": "dang ki khai sinh", "dkkt": "dang ki khai tu", "gpkd": "giay phep kinh doanh",
    "tthn": "tinh trang hon nhan", "xntthn": "xac nhan tinh trang hon nhan", "gcnkh": "giay chung nhan ket hon",
    "gks": "giay khai sinh", "cccd": "can cuoc cong dan", "cmnd": "chung minh nhan dan", "cmt": "chung minh thu",
    "gpxd": "giay phep xay dung", "gcn": "giay chung nhan", "qsdd": "quyen su dung dat", "gcnqsdd":
    "giay chung nhan quyen su dung dat", "hkd": "ho kinh doanh", "bhyt": "bao hiem y te", "bhxh": "bao hiem xa hoi",
    "ubnd": "uy ban nhan dan", "ko": "khong", "k": "khong", "kh": "khong", "j": "gi", "ntn": "nhu the nao",
    "dc": "duoc", "mk": "minh", "mik": "minh", "e": "em", "tks": "", "thanks": "", "pls": "",
}


@dataclass(frozen=True)
class Candidate:
    """One ranked result; `score` is in [0, 1] and comparable within one query. `coverage` is the share (by idf) of
    the candidate's best-covered name or alias that the query contains: 1.0 when the query names it whole, whatever
    else the query says, so it stays meaningful for long questions where `score` is diluted."""

    code: str
    name: str
    score: float
    status: str
    coverage: float = 0.0
    level: str = ""  # "Cấp xã", "Cấp tỉnh, Cấp xã", … as stored
    matched: frozenset = frozenset()  # the query's (folded) words this candidate's texts contain
    named: float = 0.0  # how much of that best-covered name the query says: the idf of the name's words it contains,
    # in units of the rarest word's idf, so it means the same with or without the national catalogue imported


@dataclass(frozen=True)
class IndexDocument:
    """What the index needs to know about one procedure."""

    code: str
    name: str
    status: str
    official_name: str = ""
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    level: str = ""

    @property
    def commune_level(self) -> bool:
        return not self.level or "cap xa" in fold(self.level)


_PARENTHESIS = re.compile(r"\(([^()]*)\)")
_WORDS = re.compile(r"\w+", re.UNICODE)


def split_name(name: str) -> tuple[str, tuple[str, ...]]:
    """A name without its parenthetical remarks, and the remarks: "Khai báo thông tin về cư trú (người chưa đủ điều
    kiện đăng ký thường trú, tạm trú)" is named by its first part; the remark only says when it applies, so it counts
    like a keyword, not like the name."""
    remarks = tuple(r.strip() for r in _PARENTHESIS.findall(name) if r.strip())
    main = " ".join(_PARENTHESIS.sub(" ", name).split())
    return (main or name), remarks


def _terms(tokens: list[str]) -> list[str]:
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


class SearchIndex:
    """An immutable in-memory index; build it with `SearchIndex(documents)`."""

    def __init__(self, documents: Iterable[IndexDocument]):
        self.documents: list[IndexDocument] = list(documents)
        weighted_tf: list[dict[str, float]] = []
        lengths: list[float] = []
        document_frequency: dict[str, int] = {}
        # first syllable → (" phrase ", doc index, token count): only phrases that can occur in a query are checked
        self._phrases: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        for index, doc in enumerate(self.documents):
            # Per field kind, a term counts by its best alias/keyword, not once per alias: an entry with ten phrasings
            # of "giám hộ" should not outrank one that says it once.
            tf: dict[str, float] = defaultdict(float)
            main_name, remarks = split_name(doc.name)
            for field_name, texts in (
                ("name", (main_name,)),
                ("official", (doc.official_name,)),
                ("alias", doc.aliases),
                ("keyword", doc.keywords + remarks),
            ):
                best: dict[str, float] = {}
                for text in texts:
                    tokens = search_tokens(text)
                    if not tokens:
                        continue
                    counts: dict[str, float] = {}
                    for term in tokens:
                        counts[term] = counts.get(term, 0.0) + 1.0
                    for a, b in zip(tokens, tokens[1:]):
                        bigram = a + " " + b
                        counts[bigram] = counts.get(bigram, 0.0) + BIGRAM_WEIGHT
                    if not best:
                        best = counts
                    else:
                        for term, value in counts.items():
                            if value > best.get(term, 0.0):
                                best[term] = value
                    if field_name in ("name", "alias"):
                        self._phrases[tokens[0]].append((f" {' '.join(tokens)} ", index, len(tokens)))
                weight = FIELD_WEIGHTS[field_name]
                for term, value in best.items():
                    tf[term] += weight * value
            # a catalogue name often lists several procedures ("Đăng ký thành lập hợp tác xã…; đăng ký chuyển đổi
            # tổ hợp tác…; …"): each part is a name of its own for phrase and coverage evidence, or a question that
            # names one part whole would cover only a sliver of the whole list
            parts = [part for part in main_name.split(";") if part.strip()]
            for part in parts if len(parts) > 1 else ():
                tokens = search_tokens(part)
                if len(tokens) >= 2:
                    self._phrases[tokens[0]].append((f" {' '.join(tokens)} ", index, len(tokens)))
            for term in tf:
                document_frequency[term] = document_frequency.get(term, 0) + 1
            weighted_tf.append(tf)
            lengths.append(sum(tf.values()))
        count = max(len(self.documents), 1)
        average = (sum(lengths) / count) if lengths else 1.0
        self._idf = {
            term: math.log(1 + (count - df + 0.5) / (df + 0.5)) for term, df in document_frequency.items()
        }
        self._rarest_idf = max(self._idf.values(), default=1.0) or 1.0
        postings: dict[str, dict[int, float]] = {term: {} for term in document_frequency}
        idf = self._idf
        self._status_factor = [self._document_factor(doc) for doc in self.documents]
        self._letters = [self._document_letters(doc) for doc in self.documents]
        self._variants = [name_variants(doc.name) for doc in self.documents]
        for index, tf in enumerate(weighted_tf):
            norm = K1 * (1 - B + B * lengths[index] / average)
            scale = self._status_factor[index] * (K1 + 1)
            for term, value in tf.items():
                postings[term][index] = scale * idf[term] * value / (value + norm)
        self._postings = postings
        self._phrases = dict(self._phrases)
        # per document: (distinct syllables, their idf sum) for the name and each alias, for coverage re-ranking
        # (distinct syllables, their idf sum, the phrase's word pairs) per name and alias
        self._phrase_terms: list[list[tuple[frozenset, float, frozenset]]] = [[] for _ in self.documents]
        for phrases in self._phrases.values():
            for phrase, index, _length in phrases:
                words = phrase.split()
                terms = frozenset(words)
                total = sum(self._idf.get(t, 0.0) ** SHARE_POWER for t in terms)
                if total > 0:
                    pairs = frozenset(f"{a} {b}" for a, b in zip(words, words[1:]))
                    self._phrase_terms[index].append((terms, total, pairs))
        self._inherited = self._inherit_base_phrases()
        self._common_cutoff = max(50, len(self.documents) // 20)
        self._vocabulary = sorted(t for t in self._idf if " " not in t)
        self._vocabulary_set = set(self._vocabulary)

    def _inherit_base_phrases(self) -> list[list[tuple[frozenset, float, frozenset]]]:
        """Per variant procedure, the names and aliases of its curated base procedure: citizens name the base in
        their own words ("cưới" for kết hôn) and say the variant with other words ("chồng người Đài Loan"), so the
        variant is covered as well as its base once the question asks for exactly what makes it a variant. The
        base is the longest-named curated procedure without variant kinds whose name's words occur in order in the
        variant's name."""
        names = [search_tokens(split_name(doc.name)[0].split(";")[0]) for doc in self.documents]
        bases = [index for index, doc in enumerate(self.documents)
                 if doc.status == "curated" and not self._variants[index] and len(names[index]) >= 2]
        inherited: list[list[tuple[frozenset, float, frozenset]]] = [[] for _ in self.documents]
        for index, kinds in enumerate(self._variants):
            if not kinds:
                continue
            matching = [base for base in bases if 0 < len(names[index]) - len(names[base]) <= INHERIT_MAX_EXTRA_WORDS
                        and _in_order(names[base], names[index])]
            # the most specific base: "chấm dứt giám sát việc giám hộ" varies "giám sát việc giám hộ", not "giám hộ"
            longest = max((len(names[base]) for base in matching), default=0)
            for base in (base for base in matching if len(names[base]) == longest):
                # the base's phrase plus the marker words that make the variant ("yếu tố nước ngoài"), which count
                # as said when the question asks for the variant (marker_words)
                marker_terms = marker_words(kinds)[0]
                own = [t for t in names[index] if t not in names[base] and t in marker_terms]
                own_pairs = frozenset(f"{a} {b}" for a, b in zip(own, own[1:]))
                for terms, _total, pairs in self._phrase_terms[base]:
                    combined = terms | frozenset(own)
                    total = sum(self._idf.get(t, 0.0) ** SHARE_POWER for t in combined)
                    if total > 0:
                        inherited[index].append((combined, total * INHERITED_SHARE_DIVISOR, pairs | own_pairs))
        return inherited

    @staticmethod
    def _document_letters(doc: IndexDocument) -> dict[str, frozenset[str]]:
        """Folded word → the toneless letters the procedure's own texts spell it with (text.letters_without_tone)."""
        letters: dict[str, set[str]] = defaultdict(set)
        for text in (doc.name, doc.official_name, *doc.aliases, *doc.keywords):
            for word in _WORDS.findall(text.lower()):
                folded = normalize_syllable(fold(word))
                if folded.isalnum():
                    letters[folded].add(letters_without_tone(word))
        return {word: frozenset(forms) for word, forms in letters.items()}

    def _agrees(self, index: int, term: str, typed: dict[str, set[str]]) -> bool:
        """False when a word the citizen typed with diacritics is, in this procedure, a different word."""
        for part in term.split(" "):
            wanted = typed.get(part)
            if wanted is not None and not (self._letters[index].get(part, frozenset()) & wanted):
                return False
        return True

    @staticmethod
    def _document_factor(doc: IndexDocument) -> float:
        if doc.status == "curated":
            return 1.0
        return IMPORTED_FACTOR * (1.0 if doc.commune_level else OTHER_LEVEL_FACTOR)

    # ------------------------------------------------------------------------------------------------ query side

    def _clean_query(self, text: str) -> list[str]:
        tokens: list[str] = []
        for token in search_tokens(text[:500]):
            expansion = ABBREVIATIONS.get(token)
            if expansion is None:
                tokens.append(token)
            elif expansion:
                tokens.extend(expansion.split())
        return tokens

    def _drop_filler(self, tokens: list[str]) -> list[str]:
        joined = f" {' '.join(tokens)} "
        for phrase in sorted(FILLER_PHRASES, key=len, reverse=True):
            candidate = joined.replace(f" {phrase} ", " ")
            while candidate != joined:
                joined = candidate
                candidate = joined.replace(f" {phrase} ", " ")
        kept = joined.split()
        return kept or tokens

    def _correct(self, tokens: list[str]) -> list[tuple[str, float]]:
        """Map out-of-vocabulary syllables to known ones; returns (term, confidence) pairs."""
        corrected: list[tuple[str, float]] = []
        for token in tokens:
            if token in self._vocabulary_set or len(token) < FUZZY_MIN_LENGTH or token.isdigit():
                corrected.append((token, 1.0))
                continue
            split = self._split_fused(token)
            if split:
                corrected.extend((part, 0.9) for part in split)
                continue
            from rapidfuzz import fuzz, process

            match = process.extractOne(token, self._vocabulary, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            if match:
                corrected.append((match[0], match[1] / 100.0 * 0.85))
            else:
                corrected.append((token, 1.0))
        return corrected

    def _split_fused(self, token: str) -> Optional[list[str]]:
        for cut in range(2, len(token) - 1):
            left, right = token[:cut], token[cut:]
            if left in self._vocabulary_set and right in self._vocabulary_set:
                return [left, right]
        return None

    def search(self, text: str, limit: int = 5) -> list[Candidate]:
        """Ranked candidates for free text; empty when nothing in the query matches any procedure."""
        if not text or not text.strip() or limit <= 0:
            return []
        tokens = self._drop_filler(self._clean_query(text))
        corrected = self._correct(tokens)
        terms = [t for t, _ in corrected]
        confidence = {t: c for t, c in corrected}
        # words typed with diacritics only match the same words ("đi" is not the "di" of "di chúc")
        typed = typed_letters(text[:500])
        weighted: list[tuple[dict[int, float], float, bool, str]] = []
        best_possible = 0.0
        seen: set[str] = set()
        for term in _terms(terms):
            if term in seen:
                continue
            seen.add(term)
            idf = self._idf.get(term)
            if idf is None:
                continue
            if " " in term:
                a, b = term.split(" ")
                weight = BIGRAM_WEIGHT * min(confidence.get(a, 1.0), confidence.get(b, 1.0))
            else:
                weight = confidence.get(term, 1.0)
            best_possible += weight * idf * (K1 + 1)
            constrained = any(part in typed for part in term.split(" "))
            weighted.append((self._postings[term], weight, constrained, term))
        if not weighted:
            return []
        # Rare terms first: they choose the candidates; very common terms ("đăng", "ký", "cấp") then only re-rank
        # those candidates instead of walking posting lists that cover half the catalogue.
        weighted.sort(key=lambda item: len(item[0]))
        scores: dict[int, float] = {}
        for postings, weight, constrained, term in weighted:
            if scores and len(postings) > self._common_cutoff and len(scores) < len(postings):
                for index in list(scores):
                    value = postings.get(index)
                    if value and (not constrained or self._agrees(index, term, typed)):
                        scores[index] += weight * value
            else:
                for index, value in postings.items():
                    if not constrained or self._agrees(index, term, typed):
                        scores[index] = scores.get(index, 0.0) + weight * value
        query_key = f" {' '.join(terms)} "
        raw_key = f" {search_key(text[:500])} "
        longest: dict[int, int] = {}
        for first in set(terms) | set(raw_key.split()):
            for phrase, index, length in self._phrases.get(first, ()):
                if length > longest.get(index, 0) and (phrase in query_key or phrase in raw_key) and (
                        not typed or self._agrees(index, phrase.strip(), typed)):
                    longest[index] = length
        for index, length in longest.items():
            scores[index] = scores.get(index, 0.0) + self._status_factor[index] * PHRASE_BONUS * length
        best_possible += PHRASE_BONUS * len(terms) + COVERAGE_BONUS * sum(self._idf.get(t, 0.0) for t in set(terms))
        # Re-rank the best BM25 candidates by how completely the query covers one of their names or aliases:
        # "đăng ký giám hộ" fully covered beats "đăng ký giám sát việc giám hộ" that shares more words.
        query_terms = set(terms) | set(raw_key.split())
        raw_words = raw_key.split()
        query_pairs = {f"{a} {b}" for a, b in zip(terms, terms[1:])} | {
            f"{a} {b}" for a, b in zip(raw_words, raw_words[1:])}
        asked = query_variants(text)
        shortlist = heapq.nlargest(max(RERANK_DEPTH, limit), scores.items(), key=itemgetter(1))
        coverage: dict[int, float] = {}
        named: dict[int, float] = {}
        for index, value in shortlist:
            evidence, best_share, best_covered = 0.0, 0.0, 0.0
            said = self._variants[index] & asked.kinds
            extra_words, extra_pairs = marker_words(said) if said else (frozenset(), frozenset())
            phrases = self._phrase_terms[index]
            if said and self._inherited[index] and self._variants[index] <= asked.kinds:
                phrases = phrases + self._inherited[index]
            for phrase_terms, total, pairs in phrases:
                present = [t for t in phrase_terms
                           if (t in query_terms and (t not in typed or self._agrees(index, t, typed)))
                           or t in extra_words]
                if not present:
                    continue
                covered = sum(self._idf.get(t, 0.0) for t in present)
                # rare words carry a name's identity: "làm hộ khẩu" is not named by "làm hộ chiếu"
                share = sum(self._idf.get(t, 0.0) ** SHARE_POWER for t in present) / total
                # the words must also come together: "bao … từ" in "bao giờ … từ sáng" does not name "báo tử"
                together = (len(pairs & (query_pairs | extra_pairs)) + 1) / (len(pairs) + 1)
                ratio = share * together
                strength = covered * ratio ** COVERAGE_POWER
                if strength > evidence:
                    evidence, best_share, best_covered = strength, ratio, covered
            coverage[index] = best_share
            named[index] = best_covered / self._rarest_idf
            scores[index] = value + self._status_factor[index] * COVERAGE_BONUS * evidence
        offered = frozenset().union(*(self._variants[index] for index, _ in shortlist)) if asked.kinds else frozenset()
        for index, _ in shortlist:
            scores[index] *= variant_factor(self._variants[index], asked, offered)
        top = heapq.nlargest(limit + 8, ((i, scores[i]) for i, _ in shortlist), key=itemgetter(1))
        ranked = sorted(top, key=lambda item: (-item[1], self.documents[item[0]].code))[:limit]
        unigrams = [t for t in dict.fromkeys(terms) if t in self._postings]
        return [
            Candidate(
                code=self.documents[index].code,
                name=self.documents[index].name,
                score=round(min(1.0, value / best_possible), 4) if best_possible else 0.0,
                status=self.documents[index].status,
                coverage=round(coverage.get(index, 0.0), 4),
                named=round(named.get(index, 0.0), 4),
                level=self.documents[index].level,
                matched=frozenset(t for t in unigrams if index in self._postings[t]
                                  and (t not in typed or self._agrees(index, t, typed))),
            )
            for index, value in ranked
        ]


def _in_order(short: list[str], long: list[str]) -> bool:
    """Whether the words of `short` occur in `long` in the same order (not necessarily adjacent)."""
    remaining = iter(long)
    return all(word in remaining for word in short)


# ------------------------------------------------------------------------------------------ per-process cache

_cache: dict[str, tuple[SearchIndex, tuple, float]] = {}
_cache_lock = threading.Lock()


def _engine_key(engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _fingerprint(engine) -> tuple:
    from sqlalchemy import func, select

    from knowledge.tables import aliases, procedures

    with engine.connect() as connection:
        count, latest = connection.execute(
            select(func.count(procedures.c.id), func.max(procedures.c.updated_at))
        ).one()
        alias_count = connection.execute(select(func.count(aliases.c.id))).scalar_one()
    return (count, str(latest), alias_count)


def load_documents(engine) -> list[IndexDocument]:
    """Everything the index needs, read with two plain queries (no ORM objects)."""
    from sqlalchemy import select

    from knowledge.tables import aliases, procedures

    with engine.connect() as connection:
        names: dict[int, list[str]] = defaultdict(list)
        keywords: dict[int, list[str]] = defaultdict(list)
        for procedure_id, kind, text in connection.execute(
            select(aliases.c.procedure_id, aliases.c.kind, aliases.c.text).order_by(
                aliases.c.procedure_id, aliases.c.position
            )
        ):
            (keywords if kind == "keyword" else names)[procedure_id].append(text)
        p = procedures.c
        rows = connection.execute(
            select(p.id, p.code, p.name, p.official_name, p.status, p.level).order_by(p.code)
        ).all()
    return [
        IndexDocument(
            code=code,
            name=name,
            status=status,
            official_name=official if official != name else "",
            aliases=tuple(names.get(pid, ())),
            keywords=tuple(keywords.get(pid, ())),
            level=level or "",
        )
        for pid, code, name, official, status, level in rows
    ]


def get_index(engine, refresh_seconds: Optional[float] = None) -> SearchIndex:
    """The cached index for an engine; rebuilt when the stored data's fingerprint changed."""
    if refresh_seconds is None:
        from base.settings import get_settings

        refresh_seconds = get_settings().knowledge_refresh_s
    key = _engine_key(engine)
    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get(key)
        if cached and now - cached[2] < refresh_seconds:
            return cached[0]
        fingerprint = _fingerprint(engine)
        if cached and cached[1] == fingerprint:
            _cache[key] = (cached[0], fingerprint, now)
            return cached[0]
        on_disk = _is_settings_database(key)
        index = _read_disk_cache(key, fingerprint) if on_disk else None
        if index is None:
            index = SearchIndex(load_documents(engine))
            if on_disk:
                _write_disk_cache(key, fingerprint, index)
        _cache[key] = (index, fingerprint, now)
        return index


# A built index is also kept on disk (var/cache) so a cold command such as `thutuc tra` skips the build. It is the
# application's own file, rebuilt whenever the data fingerprint or the index format changes.
_DISK_FORMAT = 14  # 10: typing repair, ";"-parts of names as phrases; 11-12: variants inherit base phrases; 13: one
# spelling per tone placement in variant cues ("xoá" = "xóa"); 14: the rarest word's idf


def _is_settings_database(key: str) -> bool:
    """Only the configured database (what `thutuc tra` and the servers use) gets a disk cache; tests' and tools'
    temporary databases stay in memory so they leave no files behind."""
    from sqlalchemy.engine import make_url

    from base.settings import get_settings

    return key == make_url(get_settings().database_url).render_as_string(hide_password=True)


def _disk_cache_path(key: str):
    from base.settings import get_settings

    return get_settings().knowledge_cache_dir / "search-index.pickle"


def _read_disk_cache(key: str, fingerprint: tuple) -> Optional[SearchIndex]:
    import pickle

    path = _disk_cache_path(key)
    try:
        with open(path, "rb") as handle:
            stored_format, stored_key, stored_fingerprint, index = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError):
        return None
    if stored_format != _DISK_FORMAT or stored_key != key or stored_fingerprint != fingerprint:
        return None
    return index if isinstance(index, SearchIndex) else None


def _write_disk_cache(key: str, fingerprint: tuple, index: SearchIndex) -> None:
    import os
    import pickle
    import tempfile

    path = _disk_cache_path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            pickle.dump((_DISK_FORMAT, key, fingerprint, index), stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only deployment just rebuilds the index in memory


def invalidate(engine=None) -> None:
    """Forget the cached index (for one engine, or all); the next search rebuilds it."""
    with _cache_lock:
        if engine is None:
            _cache.clear()
        else:
            _cache.pop(_engine_key(engine), None)


def search(engine, text: str, limit: int = 5) -> list[Candidate]:
    return get_index(engine).search(text, limit)

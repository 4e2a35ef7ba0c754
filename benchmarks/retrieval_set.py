"""The labelled retrieval set of ``benchmarks/retrieval_quality.py``, built from real text.

Passages are the documentation of API operations from botocore's service models;
natural-language questions come from the AWS CLI's example headings; exact-term queries
are identifiers found in at most three passages. See ``retrieval_quality.py`` for how
the set is used; this module builds it, deterministically, and needs no model.
"""

from __future__ import annotations

import html
import importlib.util
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

SEED = 20250715
TARGET_PASSAGES = 4000
N_QUESTIONS = 200
N_TERMS = 200
MAX_WORDS = 120
MAX_TERM_DF = 3

# ---------------------------------------------------------------------------------------
# The labelled set


@dataclass(frozen=True)
class Operation:
    """One API operation: where it comes from and its documentation text."""

    service: str
    service_title: str
    name: str
    documentation: str


@dataclass(frozen=True)
class Passage:
    """A passage of the corpus."""

    key: str
    text: str


@dataclass(frozen=True)
class Query:
    """A query with its relevant passage keys."""

    kind: str
    text: str
    relevant: frozenset[str]


@dataclass
class RetrievalSet:
    """Passages, queries, and how they were built."""

    passages: list[Passage]
    queries: list[Query]
    notes: list[str] = field(default_factory=list)


_TAG_RE = re.compile(r"<[^>]+>")
_SPACE_RE = re.compile(r"\s+")
_HEADING_RE = re.compile(r"^\*\*(To .+?)\*\*\s*$", re.MULTILINE)
# CamelCase with at least two humps after the first (ExpectedBucketOwner) or snake_case.
_IDENTIFIER_RE = re.compile(
    r"(?<![\w.:/-])(?:[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*){2,}|[a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w:/-])"
)
_WORD_RE = re.compile(r"\w+")


def clean_documentation(raw: str, max_words: int = MAX_WORDS) -> str:
    """Strip HTML from a botocore documentation string and keep its first words.

    Example:
        >>> clean_documentation("<p>Creates a <code>Bucket</code>.</p>", max_words=2)
        'Creates a'
    """
    text = html.unescape(_TAG_RE.sub(" ", raw))
    words = _SPACE_RE.sub(" ", text).strip().split(" ")
    return " ".join(words[:max_words])


def question_from_heading(heading: str) -> str:
    """Turn an AWS CLI example heading into a question.

    Example:
        >>> question_from_heading("To create a vector bucket.")
        'How do I create a vector bucket?'
    """
    body = heading.strip().rstrip(".:").strip()
    body = body.removeprefix("To ")
    return f"How do I {body}?"


def passage_key(op: Operation) -> str:
    """The vector key of an operation's passage."""
    return f"{op.service}/{op.name}"


def passage_text(op: Operation) -> str:
    """The passage text of an operation: title line and documentation."""
    return f"{op.service_title}: {op.name}. {op.documentation}"


def choose_services(
    op_counts: Mapping[str, int], target: int, rng: random.Random, required: Iterable[str] = ()
) -> list[str]:
    """Pick services in seeded order until their operations reach ``target``.

    Example:
        >>> choose_services({"a": 5, "b": 5, "c": 5}, 8, random.Random(0), ["c"])
        ['c', 'a']
    """
    chosen = [s for s in required if s in op_counts]
    total = sum(op_counts[s] for s in chosen)
    rest = sorted(s for s in op_counts if s not in chosen)
    rng.shuffle(rest)
    for service in rest:
        if total >= target:
            break
        chosen.append(service)
        total += op_counts[service]
    return chosen


def identifier_terms(text: str) -> set[str]:
    """Identifiers (CamelCase with three humps or more, snake_case) in a text.

    Example:
        >>> sorted(identifier_terms("Set ExpectedBucketOwner or max_results, not Bucket."))
        ['ExpectedBucketOwner', 'max_results']
    """
    return set(_IDENTIFIER_RE.findall(text))


def build_set(
    operations: Sequence[Operation],
    headings: Mapping[str, str],
    *,
    n_questions: int = N_QUESTIONS,
    n_terms: int = N_TERMS,
    max_term_df: int = MAX_TERM_DF,
    seed: int = SEED,
) -> RetrievalSet:
    """Build passages and both kinds of queries, deterministically.

    Args:
        operations: The corpus operations (any order; they are sorted).
        headings: Passage key -> example heading (``"To ..."``) for operations with one.
        n_questions: Natural-language questions to sample.
        n_terms: Exact-term queries to sample.
        max_term_df: Largest number of passages an exact term may occur in.
        seed: Seed of every random choice.

    Returns:
        The retrieval set.

    Example:
        >>> ops = [Operation("s", "S", f"Op{i}", f"Text with FooBarBaz{i}.") for i in range(3)]
        >>> rs = build_set(ops, {"s/Op0": "To do it"}, n_questions=5, n_terms=5)
        >>> [q.text for q in rs.queries]
        ['How do I do it?', 'FooBarBaz0', 'FooBarBaz1', 'FooBarBaz2']
    """
    rng = random.Random(seed)
    ops = sorted(operations, key=passage_key)
    passages = [Passage(passage_key(op), passage_text(op)) for op in ops]
    keys = {p.key for p in passages}

    # Questions: a heading used by two operations is ambiguous, so it is dropped.
    by_question: dict[str, list[str]] = {}
    for key in sorted(headings):
        if key in keys:
            by_question.setdefault(question_from_heading(headings[key]).lower(), []).append(key)
    candidates = sorted(
        (question_from_heading(headings[v[0]]), v[0]) for v in by_question.values() if len(v) == 1
    )
    picked = sorted(rng.sample(candidates, min(n_questions, len(candidates))))
    questions = [Query("question", text, frozenset([key])) for text, key in picked]

    # Exact terms: identifiers in at most max_term_df passages, not operation names. The
    # relevant passages are all those with the identifier as a whole word, in any case.
    op_names = {op.name.lower() for op in ops}
    spelled: dict[str, str] = {}
    word_holders: dict[str, set[str]] = {}
    for p in passages:
        for term in sorted(identifier_terms(p.text)):
            spelled.setdefault(term.lower(), term)
        for word in {w.lower() for w in _WORD_RE.findall(p.text)}:
            word_holders.setdefault(word, set()).add(p.key)
    term_candidates = sorted(
        (term, frozenset(word_holders[low]))
        for low, term in spelled.items()
        if low not in op_names and 0 < len(word_holders.get(low, ())) <= max_term_df
    )
    chosen_terms = sorted(
        rng.sample(term_candidates, min(n_terms, len(term_candidates))), key=lambda t: t[0]
    )
    terms = [Query("term", term, rel) for term, rel in chosen_terms]

    mean_relevant = float(np.mean([len(q.relevant) for q in terms])) if terms else 0.0
    notes = [
        f"{len(passages)} passages ({len({op.service for op in ops})} services)",
        f"{len(questions)} questions sampled from {len(candidates)} unambiguous example headings",
        (
            f"{len(terms)} exact terms sampled from {len(term_candidates)} identifiers in "
            f"<= {max_term_df} passages (mean {mean_relevant:.2f} relevant passages per term)"
        ),
    ]
    return RetrievalSet(passages, questions + terms, notes)


def load_sources(
    target_passages: int = TARGET_PASSAGES, seed: int = SEED
) -> tuple[list[Operation], dict[str, str], list[str]]:
    """Read operations from botocore and example headings from the AWS CLI.

    Returns:
        The operations of the chosen services, heading per passage key, and notes.
    """
    import botocore.session  # noqa: PLC0415
    from botocore import xform_name  # noqa: PLC0415

    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    examples = awscli_examples()
    example_dirs = {p.name for p in examples.iterdir() if p.is_dir()}

    def cli_name(service: str) -> str:
        return "s3api" if service == "s3" else service

    models: dict[str, dict[str, Any]] = {}
    for service in sorted(session.get_available_services()):
        if cli_name(service) in example_dirs:
            models[service] = loader.load_service_model(service, "service-2")
    op_counts = {s: len(m["operations"]) for s, m in models.items()}
    services = choose_services(op_counts, target_passages, random.Random(seed), ["s3vectors"])

    operations: list[Operation] = []
    headings: dict[str, str] = {}
    for service in sorted(services):
        model = models[service]
        title = model["metadata"].get("serviceFullName", service)
        for name, op in sorted(model["operations"].items()):
            doc = clean_documentation(op.get("documentation", ""))
            if len(doc.split()) < 5:
                continue
            operation = Operation(service, title, name, doc)
            operations.append(operation)
            rst = examples / cli_name(service) / f"{xform_name(name, '-')}.rst"
            if rst.is_file():
                match = _HEADING_RE.search(rst.read_text(encoding="utf-8"))
                if match:
                    headings[passage_key(operation)] = match.group(1)
    versions = f"botocore {package_version('botocore')}, awscli {package_version('awscli')}"
    notes = [
        f"source: botocore service models and AWS CLI example headings ({versions})",
        f"services: {len(services)} of {len(models)} with CLI examples, seed {seed}",
    ]
    return operations, headings, notes


def awscli_examples() -> Path:
    """The AWS CLI's ``examples`` directory, found without importing ``awscli``.

    Importing ``awscli`` (1.x) sets ``AWS_DATA_PATH`` and aliases ``botocore`` to the
    copy it vendors, whose older ``s3vectors`` model then validates every later
    request of the process; reading its files needs none of that.
    """
    spec = importlib.util.find_spec("awscli")
    if spec is None or not spec.submodule_search_locations:
        msg = "awscli is not installed; install it: pip install awscli"
        raise SystemExit(msg)
    return Path(next(iter(spec.submodule_search_locations))) / "examples"


def package_version(package: str) -> str:
    """The installed version of a distribution."""
    from importlib.metadata import version  # noqa: PLC0415

    return version(package)

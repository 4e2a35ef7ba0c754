"""The second corpus of ``benchmarks/retrieval_quality.py``: long passages, paraphrased questions.

Built at run time, offline, from the docstrings of the scientific Python packages
installed beside this one (NumPy, SciPy, scikit-learn), all in the numpydoc format:

* **Passages**: the docstring of each public function or class of a fixed list of
  modules, *without its one-line summary*: the extended summary, parameters, returns
  and notes (the ``Examples``, ``See Also`` and ``References`` sections and reST
  directives are dropped), whitespace collapsed, cut to its first 350 words; a
  docstring left with fewer than 60 words is not a passage. The same object reached
  under two names is one passage.
* **Paraphrased questions**: the left-out summary line, reworded as a question with a
  synonym for its leading verb (``"Compute the median along the specified axis."``
  becomes ``"How do I calculate the median along the specified axis?"``). Only
  summaries that start with a verb of :data:`VERB_SYNONYMS` and that no other
  passage shares are used; the relevant passage is the docstring the summary came
  from, which never contains the question's sentence.

Unlike the first corpus (short API documentation, questions from CLI example
headings), these passages are long (most are longer than the 256 tokens the
embedding model reads) and the questions share only part of their wording with them.
"""

from __future__ import annotations

import importlib
import inspect
import random
import re
from typing import TYPE_CHECKING

from retrieval_set import Passage, Query, RetrievalSet, package_version

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "DOC_MODULES",
    "VERB_SYNONYMS",
    "Docstring",
    "build_docstring_set",
    "load_docstrings",
    "question_from_summary",
    "split_docstring",
]

SEED = 20250715
N_QUESTIONS = 200
MAX_WORDS = 350
MIN_WORDS = 60

#: Modules whose public functions and classes give the passages.
DOC_MODULES = (
    "numpy",
    "numpy.linalg",
    "numpy.fft",
    "numpy.random",
    "scipy.cluster.hierarchy",
    "scipy.integrate",
    "scipy.interpolate",
    "scipy.linalg",
    "scipy.ndimage",
    "scipy.optimize",
    "scipy.signal",
    "scipy.sparse.csgraph",
    "scipy.sparse.linalg",
    "scipy.spatial",
    "scipy.spatial.distance",
    "scipy.stats",
    "sklearn.cluster",
    "sklearn.decomposition",
    "sklearn.feature_extraction.text",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.model_selection",
    "sklearn.preprocessing",
)

#: Leading verb of a summary -> the verb its question uses instead.
VERB_SYNONYMS = {
    "apply": "use",
    "build": "construct",
    "calculate": "compute",
    "compute": "calculate",
    "construct": "build",
    "convert": "turn",
    "count": "tally",
    "create": "make",
    "determine": "work out",
    "draw": "sample",
    "estimate": "approximate",
    "evaluate": "calculate",
    "find": "locate",
    "fit": "train",
    "generate": "produce",
    "load": "read",
    "make": "create",
    "perform": "run",
    "remove": "delete",
    "return": "get",
    "save": "store",
    "solve": "work out",
    "test": "check",
    "transform": "convert",
}

_SECTION_RE = re.compile(r"^([A-Z][A-Za-z ]+)\n-{3,}\s*$", re.MULTILINE)
_DROPPED_SECTIONS = {"Examples", "See Also", "References", "Warns", "Raises", "Warnings"}
_DIRECTIVE_RE = re.compile(r"^\s*\.\. .*$", re.MULTILINE)
_ROLE_RE = re.compile(r":(?:math|func|class|meth|attr|ref|obj|data|mod|term):`~?([^`]*)`")
_SPACE_RE = re.compile(r"\s+")
# A set of strings printed into a docstring (its order changes with hash seeds).
_SET_REPR_RE = re.compile(r"\{'[^'{}]*'(?:, '[^'{}]*')+\}")


def _sorted_sets(text: str) -> str:
    """``text`` with every printed set of strings in sorted order, so runs agree.

    Example:
        >>> _sorted_sets("use {'b', 'a'} by name")
        "use {'a', 'b'} by name"
    """
    return _SET_REPR_RE.sub(
        lambda m: "{" + ", ".join(sorted(m.group(0)[1:-1].split(", "))) + "}", text
    )


class Docstring:
    """One documented object: where it is, its summary line and its passage text."""

    def __init__(self, name: str, summary: str, body: str) -> None:
        """Hold ``name`` (module.attribute), ``summary`` and ``body``."""
        self.name = name
        self.summary = summary
        self.body = body


def split_docstring(doc: str) -> tuple[str, str]:
    """The one-line summary and the rest (numpydoc sections kept: see the module).

    Example:
        >>> doc = "Add things.\\n\\nLonger text.\\n\\nExamples\\n--------\\n>>> add(1)\\n"
        >>> split_docstring(doc)
        ('Add things.', 'Longer text.')
    """
    head, _, rest = doc.strip().partition("\n\n")
    summary = _SPACE_RE.sub(" ", _ROLE_RE.sub(r"\1", head)).strip()
    parts = _SECTION_RE.split(rest)
    kept = [parts[0]]
    for title, text in zip(parts[1::2], parts[2::2], strict=True):
        if title.strip() not in _DROPPED_SECTIONS:
            kept.append(f"{title.strip()}: {text}")
    body = _ROLE_RE.sub(r"\1", _DIRECTIVE_RE.sub(" ", "\n".join(kept)))
    return summary, _sorted_sets(_SPACE_RE.sub(" ", body).strip())


def question_from_summary(summary: str) -> str | None:
    """A question asking for what ``summary`` describes, or ``None`` if it cannot.

    Example:
        >>> question_from_summary("Compute the median along the specified axis.")
        'How do I calculate the median along the specified axis?'
        >>> question_from_summary("Returns the indices of the maximum values.")
        'How do I get the indices of the maximum values?'
        >>> question_from_summary("A Kaiser window.") is None
        True
    """
    words = summary.rstrip(".").split()
    if not summary.endswith(".") or summary.count(". ") or not 3 <= len(words) <= 25:
        return None
    verb = words[0].lower()
    synonym = VERB_SYNONYMS.get(verb) or VERB_SYNONYMS.get(verb.removesuffix("s"))
    if synonym is None or verb.endswith("ss"):
        return None
    return f"How do I {synonym} {' '.join(words[1:])}?"


def _public_objects(module_name: str) -> Iterable[tuple[str, object]]:
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    for name in sorted(names):
        try:
            obj = getattr(module, name, None)
        except ImportError:  # an experimental name that needs an opt-in import
            continue
        if (inspect.isfunction(obj) or inspect.isclass(obj) or callable(obj)) and not (
            inspect.ismodule(obj)
        ):
            yield f"{module_name}.{name}", obj


def load_docstrings(modules: Sequence[str] = DOC_MODULES) -> tuple[list[Docstring], list[str]]:
    """Every usable docstring of ``modules``, each object once; and notes on the source."""
    import warnings  # noqa: PLC0415

    seen: set[int] = set()
    found: list[Docstring] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for module_name in modules:
            for name, obj in _public_objects(module_name):
                doc = inspect.getdoc(obj)
                if not doc or id(obj) in seen:
                    continue
                seen.add(id(obj))
                summary, body = split_docstring(doc)
                words = body.split()
                if len(words) >= MIN_WORDS:
                    found.append(Docstring(name, summary, " ".join(words[:MAX_WORDS])))
    versions = ", ".join(f"{p} {package_version(p)}" for p in ("numpy", "scipy", "scikit-learn"))
    notes = [
        f"source: numpydoc docstrings of {len(modules)} modules ({versions})",
        f"{len(found)} docstrings with at least {MIN_WORDS} words besides the summary",
    ]
    return found, notes


def build_docstring_set(
    docstrings: Sequence[Docstring], *, n_questions: int = N_QUESTIONS, seed: int = SEED
) -> RetrievalSet:
    """Passages and paraphrased questions from docstrings, deterministically.

    Example:
        >>> body = "word " * 70
        >>> ds = [Docstring("m.f", "Compute a thing.", body), Docstring("m.g", "Sum.", body)]
        >>> rs = build_docstring_set(ds, n_questions=5)
        >>> [(q.text, sorted(q.relevant)) for q in rs.queries]
        [('How do I calculate a thing?', ['m.f'])]
    """
    rng = random.Random(seed)
    ordered = sorted(docstrings, key=lambda d: d.name)
    passages = [Passage(d.name, d.body) for d in ordered]
    by_question: dict[str, list[Docstring]] = {}
    for d in ordered:
        question = question_from_summary(d.summary)
        if question is not None:
            by_question.setdefault(question.lower(), []).append(d)
    candidates = sorted(
        (question_from_summary(group[0].summary) or "", group[0].name)
        for group in by_question.values()
        if len(group) == 1
    )
    picked = sorted(rng.sample(candidates, min(n_questions, len(candidates))))
    queries = [Query("paraphrase", text, frozenset([key])) for text, key in picked]
    words = sorted(len(p.text.split()) for p in passages)
    notes = [
        f"{len(passages)} passages, median {words[len(words) // 2]} words",
        f"{len(queries)} questions sampled from {len(candidates)} unambiguous summaries",
    ]
    return RetrievalSet(passages, queries, notes)
